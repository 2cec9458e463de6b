"""``SpinSession``: the Python API that the CLI, the editor server, tests and benchmarks use.

A session owns one warm kernel for one flow file and turns its frames into
``SpinResult`` objects. Artifact values stay in the spin's process until asked
for, so a spin never pays to ship back a 160 MB input it merely passed through.
"""

from __future__ import annotations

import itertools
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine.history import DEFAULT_KEEP, HISTORY_DIR, History
from .errors import SpinError
from .flow_analysis import FlowAnalysisError, FlowInfo, analyze_file, analyze_source
from .wire.events import (
    Artifact,
    Event,
    Failed,
    Finished,
    Log,
    SourceInfo,
    Started,
    from_dict,
)
from .wire.ipc import ChannelClosed, recv_frame, send_frame

EventHandler = Callable[[Event], None]

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


def new_spin_id() -> str:
    """A spin's id: when it was asked for (so ids sort by time) and a random tail."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def parse_pathspec(
    target: str, run: str | None, task: str | None, flow: str | None
) -> tuple[str, str | None, str | None]:
    """A step name, or one of Metaflow's spin pathspecs (``RUN/STEP``,
    ``RUN/STEP/TASK``, ``Flow/RUN/STEP`` or ``Flow/RUN/STEP/TASK``), as
    (step, run, task); given run and task options must agree with it."""
    parts = target.strip("/").split("/")
    if len(parts) == 1:
        return target, run, task
    if len(parts) == 4 or (len(parts) == 3 and not parts[0].isdigit()):
        named_flow, parts = parts[0], parts[1:]
        if flow is not None and named_flow != flow:
            raise SpinError(f"The pathspec {target} names flow {named_flow}, not {flow}.")
    if len(parts) not in (2, 3) or not all(parts):
        raise SpinError(
            f"{target} is not a step or a pathspec: use STEP, RUN/STEP, RUN/STEP/TASK "
            f"or Flow/RUN/STEP/TASK."
        )
    given = {"run": (run, parts[0]), "task": (task, parts[2] if len(parts) == 3 else None)}
    for option, (value, named) in given.items():
        if value is not None and named is not None and value != named:
            raise SpinError(f"The pathspec {target} and the {option} {value} disagree.")
    return parts[1], parts[0], parts[2] if len(parts) == 3 else task


class KernelDied(SpinError):
    """The kernel process ended; the next spin starts a new one."""


class MetaflowMissing(KernelDied):
    """The interpreter chosen for the kernel cannot import Metaflow."""

    code = "metaflow-missing"

    def __init__(self, python: str, has_pip: bool = True) -> None:
        install = f"{python} -m pip install metaflow"
        if not has_pip:
            install = f"{python} -m ensurepip, then {install}"
        super().__init__(
            f"Metaflow is not installed in {python}, the Python that runs the spin kernel. "
            f"Install it there ({install}), or choose a Python that has it (the "
            f"spinlens.python setting in the editor; on the command line, run spinlens "
            f"with that Python)."
        )
        self.python = python


_PROBE_METAFLOW = (
    "import importlib.util as u, sys; "
    "sys.exit(0 if u.find_spec('metaflow') else 3 if u.find_spec('pip') else 4)"
)


def _missing_metaflow(python: str, env: Mapping[str, str]) -> MetaflowMissing | None:
    """Why ``python`` cannot run a kernel, if it is that Metaflow is not installed
    there (asked only once a kernel failed to start)."""
    try:
        probe = subprocess.run(
            [python, "-c", _PROBE_METAFLOW],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None  # cannot tell: the kernel's own output says what it can
    if probe.returncode not in (3, 4):
        return None
    return MetaflowMissing(python, has_pip=probe.returncode == 3)


@dataclass
class SpinResult:
    spin_id: str
    step: str
    status: str  # "ok" or "failed"
    events: list[Event]
    source: SourceInfo | None = None
    next_steps: tuple[str, ...] = ()
    foreach: str | None = None
    removed: tuple[str, ...] = ()  # artifacts of the source task this spin no longer makes
    timings: dict[str, float] = field(default_factory=dict)
    failure: Failed | None = None
    # The outputs; after a failure, what the step had assigned (``partial``).
    artifacts: Mapping[str, Any] = field(default_factory=dict)
    cards: tuple[SpinCard, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def partial(self) -> tuple[str, ...]:
        """Names a failed step had assigned before it raised."""
        return tuple(e.name for e in self.events if isinstance(e, Artifact) and e.partial)

    @property
    def stdout(self) -> str:
        return self._stream("stdout")

    @property
    def stderr(self) -> str:
        return self._stream("stderr")

    @property
    def artifact_events(self) -> dict[str, Artifact]:
        return {e.name: e for e in self.events if isinstance(e, Artifact)}

    @property
    def error(self) -> str | None:
        return self.failure.error if self.failure else None

    def _stream(self, stream: str) -> str:
        return "".join(e.text for e in self.events if isinstance(e, Log) and e.stream == stream)


@dataclass(frozen=True)
class SpinCard:
    """A card the step's ``@card`` rendered in the spin."""

    type: str
    id: str | None
    path: str  # the HTML file, in the spin history (or the kernel's folder)

    @property
    def html(self) -> str:
        return Path(self.path).read_text(encoding="utf-8")


class LazyArtifacts(Mapping[str, Any]):
    """Output artifacts by name; each value is fetched from the spin on first use."""

    def __init__(self, session: SpinSession, spin_id: str, names: list[str]) -> None:
        self._session = session
        self._spin_id = spin_id
        self._names = names
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._session.fetch(self._spin_id, name)
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


class SpinSession:
    """One flow file, one warm kernel, any number of spins."""

    def __init__(
        self,
        flow_file: str | os.PathLike[str],
        flow: str | None = None,
        python: str | None = None,
        env: Mapping[str, str] | None = None,
        kernel_log: str | None = None,
        history_dir: str | os.PathLike[str] | None = None,
        keep_history: int = DEFAULT_KEEP,
    ) -> None:
        self.flow_file = str(Path(flow_file).resolve())
        if not os.path.exists(self.flow_file):
            raise SpinError(f"Flow file {self.flow_file} does not exist.")
        self.flow = flow  # the flow class to spin; None: the file's main flow
        self.python = python or sys.executable
        self.env = dict(env) if env is not None else None
        self.kernel_log = kernel_log
        # Spin history (".spinlens" beside the flow unless told); keep_history=0 keeps none.
        folder = Path(history_dir) if history_dir else Path(self.flow_file).parent / HISTORY_DIR
        self.history = History(folder, keep_history) if keep_history > 0 else None
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._log_file: Any = None
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._current_spin: str | None = None
        self.interrupted = False  # the last spin saw a Ctrl-C (KeyboardInterrupt)
        self.kernel_starts = 0

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> SpinSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def kernel_pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def start(self) -> None:
        """Start the kernel now rather than on the first spin."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self._stop_kernel()
        parent, child = socket.socketpair()
        env = dict(self.env if self.env is not None else os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.get("PYTHONPATH")]))
        self._log_file = (
            open(self.kernel_log, "ab")  # noqa: SIM115 (kept open for the kernel's life)
            if self.kernel_log
            else tempfile.TemporaryFile()
        )
        try:
            self._proc = self._launch(child, env)
        except OSError as exc:  # no such interpreter, or not executable
            parent.close()
            child.close()
            raise SpinError(
                f"Cannot start the spin kernel with {self.python}: {exc.strerror or exc}. "
                "Choose an existing Python that has Metaflow (the spinlens.python setting "
                "in the editor)."
            ) from None
        child.close()
        self._sock = parent
        self.kernel_starts += 1
        try:
            header, _ = recv_frame(parent)
        except ChannelClosed:
            missing = _missing_metaflow(self.python, env)
            if missing is not None:
                raise missing from None
            raise KernelDied(f"The spin kernel did not start:\n{self._kernel_output()}") from None
        if header.get("op") != "ready":
            raise KernelDied(f"The spin kernel said {header!r} instead of ready.")

    def _launch(self, child: socket.socket, env: dict[str, str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                self.python,
                "-m",
                "spinlens.engine.kernel",
                "--fd",
                str(child.fileno()),
                "--flow-file",
                self.flow_file,
            ],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=self._log_file,
            cwd=os.path.dirname(self.flow_file),
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C is ours to turn into a cancel
        )

    def restart(self) -> None:
        self._stop_kernel()
        self.start()

    def close(self) -> None:
        self._stop_kernel()

    def _stop_kernel(self) -> None:
        if self._sock is not None:
            try:
                with self._send_lock:
                    send_frame(self._sock, {"op": "shutdown"})
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _kernel_output(self) -> str:
        if self._log_file is None:
            return ""
        self._log_file.seek(0)
        return self._log_file.read()[-4000:].decode(errors="replace")

    # -- spins ------------------------------------------------------------------
    def _flow_info(self, source: str | None) -> FlowInfo:
        """The flow in the file (or in unsaved text for it), by static analysis."""
        if source is None:
            analysis = analyze_file(self.flow_file)
        else:
            analysis = analyze_source(source, self.flow_file)
        try:
            return analysis.flow(self.flow)
        except FlowAnalysisError as exc:
            error = SpinError(str(exc))
            error.code = exc.code  # syntax-error, no-flow or unknown-flow
            raise error from None

    def _precheck(self, spin_id: str, step: str, source: str | None) -> FlowInfo | Failed:
        """The flow to spin, by static analysis of the text that will run (the
        buffer's, when given); a missing file, a syntax error or an unknown step
        fails here, before any process work."""
        gone = self._flow_file_gone(spin_id, source)
        if gone is not None:
            return gone
        try:
            flow = self._flow_info(source)
        except SpinError as exc:
            return Failed(spin_id=spin_id, kind="setup", error=str(exc), code=exc.code)
        if flow.step(step) is None:
            steps = ", ".join(flow.step_names)
            return Failed(
                spin_id=spin_id,
                kind="setup",
                error=f"Flow {flow.name} has no step '{step}'. Steps: {steps}.",
                code="unknown-step",
            )
        return flow

    def _flow_file_gone(self, spin_id: str, source: str | None) -> Failed | None:
        """A flow file deleted or renamed since the session began (the kernel
        stays; the next spin after restoring it works)."""
        folder = os.path.dirname(self.flow_file)
        if not os.path.isdir(folder):
            error = (
                f"The folder of the flow file, {folder}, no longer exists (deleted or "
                f"renamed?); the spin kernel runs there. Restore it, or open the flow "
                f"where it is now."
            )
        elif source is None and not os.path.isfile(self.flow_file):
            error = (
                f"The flow file {self.flow_file} no longer exists (deleted or renamed?). "
                f"Restore it, or spin the file under its new name."
            )
        else:
            return None
        return Failed(spin_id=spin_id, kind="setup", error=error, code="flow-file-missing")

    def spin(
        self,
        step: str,
        run: str | None = None,
        index: int | None = None,
        task: str | None = None,
        overrides: Mapping[str, str] | None = None,
        source: str | None = None,
        artifacts_module: str | None = None,
        on_event: EventHandler | None = None,
        debug_port: int | None = None,
        terminal: bool = False,
        memory_limit_mb: int | None = None,
        iteration: int | None = None,
        skip_decorators: bool = False,
        decospecs: Sequence[str] = (),
        config_values: Mapping[str, Any] | None = None,
        configs: Mapping[str, str] | None = None,
    ) -> SpinResult:
        """Run the step's current code against a past run's inputs.

        ``overrides`` maps artifact names to Python literals (as ``--set``);
        ``source`` is unsaved editor text for the flow file. ``debug_port`` (0 for
        any free port) makes the spin wait for a DAP debugger on 127.0.0.1 before
        the step runs; a ``debug`` event says where. ``terminal`` hands this
        process's stdin/stdout to the step, so ``breakpoint()`` and post-mortem pdb
        on an exception work there. ``memory_limit_mb`` lets the step allocate at
        most that many MB more (a MemoryError in the step, reported as a
        ``memory`` failure); None or 0 sets no limit. ``step`` may be a Metaflow
        pathspec, ``RUN/STEP``, ``RUN/STEP/TASK`` or ``Flow/RUN/STEP[/TASK]``;
        ``iteration`` picks a recursive step's iteration (0 first, -1 last).
        Metaflow's spin decorators (``@environment``, ``@project``, ``@timeout``,
        ``@card``, ...) run unless ``skip_decorators``; ``decospecs`` adds some as
        ``--with`` does; ``config_values`` (name -> value) and ``configs`` (name
        -> file) replace the source run's Configs. Bad input, a failing
        step or a dead kernel give a result with status "failed", never an
        exception, except for errors in the request itself and a kernel that
        cannot start (``SpinError``, e.g. ``MetaflowMissing``).
        """
        step, run, task = parse_pathspec(step, run, task, self.flow)
        if task is not None and (index is not None or iteration is not None):
            raise SpinError("Give either a task or an index/iteration, not both.")
        spin_id = new_spin_id()
        flow = self._precheck(spin_id, step, source)
        if isinstance(flow, Failed):
            if on_event:
                on_event(flow)
            return self._result(spin_id, step, [flow], flow)
        request = {
            "op": "spin",
            "id": next(self._ids),
            "spin_id": spin_id,
            "flow": flow.name,
            "step": step,
            "run": run,
            "index": index,
            "task": task,
            "iteration": iteration,
            "overrides": dict(overrides or {}),
            "source": source,
            "artifacts_module": os.path.abspath(artifacts_module) if artifacts_module else None,
            "history_dir": str(self.history.root) if self.history else None,
            "history_keep": self.history.keep if self.history else 0,
            "debug_port": debug_port,
            "terminal": terminal,
            "memory_limit_mb": memory_limit_mb or None,
            "skip_decorators": skip_decorators,
            "decospecs": list(decospecs),
            "config_values": dict(config_values or {}),
            "config_files": {name: os.path.abspath(path) for name, path in (configs or {}).items()},
        }
        started = time.perf_counter()
        collected: list[Event] = []
        try:
            fds = [sys.stdin.fileno(), sys.stdout.fileno()] if terminal else []
            outcome = self._request_spin(request, collected, on_event, fds)
        except (ChannelClosed, OSError):
            output = self._kernel_output()
            self._stop_kernel()
            outcome = Failed(
                spin_id=spin_id,
                kind="crash",
                error="The spin kernel stopped unexpectedly; the next spin starts a new one."
                + (f"\n{output}" if output else ""),
            )
            collected.append(outcome)
            if on_event:
                on_event(outcome)
        finally:
            self._current_spin = None
        result = self._result(spin_id, step, collected, outcome)
        result.timings["total_s"] = time.perf_counter() - started
        return result

    def _request_spin(
        self,
        request: dict[str, Any],
        collected: list[Event],
        on_event: EventHandler | None,
        fds: list[int],
    ) -> Finished | Failed:
        """Send the spin and collect its events; a kernel found dead before it
        answered (killed from outside since the last spin) is replaced once."""
        retried = False
        while True:
            self.start()
            try:
                with self._send_lock:
                    assert self._sock is not None
                    send_frame(self._sock, request, fds=fds)
                self._current_spin = request["spin_id"]
                return self._collect(request["spin_id"], collected, on_event)
            except (ChannelClosed, OSError):
                if collected or retried:
                    raise
                retried = True
                self._stop_kernel()

    def _collect(
        self, spin_id: str, collected: list[Event], on_event: EventHandler | None
    ) -> Finished | Failed:
        """Events until the terminal one. Ctrl-C (KeyboardInterrupt, wherever it
        lands) asks the kernel to cancel and is remembered in ``interrupted``; the
        spin still ends with the kernel's answer."""
        assert self._sock is not None
        self.interrupted = False
        event: Event | None = None
        while not isinstance(event, (Finished, Failed)):
            try:
                event = None
                header, _ = recv_frame(self._sock)
                # Metaflow's internal artifacts come as one "events" frame.
                batch: list[dict[str, Any]] = (
                    list(header.get("events") or []) if header.get("op") == "events" else [header]
                )
                for data in batch:
                    if data.get("spin_id") != spin_id or data.pop("op", "event") != "event":
                        continue
                    event = from_dict(data)
                    collected.append(event)
                    if on_event:
                        on_event(event)
            except KeyboardInterrupt:
                self.interrupted = True
                self.cancel()
        return event

    def _result(
        self, spin_id: str, step: str, collected: list[Event], terminal: Event
    ) -> SpinResult:
        started = next((e for e in collected if isinstance(e, Started)), None)
        result = SpinResult(
            spin_id=spin_id,
            step=step,
            status="ok" if isinstance(terminal, Finished) else "failed",
            events=collected,
            source=started.source if started else None,
        )
        if isinstance(terminal, Finished):
            result.next_steps = terminal.next_steps
            result.foreach = terminal.foreach
            result.removed = terminal.removed
            result.timings = dict(terminal.timings)
            names = [e.name for e in collected if isinstance(e, Artifact)]
            result.artifacts = LazyArtifacts(self, spin_id, names)
            result.cards = tuple(SpinCard(c.type, c.id, c.path) for c in terminal.cards)
        else:
            assert isinstance(terminal, Failed)
            result.failure = terminal
            result.timings = dict(terminal.timings)
            # Read back from the spin history: a failed spin's process is gone.
            result.artifacts = LazyArtifacts(self, spin_id, list(result.partial))
        return result

    def cancel(self) -> None:
        """Cancel the running spin, if any (safe to call from another thread)."""
        spin_id = self._current_spin
        if spin_id is None or self._sock is None:
            return
        try:
            with self._send_lock:
                send_frame(self._sock, {"op": "cancel", "spin_id": spin_id})
        except OSError:
            pass

    def fetch(self, spin_id: str, name: str) -> Any:
        """The value of one output artifact of a spin: from the kernel while it
        holds the spin's values (the latest spin's), else from the spin history."""
        if self._sock is None:
            return self._from_history(
                spin_id, name, "values live in the session's kernel and its history"
            )
        request_id = next(self._ids)
        with self._send_lock:
            send_frame(
                self._sock, {"op": "fetch", "id": request_id, "spin_id": spin_id, "name": name}
            )
        while True:
            header, payload = recv_frame(self._sock)
            if header.get("id") != request_id:
                continue
            if header.get("op") == "error":
                return self._from_history(spin_id, name, str(header.get("error")))
            return pickle.loads(payload)

    def _from_history(self, spin_id: str, name: str, error: str) -> Any:
        if self.history is not None:
            try:
                return self.history.load(spin_id, name)
            except KeyError:
                pass
        raise SpinError(f"Artifact {name!r} of spin {spin_id}: {error}")
