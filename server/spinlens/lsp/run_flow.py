"""Running a flow that has no run yet (``spinlens.server.runFlow``), as a user would.

``<python> flow.py run --NAME VALUE ...`` in the flow file's folder, with the
server's environment and the interpreter its spin kernels use, so the run lands
in the user's datastore like any other. Its output goes to the client line by
line; a cancel ends the whole process group (Metaflow's task processes too).
"""

from __future__ import annotations

import ast
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from ..flow_analysis import FlowInfo, analyze_file, analyze_source
from .payloads import ParameterSpec, RunFlowArgs

logger = logging.getLogger(__name__)

STOP_WAIT_S = 10.0  # after SIGTERM, how long Metaflow gets to stop its tasks
MAX_OUTPUT_CHARS = 4_000_000  # as a spin's output: past it, lines are counted, not sent
_HELP_CHARS = 200

LineSink = Callable[[str, str], None]  # (stream, text)


def _ignore(stream: str, text: str) -> None:
    pass


# -- the flow's Parameters -----------------------------------------------------------


def parameter_specs(flow: FlowInfo, text: str | None, path: str) -> list[ParameterSpec]:
    """The flow's ``Parameter``s with their defaults as command-line text, read
    statically (where a default is not a literal, ``default`` is None)."""
    trees: dict[str | None, ast.Module | None] = {}
    specs: list[ParameterSpec] = []
    for info in flow.parameters:
        if info.kind != "Parameter":
            continue  # Configs and IncludeFiles keep what the flow gives them
        where = info.defined_in
        if where not in trees:
            trees[where] = _tree(text if where is None else None, where or path)
        call = _call_at(trees[where], info.line, info.name)
        specs.append(_spec(info.name, call))
    return specs


def _tree(text: str | None, path: str) -> ast.Module | None:
    try:
        if text is None:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        return ast.parse(text, path)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _call_at(tree: ast.Module | None, line: int, attribute: str) -> ast.Call | None:
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno == line:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any(isinstance(t, ast.Name) and t.id == attribute for t in targets)
            if named and isinstance(node.value, ast.Call):
                return node.value
    return None


def _spec(attribute: str, call: ast.Call | None) -> ParameterSpec:
    if call is None:
        return ParameterSpec(name=attribute, default=None, help=None, required=False)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    name = _literal(call.args[0] if call.args else keywords.get("name"))
    helptext = _literal(keywords.get("help"))
    required = _literal(keywords.get("required"))
    return ParameterSpec(
        # The option is the Parameter's own name (`Parameter("rows")` is --rows).
        name=name if isinstance(name, str) and name else attribute,
        default=_command_line(keywords.get("default")),
        help=helptext[:_HELP_CHARS] if isinstance(helptext, str) else None,
        required=required is True,
    )


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _command_line(node: ast.expr | None) -> str | None:
    """A literal default as one would type it after ``--name`` (JSON for containers)."""
    if node is None:
        return None
    value = _literal(node)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)):
        return str(value)
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return None


def flow_info(text: str | None, path: str, flow: str | None) -> FlowInfo:
    """The flow ``flow`` (None: the file's default) of the text, else the file on disk."""
    analysis = analyze_source(text, path) if text is not None else analyze_file(path)
    return analysis.flow(flow)


# -- one run --------------------------------------------------------------------------


@dataclass
class RunOutcome:
    status: str  # "ok", "failed" or "cancelled"
    run_id: str | None
    error: str | None


@dataclass(eq=False)
class FlowRunJob:
    """One ``python flow.py run``; ``run`` blocks (a worker thread), ``cancel`` may
    come from any thread, before or during the run."""

    args: RunFlowArgs
    flow_file: str
    flow: str
    python: str = sys.executable  # the spin kernels' interpreter (SpinSession's default)
    emit: LineSink = _ignore
    message_id: Any = None  # the JSON-RPC id of the request (for $/cancelRequest)
    cancelled: bool = False
    done: bool = False
    _proc: subprocess.Popen[str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sent: int = 0

    @property
    def request_id(self) -> str | None:
        return self.args.request_id

    def command(self, run_id_file: str) -> list[str]:
        parameters = self.args.parameters.items()
        options = [part for name, value in parameters for part in (f"--{name}", value)]
        return [self.python, self.flow_file, "run", "--run-id-file", run_id_file, *options]

    def cancel(self) -> bool:
        """Stop the run (or never start it); False if it had ended."""
        with self._lock:
            if self.done:
                return False
            self.cancelled = True
            proc = self._proc
        if proc is not None:
            _signal_group(proc, signal.SIGTERM)
        return True

    def run(self) -> RunOutcome:
        with tempfile.TemporaryDirectory(prefix="spinlens-run-") as scratch:
            id_file = os.path.join(scratch, "run-id")
            try:
                outcome = self._run(id_file)
            finally:
                with self._lock:
                    self.done = True
            if outcome.run_id is None and os.path.exists(id_file):
                with open(id_file, encoding="utf-8") as file:
                    outcome.run_id = file.read().strip() or None
            return outcome

    def _run(self, id_file: str) -> RunOutcome:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with self._lock:
            if self.cancelled:
                return RunOutcome("cancelled", None, "Cancelled before it started.")
            try:
                self._proc = proc = subprocess.Popen(
                    self.command(id_file),
                    cwd=os.path.dirname(self.flow_file),
                    env=env,
                    stdin=subprocess.DEVNULL,  # never the server's stdin: it is the LSP channel
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    errors="replace",
                    bufsize=1,
                    start_new_session=True,  # its own group, so a cancel reaches its tasks
                )
            except OSError as exc:
                return RunOutcome("failed", None, f"Cannot run {self.python}: {exc}")
        assert proc.stdout is not None and proc.stderr is not None
        readers = [
            threading.Thread(target=self._pump, args=(stream, name), daemon=True)
            for stream, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))
        ]
        for reader in readers:
            reader.start()
        code = self._wait(proc)
        for reader in readers:
            reader.join()
        if self.cancelled:
            return RunOutcome("cancelled", None, "The run was cancelled.")
        if code != 0:
            return RunOutcome(
                "failed", None, f"python {os.path.basename(self.flow_file)} run exited with {code}."
            )
        return RunOutcome("ok", None, None)

    def _wait(self, proc: subprocess.Popen[str]) -> int:
        while True:
            try:
                return proc.wait(timeout=STOP_WAIT_S if self.cancelled else None)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)  # it ignored the SIGTERM

    def _pump(self, stream: IO[str], name: str) -> None:
        dropped = 0
        for line in _lines(stream):
            with self._lock:
                fits = self._sent + len(line) <= MAX_OUTPUT_CHARS
                if fits:
                    self._sent += len(line)
            if fits:
                self.emit(name, line)
            else:
                dropped += len(line)
        if dropped:
            self.emit("stderr", f"[spinlens] {dropped} characters of {name} not shown.\n")


def _lines(stream: IO[str]) -> Iterable[str]:
    try:
        yield from stream
    except (OSError, ValueError):  # the pipe closed under us
        return


def _signal_group(proc: subprocess.Popen[str], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class FlowRuns:
    """The flow runs in flight, one at most per flow file; found by request id or
    JSON-RPC message id for a cancel."""

    def __init__(self) -> None:
        self._by_path: dict[str, FlowRunJob] = {}

    def start(self, job: FlowRunJob) -> FlowRunJob | None:
        """Register ``job``; the run already in flight for its file instead, if any."""
        running = self._by_path.get(job.flow_file)
        if running is not None:
            return running
        self._by_path[job.flow_file] = job
        return None

    def end(self, job: FlowRunJob) -> None:
        if self._by_path.get(job.flow_file) is job:
            del self._by_path[job.flow_file]

    def find(self, request_id: str | None = None, message_id: object = None) -> FlowRunJob | None:
        for job in list(self._by_path.values()):
            if (request_id is not None and job.request_id == request_id) or (
                message_id is not None and job.message_id == message_id
            ):
                return job
        return None

    def cancel_all(self) -> None:
        for job in list(self._by_path.values()):
            job.cancel()
