"""The ``spinlens`` command: spin a step from a terminal, or watch and re-spin on save."""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import time
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .engine.flow_loader import flow_as_main, needs_flow_module
from .engine.history import HISTORY_DIR, History, SpinRecord
from .engine.metaflow_env import ensure_user
from .errors import SpinError
from .flow_analysis import FlowAnalysisError, analyze_file
from .render import Painter, Printer, diff_lines, history_lines, record_lines
from .session import SpinResult, SpinSession

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, literal = pair.partition("=")
        if not sep or not name.isidentifier():
            raise SpinError(f"--set {pair!r}: write it as name=<python literal>, e.g. --set lr=0.1")
        overrides[name] = literal
    return overrides


def _megabytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of MB") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the memory limit cannot be negative (0: no limit)")
    return value


def _parse_config_values(pairs: list[list[str]]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, text in pairs:
        try:
            values[name] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpinError(f"--config-value {name}: the value is not JSON ({exc}).") from None
    return values


def _run_flow(flow_file: str, printer: Printer) -> bool:
    print(f"Running {flow_file} once to get inputs to spin from…", file=printer.err, flush=True)
    completed = subprocess.run(
        [sys.executable, flow_file, "run"],
        cwd=os.path.dirname(os.path.abspath(flow_file)),
        stdout=sys.stderr if printer.as_json else None,
    )
    return completed.returncode == 0


def _spin_once(session: SpinSession, args: argparse.Namespace, printer: Printer) -> SpinResult:
    if args.pdb and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise SpinError("--pdb needs a terminal on stdin and stdout.")
    spin = functools.partial(
        session.spin,
        args.step,
        run=args.run,
        index=args.index,
        task=args.task,
        overrides=_parse_sets(args.set),
        artifacts_module=args.artifacts_module,
        on_event=printer,
        debug_port=args.port if args.debug else None,
        terminal=args.pdb,
        memory_limit_mb=args.memory_limit,
        iteration=args.iteration,
        skip_decorators=args.skip_decorators,
        decospecs=args.decospecs,
        config_values=_parse_config_values(args.config_value),
        configs=dict(args.config),
    )
    result = spin()
    failure = result.failure
    if failure and failure.code == "no-successful-run" and args.run_flow:
        if not _run_flow(session.flow_file, printer):
            return result
        result = spin()
    printer.summary(result)
    return result


def _exit_code(result: SpinResult, interrupted: bool) -> int:
    if interrupted or (result.failure and result.failure.kind == "cancelled"):
        return EXIT_CANCELLED
    return 0 if result.ok else EXIT_FAILED


def _cmd_spin(args: argparse.Namespace) -> int:
    printer = Printer(args.json)
    with SpinSession(args.flow_file, flow=args.flow) as session:
        result = _spin_once(session, args, printer)
        return _exit_code(result, session.interrupted)


def _watched_files(flow_file: str) -> dict[Path, float]:
    """The flow file and the Python files beside it (the user's own modules)."""
    folder = Path(flow_file).resolve().parent
    stamps: dict[Path, float] = {}
    for path in [Path(flow_file).resolve(), *folder.glob("*.py")]:
        try:
            stamps[path] = path.stat().st_mtime
        except OSError:
            continue
    return stamps


def _cmd_watch(args: argparse.Namespace) -> int:
    printer = Printer(args.json)
    with SpinSession(args.flow_file, flow=args.flow) as session:
        stamps = _watched_files(args.flow_file)
        try:
            while True:
                _spin_once(session, args, printer)
                if session.interrupted:
                    return 0  # Ctrl-C during a spin ends the spin and the watching
                if not args.json:
                    watching = printer.paint("… watching for saves (Ctrl-C to stop)", "2")
                    print(watching, file=printer.err)
                while (latest := _watched_files(args.flow_file)) == stamps:
                    time.sleep(args.interval)
                stamps = latest
        except KeyboardInterrupt:
            return 0


def _find_history(explicit: str | None, flow_file: str | None = None) -> History:
    """The history folder: given, beside the flow file, or the nearest .spinlens up from here."""
    if explicit:
        return History(explicit)
    if flow_file:
        return History(Path(flow_file).resolve().parent / HISTORY_DIR)
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / HISTORY_DIR).is_dir():
            return History(folder / HISTORY_DIR)
    raise SpinError(f"No {HISTORY_DIR} folder here or above; pass --history DIR.")


def _cmd_history(args: argparse.Namespace) -> int:
    if not os.path.exists(args.flow_file):
        raise SpinError(f"Flow file {args.flow_file} does not exist.")
    flow = analyze_file(args.flow_file).flow(args.flow).name
    history = _find_history(args.history, args.flow_file)
    records = history.spins(flow, args.step)[: args.limit]
    if args.json:
        for record in records:
            print(json.dumps(record.to_dict(), default=str))
        return 0
    if not records:
        print(f"No spins of {flow}.{args.step} in {history.root} yet.")
        return 0
    for line in history_lines(records, Painter(sys.stdout)):
        print(line)
    return 0


def _show_value(value: object) -> str:
    import pprint

    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        return f"{type(value).__name__} shape={value.shape}\n{value.head(20)}"
    return pprint.pformat(value, width=100, compact=True)[:20_000]


def _recorded_value(history: History, record: SpinRecord, name: str) -> Any:
    """A value from the history; one of a class defined in the flow file (a pass-
    through the run pickled as ``__main__.X``) loads with the flow as ``__main__``."""
    try:
        return history.load(record.id, name)
    except AttributeError as exc:
        if not needs_flow_module(exc) or not os.path.isfile(record.flow_file):
            raise
    with flow_as_main(record.flow_file):
        return history.load(record.id, name)


def _cmd_show(args: argparse.Namespace) -> int:
    history = _find_history(args.history)
    try:
        record, _ = history.find(args.spin_id)
        if args.artifact is None:
            for line in record_lines(record, Painter(sys.stdout)):
                print(line)
            return 0
        print(_show_value(_recorded_value(history, record, args.artifact)))
    except KeyError as exc:
        raise SpinError(str(exc.args[0])) from None
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    """The HTML files of the cards a spin rendered; --open shows them in a browser."""
    history = _find_history(args.history)
    try:
        record, folder = history.find(args.spin_id)
    except KeyError as exc:
        raise SpinError(str(exc.args[0])) from None
    if not record.cards:
        raise SpinError(f"Spin {record.id} ({record.flow}.{record.step}) rendered no cards.")
    for card in record.cards:
        path = folder / card["file"]
        label = f"{card['type']} [{card['id']}]" if card.get("id") else card["type"]
        print(f"{label}: {path}")
        if args.open:
            webbrowser.open(path.as_uri())
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from .engine.diff import diff_values

    history = _find_history(args.history)
    paint = Painter(sys.stdout)
    try:
        old, _ = history.find(args.spin_a)
        new, _ = history.find(args.spin_b)
        names = (
            [args.artifact]
            if args.artifact
            else sorted({a.name for a in old.artifacts} | {a.name for a in new.artifacts})
        )
        print(paint(f"{old.id} → {new.id} ({new.flow}.{new.step})", "1"))
        changed = 0
        for name in names:
            before, after = old.artifact(name), new.artifact(name)
            if before is None and after is None:
                raise SpinError(f"Neither spin has an artifact {name!r}.")
            if before is None or after is None:
                status = "new" if before is None else "removed"
                print(f"{paint.status(status.ljust(9), 'new')} {name}")
                changed += 1
                continue
            if before.fingerprint and before.fingerprint == after.fingerprint:
                if args.artifact:
                    print(f"{paint.status('unchanged', 'unchanged')} {name}")
                continue
            changed += 1
            lines = diff_lines(
                diff_values(
                    _recorded_value(history, old, name), _recorded_value(history, new, name)
                ).to_dict()
            )
            print(f"{paint.status('changed'.ljust(9), 'changed')} {name}: {lines[0]}")
            for line in lines[1:]:
                print(f"    {line}")
        if not changed:
            print("no artifact changed")
    except KeyError as exc:
        raise SpinError(str(exc.args[0])) from None
    return 0


def _cmd_lsp(args: argparse.Namespace) -> int:
    from .lsp import main as serve  # imported here: the other commands never load pygls

    return serve()


def _add_spin_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("flow_file", metavar="FLOW.py")
    parser.add_argument(
        "step",
        metavar="STEP",
        help="a step, or a pathspec: RUN/STEP, RUN/STEP/TASK or Flow/RUN/STEP/TASK",
    )
    parser.add_argument("--flow", help="flow class, when the file defines several")
    parser.add_argument("--run", metavar="ID", help="source run (default: latest successful)")
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument("--index", type=int, metavar="N", help="foreach split index (default 0)")
    pick.add_argument("--task", metavar="ID", help="source task id (settles nested foreach)")
    parser.add_argument(
        "--iteration",
        type=int,
        metavar="N",
        help="a recursive step's iteration (default 0, the first; -1: the last)",
    )
    parser.add_argument(
        "--skip-decorators",
        action="store_true",
        help="run none of Metaflow's spin decorators (@environment, @timeout, @card, ...)",
    )
    parser.add_argument(
        "--with",
        dest="decospecs",
        action="append",
        default=[],
        metavar="SPEC",
        help="add a decorator to the step, as Metaflow's --with (e.g. timeout:seconds=5)",
    )
    parser.add_argument(
        "--config-value",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "JSON"),
        help="spin with this value of Config NAME instead of the source run's",
    )
    parser.add_argument(
        "--config",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "FILE"),
        help="spin with Config NAME read from FILE (with its parser)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an input artifact with a Python literal (repeatable)",
    )
    parser.add_argument(
        "--artifacts-module", metavar="FILE", help="a module defining ARTIFACTS = {...} overrides"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON event per line")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="wait for a debugger (debugpy, on 127.0.0.1) before the step runs",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="with --debug: the port to listen on (default: any)"
    )
    parser.add_argument(
        "--pdb",
        action="store_true",
        help="breakpoint() works at this terminal; post-mortem pdb if the step raises",
    )
    parser.add_argument(
        "--run-flow", action="store_true", help="run the flow first if it has no successful run"
    )
    parser.add_argument(
        "--memory-limit",
        type=_megabytes,
        default=None,
        metavar="MB",
        help="let the step allocate at most MB more memory (a MemoryError past it; 0: no limit)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spinlens",
        description="Re-run one Metaflow step's current code on a past run's inputs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    spin = commands.add_parser("spin", help="spin one step once")
    _add_spin_options(spin)
    spin.set_defaults(handler=_cmd_spin)
    watch = commands.add_parser("watch", help="re-spin a step on every save, kernel kept warm")
    _add_spin_options(watch)
    watch.add_argument("--interval", type=float, default=0.3, help=argparse.SUPPRESS)
    watch.set_defaults(handler=_cmd_watch)

    history = commands.add_parser("history", help="list the recorded spins of a step")
    history.add_argument("flow_file", metavar="FLOW.py")
    history.add_argument("step", metavar="STEP")
    history.add_argument("--flow", help="flow class, when the file defines several")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true", help="one manifest per line")
    history.add_argument("--history", metavar="DIR", help="history folder (default: .spinlens)")
    history.set_defaults(handler=_cmd_history)

    show = commands.add_parser("show", help="a recorded spin, or one of its artifacts")
    show.add_argument("spin_id", metavar="SPIN_ID")
    show.add_argument("artifact", metavar="ARTIFACT", nargs="?")
    show.add_argument("--history", metavar="DIR", help="history folder (default: .spinlens)")
    show.set_defaults(handler=_cmd_show)

    card = commands.add_parser("card", help="the cards a recorded spin's @card rendered")
    card.add_argument("spin_id", metavar="SPIN_ID")
    card.add_argument("--open", action="store_true", help="open each card in a browser")
    card.add_argument("--history", metavar="DIR", help="history folder (default: .spinlens)")
    card.set_defaults(handler=_cmd_card)

    diff = commands.add_parser("diff", help="what changed between two recorded spins")
    diff.add_argument("spin_a", metavar="SPIN_A")
    diff.add_argument("spin_b", metavar="SPIN_B")
    diff.add_argument("artifact", metavar="ARTIFACT", nargs="?")
    diff.add_argument("--history", metavar="DIR", help="history folder (default: .spinlens)")
    diff.set_defaults(handler=_cmd_diff)

    lsp = commands.add_parser("lsp", help="run the editor's language server over stdio")
    # Some LSP clients always pass --stdio; stdio is the only transport.
    lsp.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)
    lsp.set_defaults(handler=_cmd_lsp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ensure_user()  # for --run-flow's `python flow.py run`
    try:
        return int(args.handler(args))
    except (SpinError, FlowAnalysisError) as exc:
        print(f"spinlens: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
