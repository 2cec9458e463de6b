"""``SpinSession``: the Python API that the CLI, the editor server, tests and benchmarks use.

A session owns one warm kernel for one flow file and turns its frames into
``SpinResult`` objects. Artifact values stay in the spin's process until asked
for, so a spin never pays to ship back a 160 MB input it merely passed through.
"""

from __future__ import annotations

import enum
import itertools
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from .engine.history import DEFAULT_KEEP, HISTORY_DIR, History
from .errors import SpinError
from .flow_analysis import FlowAnalysisError, FlowInfo, analyze_file, analyze_source
from .wire.events import Artifact, Event, Failed, Finished, Log, SourceInfo, Started
from .wire.frames import (
    BadFrame,
    CancelRequest,
    ErrorReply,
    FetchRequest,
    PreviewReply,
    PreviewRequest,
    PrewarmReply,
    PrewarmRequest,
    Ready,
    ShutdownRequest,
    SpinRequest,
    ValuePageReply,
    ValuePageRequest,
    events_in_frame,
    fetch_reply_from_frame,
    from_frame,
    preview_reply_from_frame,
    prewarm_reply_from_frame,
    to_frame,
    value_page_reply_from_frame,
)
from .wire.ids import is_spin_id, new_spin_id
from .wire.ipc import ChannelClosed, recv_frame, send_frame

EventHandler = Callable[[Event], None]

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


__all__ = [
    "SESSION_HISTORY",
    "KernelDied",
    "MetaflowMissing",
    "SpinCard",
    "SpinResult",
    "SpinSession",
    "is_spin_id",
    "new_spin_id",
    "parse_pathspec",
]


class _Default(enum.Enum):
    SESSION_HISTORY = "the session's history"


# ``spin(history=SESSION_HISTORY)``: record the spin in the session's own history.
SESSION_HISTORY: Final = _Default.SESSION_HISTORY
HistoryChoice = History | None | Literal[_Default.SESSION_HISTORY]

# Ids remembered by ``cancel`` (cancelled before their spin began, and spins
# that ended): enough for any queue of spins, bounded so they never pile up.
_REMEMBERED_IDS = 256


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

    def __init__(
        self, session: SpinSession, spin_id: str, names: list[str], history: History | None
    ) -> None:
        self._session = session
        self._spin_id = spin_id
        self._names = names
        self._history = history  # the one the spin was recorded in
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = self._session.fetch(self._spin_id, name, history=self._history)
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
        self._stop_lock = threading.Lock()
        self._ids = itertools.count(1)
        # What cancel() needs, under _state_lock: the spin inside spin() (and
        # whether the kernel has it yet), ids cancelled before their spin began,
        # and ids of spins that ended (a late cancel of one does nothing).
        self._state_lock = threading.Lock()
        self._active_spin: str | None = None
        self._active_sent = False
        self._cancelled_early: OrderedDict[str, None] = OrderedDict()
        self._ended: OrderedDict[str, None] = OrderedDict()
        self.interrupted = False  # the last spin saw a Ctrl-C (KeyboardInterrupt)
        self.kernel_starts = 0
        # How the last stopped kernel ended: 0 by itself, negative by a signal
        # (-9: it did not exit within 5 s and was killed). None: none stopped yet.
        self.last_kernel_exit: int | None = None

    # -- lifecycle --------------------------------------------------------------
    def __enter__(self) -> SpinSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def kernel_pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc and proc.poll() is None else None

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
        try:
            from_frame(header, Ready)  # nothing else in it is needed
        except BadFrame:
            raise KernelDied(f"The spin kernel said {header!r} instead of ready.") from None

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
        """Stop the kernel; two threads may call it at once (``close`` while the
        spin's thread finds the kernel gone): one of them does the work."""
        with self._stop_lock:
            sock, self._sock = self._sock, None
            proc, self._proc = self._proc, None
            log_file, self._log_file = self._log_file, None
        if sock is not None:
            try:
                with self._send_lock:
                    send_frame(sock, to_frame(ShutdownRequest()))
            except OSError:
                pass
            sock.close()
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self.last_kernel_exit = proc.returncode
        if log_file is not None:
            log_file.close()

    def _kernel_output(self) -> str:
        log_file = self._log_file
        if log_file is None:
            return ""
        try:
            log_file.seek(0)
            return log_file.read()[-4000:].decode(errors="replace")
        except (OSError, ValueError):  # closed meanwhile by close() in another thread
            return ""

    # -- spins ------------------------------------------------------------------
    def _flow_info(self, source: str | None, flow: str | None) -> FlowInfo:
        """The flow in the file (or in unsaved text for it), by static analysis."""
        if source is None:
            analysis = analyze_file(self.flow_file)
        else:
            analysis = analyze_source(source, self.flow_file)
        try:
            return analysis.flow(flow)
        except FlowAnalysisError as exc:
            error = SpinError(str(exc))
            error.code = exc.code  # syntax-error, no-flow or unknown-flow
            raise error from None

    def _precheck(
        self, spin_id: str, step: str, source: str | None, flow_name: str | None
    ) -> FlowInfo | Failed:
        """The flow to spin, by static analysis of the text that will run (the
        buffer's, when given); a missing file, a syntax error or an unknown step
        fails here, before any process work."""
        gone = self._flow_file_gone(spin_id, source)
        if gone is not None:
            return gone
        try:
            flow = self._flow_info(source, flow_name)
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
        flow: str | None = None,
        history: HistoryChoice = SESSION_HISTORY,
        spin_id: str | None = None,
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
        -> file) replace the source run's Configs. ``flow`` is the flow class
        (None: the session's ``flow``, else the file's main flow); ``history``
        the ``History`` to record the spin in (None: none; by default the
        session's); ``spin_id`` the spin's id (by default a new one), which
        ``cancel`` takes even before this call. Bad input, a failing
        step or a dead kernel give a result with status "failed", never an
        exception, except for errors in the request itself (a malformed or
        reused ``spin_id``) and a kernel that cannot start (``SpinError``, e.g.
        ``MetaflowMissing``).
        """
        flow_name = flow if flow is not None else self.flow
        step, run, task = parse_pathspec(step, run, task, flow_name)
        if task is not None and (index is not None or iteration is not None):
            raise SpinError("Give either a task or an index/iteration, not both.")
        spin_id = self._begin(spin_id)
        record_in = self.history if history is SESSION_HISTORY else history
        try:
            with self._state_lock:
                early = self._cancelled_before_sent(spin_id)
            checked = early or self._precheck(spin_id, step, source, flow_name)
            if isinstance(checked, Failed):
                return self._refused(checked, step, on_event)
            request = SpinRequest(
                id=next(self._ids),
                spin_id=spin_id,
                flow=checked.name,
                step=step,
                run=run,
                index=index,
                task=task,
                iteration=iteration,
                overrides=dict(overrides or {}),
                source=source,
                artifacts_module=os.path.abspath(artifacts_module) if artifacts_module else None,
                history_dir=str(record_in.root) if record_in else None,
                history_keep=record_in.keep if record_in else 0,
                debug_port=debug_port,
                terminal=terminal,
                memory_limit_mb=memory_limit_mb or None,
                skip_decorators=skip_decorators,
                decospecs=list(decospecs),
                config_values=dict(config_values or {}),
                config_files={
                    name: os.path.abspath(path) for name, path in (configs or {}).items()
                },
            )
            return self._run(request, record_in, on_event)
        finally:
            self._end(spin_id)

    def _run(
        self, request: SpinRequest, history: History | None, on_event: EventHandler | None
    ) -> SpinResult:
        started = time.perf_counter()
        collected: list[Event] = []
        try:
            fds = [sys.stdin.fileno(), sys.stdout.fileno()] if request.terminal else []
            outcome = self._request_spin(request, collected, on_event, fds)
        except (ChannelClosed, OSError):
            output = self._kernel_output()
            self._stop_kernel()
            outcome = Failed(
                spin_id=request.spin_id,
                kind="crash",
                error="The spin kernel stopped unexpectedly; the next spin starts a new one."
                + (f"\n{output}" if output else ""),
            )
            collected.append(outcome)
            if on_event:
                on_event(outcome)
        result = self._result(request.spin_id, request.step, collected, outcome, history)
        result.timings["total_s"] = time.perf_counter() - started
        return result

    def _refused(self, failed: Failed, step: str, on_event: EventHandler | None) -> SpinResult:
        """A spin that ends before the kernel hears of it."""
        if on_event:
            on_event(failed)
        return self._result(failed.spin_id, step, [failed], failed, None)

    # -- spin ids and cancels -----------------------------------------------------
    def _begin(self, spin_id: str | None) -> str:
        if spin_id is None:
            spin_id = new_spin_id()
        elif not is_spin_id(spin_id):
            raise SpinError(
                f"{spin_id!r} is not a spin id: ids look like 20261127-170109-a1b2c3 "
                "(date, time, six hex digits)."
            )
        with self._state_lock:
            if spin_id in self._ended or spin_id == self._active_spin:
                raise SpinError(f"Spin {spin_id} has already run in this session.")
            if self._active_spin is not None:
                raise SpinError(
                    f"Spin {self._active_spin} is still running: a session runs one spin at a time."
                )
            self._active_spin = spin_id
            self._active_sent = False
        return spin_id

    def _end(self, spin_id: str) -> None:
        with self._state_lock:
            self._active_spin = None
            self._active_sent = False
            self._cancelled_early.pop(spin_id, None)
            _remember(self._ended, spin_id)

    def _cancelled_before_sent(self, spin_id: str) -> Failed | None:
        """The end of a spin cancelled before the kernel had it (under ``_state_lock``)."""
        if spin_id not in self._cancelled_early:
            return None
        return Failed(spin_id=spin_id, kind="cancelled", error="Cancelled before it started.")

    def _request_spin(
        self,
        request: SpinRequest,
        collected: list[Event],
        on_event: EventHandler | None,
        fds: list[int],
    ) -> Finished | Failed:
        """Send the spin and collect its events; a kernel found dead before it
        answered (killed from outside since the last spin) is replaced once."""
        retried = False
        spin_id = request.spin_id
        while True:
            self.start()
            try:
                with self._state_lock:
                    # Checked and sent under one lock: a cancel either comes
                    # before (and is honoured here) or finds the spin sent.
                    early = self._cancelled_before_sent(spin_id)
                    if early is None:
                        with self._send_lock:
                            assert self._sock is not None
                            send_frame(self._sock, to_frame(request), fds=fds)
                        self._active_sent = True
                if early is not None:
                    collected.append(early)
                    if on_event:
                        on_event(early)
                    return early
                return self._collect(request, collected, on_event)
            except (ChannelClosed, OSError):
                if collected or retried:
                    raise
                retried = True
                with self._state_lock:  # a cancel now waits for the new kernel
                    self._active_sent = False
                self._stop_kernel()

    def _collect(
        self, request: SpinRequest, collected: list[Event], on_event: EventHandler | None
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
                for event in self._events_in(header, request):
                    collected.append(event)
                    if on_event:
                        on_event(event)
            except KeyboardInterrupt:
                self.interrupted = True
                self.cancel()
        return event

    @staticmethod
    def _events_in(header: dict[str, Any], request: SpinRequest) -> Iterator[Event]:
        """The spin's events a frame holds; the kernel's refusal of the request
        (it could not read it: another Spinlens version?) ends the spin."""
        if header.get("op") == ErrorReply.OP and header.get("id") == request.id:
            error = from_frame(header, ErrorReply).error
            yield Failed(
                spin_id=request.spin_id,
                kind="setup",
                error=f"The spin kernel refused the spin: {error}",
            )
            return
        yield from events_in_frame(header, request.spin_id)

    def _result(
        self,
        spin_id: str,
        step: str,
        collected: list[Event],
        terminal: Event,
        history: History | None,
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
            result.artifacts = LazyArtifacts(self, spin_id, names, history)
            result.cards = tuple(SpinCard(c.type, c.id, c.path) for c in terminal.cards)
        else:
            assert isinstance(terminal, Failed)
            result.failure = terminal
            result.timings = dict(terminal.timings)
            # Read back from the spin history: a failed spin's process is gone.
            result.artifacts = LazyArtifacts(self, spin_id, list(result.partial), history)
        return result

    def cancel(self, spin_id: str | None = None) -> bool:
        """Cancel a spin (safe to call from any thread): ``spin_id``, or None for
        the one running. A spin the kernel does not have yet (its ``spin()`` not
        called, or waiting for the kernel to start) ends as soon as it gets
        there, ``cancelled``, without reaching the kernel; a running one is
        stopped. False if there is nothing to cancel: no spin running,
        ``spin_id`` ended already, or it is no spin id at all."""
        if spin_id is not None and not is_spin_id(spin_id):
            return False
        with self._state_lock:
            if spin_id is None:
                spin_id = self._active_spin
                if spin_id is None:
                    return False
            if spin_id != self._active_spin or not self._active_sent:
                if spin_id in self._ended:
                    return False
                _remember(self._cancelled_early, spin_id)
                return True
            try:
                with self._send_lock:
                    if self._sock is not None:
                        send_frame(self._sock, to_frame(CancelRequest(spin_id=spin_id)))
            except OSError:
                pass  # the kernel is gone: the spin ends as a crash anyway
            return True

    def fetch(self, spin_id: str, name: str, history: HistoryChoice = SESSION_HISTORY) -> Any:
        """The value of one output artifact of a spin: from the kernel while it
        holds the spin's values (the latest spin's), else from ``history`` (by
        default the session's), where the spin was recorded."""
        if history is SESSION_HISTORY:
            history = self.history
        if self._sock is None:
            return self._from_history(
                spin_id, name, history, "values live in the session's kernel and its history"
            )
        request = FetchRequest(id=next(self._ids), spin_id=spin_id, name=name)
        with self._send_lock:
            send_frame(self._sock, to_frame(request))
        header, payload = self._reply_to(request.id)
        reply = fetch_reply_from_frame(header)
        if isinstance(reply, ErrorReply):
            return self._from_history(spin_id, name, history, reply.error)
        return pickle.loads(payload)

    def preview(
        self,
        step: str,
        name: str,
        run: str | None = None,
        parent: str | None = None,
        flow: str | None = None,
    ) -> PreviewReply:
        """A bounded description of one artifact of the source run (type, stored
        size, a short text), from the running kernel only: it never starts one.
        ``parent`` names the input of a join (``"*"``: its first); ``run`` None is
        the latest successful run. ``SpinError`` says why there is none. Like
        ``fetch``, not to be called while a spin runs in another thread."""
        flow_name = flow if flow is not None else self.flow
        if self._sock is None or self.kernel_pid is None:
            raise SpinError("No kernel is running for this flow file.")
        if flow_name is None:
            flow_name = self._flow_info(None, None).name
        request = PreviewRequest(
            id=next(self._ids), flow=flow_name, step=step, name=name, run=run, parent=parent
        )
        with self._send_lock:
            send_frame(self._sock, to_frame(request))
        reply = preview_reply_from_frame(self._reply_to(request.id)[0])
        if isinstance(reply, ErrorReply):
            raise SpinError(reply.error)
        return reply

    def prewarm(
        self,
        step: str,
        run: str | None = None,
        index: int | None = None,
        task: str | None = None,
        flow: str | None = None,
        budget_mb: int | None = None,
    ) -> PrewarmReply:
        """Start the kernel (if needed) and have it load ``step``'s inputs and fork
        its spare now, so the first spin of it is warm. Inputs whose recorded
        size exceeds what is left of ``budget_mb`` are skipped (None: no bound);
        ``preempt_prewarm`` from another thread ends the loading early. Not to be
        called while a spin runs in another thread; ``SpinError`` says why not."""
        request_id = self.send_prewarm(step, run, index, task, flow, budget_mb)
        return self.prewarm_reply(request_id)

    def send_prewarm(
        self,
        step: str,
        run: str | None = None,
        index: int | None = None,
        task: str | None = None,
        flow: str | None = None,
        budget_mb: int | None = None,
    ) -> int:
        """``prewarm``'s first half: start the kernel, send the request; its id."""
        flow_name = flow if flow is not None else self.flow
        if flow_name is None:
            flow_name = self._flow_info(None, None).name
        self.start()
        assert self._sock is not None
        request = PrewarmRequest(
            id=next(self._ids),
            flow=flow_name,
            step=step,
            run=run,
            index=index,
            task=task,
            budget_mb=budget_mb,
        )
        with self._send_lock:
            send_frame(self._sock, to_frame(request))
        return request.id

    def prewarm_reply(self, request_id: int) -> PrewarmReply:
        """``prewarm``'s second half: wait for the kernel's reply to ``request_id``."""
        reply = prewarm_reply_from_frame(self._reply_to(request_id)[0])
        if isinstance(reply, ErrorReply):
            raise SpinError(reply.error)
        return reply

    def preempt_prewarm(self) -> None:
        """End a prewarm's loading early (any thread): any frame does that, and a
        cancel of no spin is otherwise ignored by the kernel."""
        with self._send_lock:
            if self._sock is not None:
                try:
                    send_frame(self._sock, to_frame(CancelRequest(spin_id="prewarm")))
                except OSError:
                    pass  # the kernel is gone; the prewarm's reader sees that

    def value_page(
        self,
        name: str,
        spin_id: str | None = None,
        task: str | None = None,
        path: Sequence[int] = (),
        offset: int = 0,
        limit: int = 100,
        sort: str | None = None,
        descending: bool = False,
        as_text: bool = False,
    ) -> dict[str, Any]:
        """One page of a value for the value viewer (``engine/value_pages.py``): a
        spin's output ``name`` (``spin_id``, from its parked child: the latest
        spin's only) or artifact ``name`` of a source-run ``task`` pathspec. From
        the running kernel only: it never starts one. ``SpinError`` says why not."""
        if self._sock is None or self.kernel_pid is None:
            raise SpinError("No kernel is running for this flow file: spin the step again.")
        request = ValuePageRequest(
            id=next(self._ids),
            name=name,
            spin_id=spin_id,
            task=task,
            path=list(path),
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
            as_text=as_text,
        )
        with self._send_lock:
            send_frame(self._sock, to_frame(request))
        reply = value_page_reply_from_frame(self._reply_to(request.id)[0])
        if isinstance(reply, ErrorReply):
            raise SpinError(reply.error)
        assert isinstance(reply, ValuePageReply)
        return reply.page

    def _reply_to(self, request_id: int) -> tuple[dict[str, Any], bytes]:
        """The kernel's frame answering ``request_id`` (a fetch, preview, prewarm
        or value page), skipping late events of an ended spin."""
        assert self._sock is not None
        while True:
            header, payload = recv_frame(self._sock)
            if header.get("id") == request_id and header.get("op") != "event":
                return header, payload

    @staticmethod
    def _from_history(spin_id: str, name: str, history: History | None, error: str) -> Any:
        if history is not None:
            try:
                return history.load(spin_id, name)
            except KeyError:
                pass
        raise SpinError(f"Artifact {name!r} of spin {spin_id}: {error}")


def _remember(ids: OrderedDict[str, None], spin_id: str) -> None:
    """Add an id to a bounded record, forgetting the oldest past the bound."""
    ids[spin_id] = None
    ids.move_to_end(spin_id)
    while len(ids) > _REMEMBERED_IDS:
        ids.popitem(last=False)
