"""The ``spinlens`` command: spin a step from a terminal, or watch and re-spin on save."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from . import events
from .errors import SpinError
from .metaflow_env import ensure_user
from .session import SpinResult, SpinSession

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130

_STATUS_COLOURS = {"new": "36", "changed": "33", "unchanged": "32"}


def _human_size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class Printer:
    """Renders events for a person (live logs, then a table) or as JSON lines."""

    def __init__(self, as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.as_json = as_json
        self.out = out
        self.err = err
        self.colour = not as_json and out.isatty() and "NO_COLOR" not in os.environ

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.colour else text

    def __call__(self, event: events.Event) -> None:
        if self.as_json:
            print(json.dumps(events.to_dict(event), default=str), file=self.out, flush=True)
        elif isinstance(event, events.Log):
            stream = self.out if event.stream == "stdout" else self.err
            stream.write(event.text)
            stream.flush()
        elif isinstance(event, events.Progress):
            print(self._paint(f"… {event.message}", "2"), file=self.err, flush=True)
        elif isinstance(event, events.Started):
            source = event.source
            where = f"run {source.run_id}, task {source.task_id}"
            if source.index is not None:
                where += f", foreach index {source.index}"
            warm = "warm kernel" if event.warm else "new kernel"
            print(
                self._paint(f"▶ spinning {event.flow}.{event.step} ({where}; {warm})", "1"),
                file=self.err,
                flush=True,
            )

    def summary(self, result: SpinResult) -> None:
        if self.as_json:
            return
        if not result.ok:
            failure = result.failure
            assert failure is not None
            if failure.traceback:
                print(failure.traceback.rstrip(), file=self.err)
            where = f" ({failure.file}:{failure.line})" if failure.file else ""
            print(self._paint(f"✗ {failure.error}{where}", "31"), file=self.err)
            return
        rows = [("artifact", "type", "size", "vs inputs", "vs source run")]
        statuses: list[tuple[str, str]] = []
        for artifact in result.artifact_events.values():
            type_name = artifact.type.rsplit(".", 1)[-1].strip("'<>")
            rows.append(
                (
                    artifact.name,
                    type_name,
                    _human_size(artifact.size),
                    artifact.vs_inputs,
                    artifact.vs_source,
                )
            )
            statuses.append((artifact.vs_inputs, artifact.vs_source))
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        print(file=self.out)
        for n, row in enumerate(rows):
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
            if n == 0:
                line = self._paint("  ".join(cells).rstrip(), "1")
            else:
                vs_inputs, vs_source = statuses[n - 1]
                cells[3] = self._paint(cells[3], _STATUS_COLOURS[vs_inputs])
                cells[4] = self._paint(cells[4], _STATUS_COLOURS[vs_source])
                line = "  ".join(cells).rstrip()
            print(line, file=self.out)
        if result.removed:
            print(
                self._paint(f"no longer produced: {', '.join(result.removed)}", "31"), file=self.out
            )
        for artifact in result.artifact_events.values():
            if artifact.error:
                print(self._paint(f"! {artifact.name}: {artifact.error}", "31"), file=self.out)
        nxt = ", ".join(result.next_steps) or "(end)"
        if result.foreach:
            nxt += f" (foreach over {result.foreach})"
        total, step = result.timings.get("total_s", 0.0), result.timings.get("step_s", 0.0)
        done = f"✓ ok in {total:.2f} s (step {step:.2f} s); next: {nxt}"
        print(self._paint(done, "32"), file=self.out)


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        name, sep, literal = pair.partition("=")
        if not sep or not name.isidentifier():
            raise SpinError(f"--set {pair!r}: write it as name=<python literal>, e.g. --set lr=0.1")
        overrides[name] = literal
    return overrides


def _run_flow(flow_file: str, printer: Printer) -> bool:
    print(f"Running {flow_file} once to get inputs to spin from…", file=printer.err, flush=True)
    completed = subprocess.run(
        [sys.executable, flow_file, "run"],
        cwd=os.path.dirname(os.path.abspath(flow_file)),
        stdout=sys.stderr if printer.as_json else None,
    )
    return completed.returncode == 0


def _spin_once(session: SpinSession, args: argparse.Namespace, printer: Printer) -> SpinResult:
    overrides = _parse_sets(args.set)
    result = session.spin(
        args.step,
        run=args.run,
        index=args.index,
        task=args.task,
        overrides=overrides,
        artifacts_module=args.artifacts_module,
        on_event=printer,
    )
    failure = result.failure
    if failure and failure.code == "no-successful-run" and args.run_flow:
        if not _run_flow(session.flow_file, printer):
            return result
        result = session.spin(
            args.step,
            run=args.run,
            index=args.index,
            task=args.task,
            overrides=overrides,
            artifacts_module=args.artifacts_module,
            on_event=printer,
        )
    printer.summary(result)
    return result


def _exit_code(result: SpinResult) -> int:
    if result.ok:
        return 0
    return EXIT_CANCELLED if result.failure and result.failure.kind == "cancelled" else EXIT_FAILED


def _cmd_spin(args: argparse.Namespace) -> int:
    printer = Printer(args.json)
    with SpinSession(args.flow_file, flow=args.flow) as session:
        return _exit_code(_spin_once(session, args, printer))


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
                if not args.json:
                    print(
                        printer._paint("… watching for saves (Ctrl-C to stop)", "2"),
                        file=printer.err,
                    )
                while (latest := _watched_files(args.flow_file)) == stamps:
                    time.sleep(args.interval)
                stamps = latest
        except KeyboardInterrupt:
            return 0


def _add_spin_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("flow_file", metavar="FLOW.py")
    parser.add_argument("step", metavar="STEP")
    parser.add_argument("--flow", help="flow class, when the file defines several")
    parser.add_argument("--run", metavar="ID", help="source run (default: latest successful)")
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument("--index", type=int, metavar="N", help="foreach split index (default 0)")
    pick.add_argument("--task", metavar="ID", help="source task id (settles nested foreach)")
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
        "--run-flow", action="store_true", help="run the flow first if it has no successful run"
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ensure_user()  # for --run-flow's `python flow.py run`
    try:
        return int(args.handler(args))
    except SpinError as exc:
        print(f"spinlens: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
