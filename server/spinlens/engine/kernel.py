"""The spin kernel: a warm, single-threaded process that holds a flow's inputs.

It imports Metaflow and the flow's imports once, resolves and loads the inputs
of the step asked for, and forks one child per spin (what a child does once
forked is ``child.py``). It never runs step code itself, so a crash, a hang or
``sys.exit`` in a step only ever ends a child.

Started by a ``SpinSession`` as ``python -m spinlens.engine.kernel --fd N --flow-file F``;
it talks over the inherited socket N in ``ipc`` frames and exits when that
socket closes.
"""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import gc
import importlib
import io
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
import tokenize
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metaflow import metaflow_git, metaflow_version
from metaflow.plugins.datastores.spin_storage import SpinStorage

from ..errors import SpinError
from ..flow_analysis import analyze_file
from ..wire import events
from ..wire.frames import (
    BadFrame,
    CancelRequest,
    ErrorReply,
    FetchRequest,
    KernelRequest,
    PreviewReply,
    PreviewRequest,
    PrewarmReply,
    PrewarmRequest,
    Ready,
    RunRequest,
    ShutdownRequest,
    SpareAnswer,
    SpinRequest,
    SpinSpec,
    ValuePageReply,
    ValuePageRequest,
    event_frame,
    from_frame,
    request_from_frame,
    to_frame,
)
from ..wire.ipc import ChannelClosed, recv_frame, recv_frame_with_fds, send_frame
from .child import child_main
from .debugger import preload as preload_debugger
from .flow_loader import flow_text, user_module_files
from .history import DEFAULT_KEEP
from .inputs import InputStore
from .limits import LogBudget
from .metaflow_env import ensure_user
from .preview import SourcePreviews
from .resolve import Resolved, Target, latest_successful_run, resolve
from .step_sources import install as install_step_sources
from .step_sources import prime as prime_step_sources
from .value_pages import SourceArtifacts, ValuePageError, ValuePages, page_request

_READ_CHUNK = 1 << 16

# A request and the file descriptors that came with it (a terminal, for pdb).
Received = tuple[KernelRequest, list[int]]

# How long a spin waits for the speculative spare to finish building the flow
# (it has had the time between spins) before the plain spare runs it instead.
_HAND_OVER_TIMEOUT_S = 5.0


_SCRATCH_PREFIX = "spinlens-kernel-"


def _scratch_folder() -> str:
    """This kernel's folder for Metaflow's spin datastore, named with its pid.

    In memory-backed /dev/shm when there is one: Metaflow writes a dozen small
    metadata files per spin, which cost milliseconds on an overlay disk. Folders
    of kernels that died without cleaning up (SIGKILL) are removed here.
    """
    shm = "/dev/shm"
    parent = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else tempfile.gettempdir()
    for stale in Path(parent).glob(f"{_SCRATCH_PREFIX}*-*"):
        pid = stale.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-", dir=parent)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _describe_exit(status: int) -> tuple[events.FailureKind, str]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name
        hint = " (out of memory, or killed from outside)" if sig == signal.SIGKILL else ""
        return "crash", f"The spin process died from signal {name}{hint}."
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return "exit", (
        f"The step ended its process with exit status {code} (os._exit?) "
        f"before it finished; a step should end with self.next()."
    )


@dataclass
class Child:
    pid: int
    sock: socket.socket
    streams: dict[int, events.Stream] = field(default_factory=dict)  # fd -> stream
    decoders: dict[int, Any] = field(default_factory=dict)
    spin_id: str = ""  # set when the child is given a spin
    debug: bool = False  # its spin waits for (or runs under) a debugger
    log_budget: LogBudget = field(default_factory=LogBudget)  # output still forwarded

    def alive(self) -> bool:
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def kill(self) -> None:
        for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, 9)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass

    def reap(self) -> int:
        try:
            return os.waitpid(self.pid, 0)[1]
        except ChildProcessError:
            return 0

    def close(self) -> None:
        self.sock.close()
        for fd in list(self.streams):
            os.close(fd)
        self.streams.clear()


class Kernel:
    def __init__(self, sock: socket.socket, flow_file: str) -> None:
        self.sock = sock
        self.flow_file = flow_file
        self.root = os.path.dirname(flow_file)
        self.store = InputStore()
        self.loaded: tuple[Target, Resolved] | None = None
        self.previews = SourcePreviews(self.store)  # the editor's hover on source values
        self.source_values = SourceArtifacts(self.store.values)  # the value viewer's
        self.value_pages = ValuePages()
        self.parked: Child | None = None  # ran the latest spin; serves its values
        # Forked ahead, idle, for the next spin of the loaded target: a fork of a
        # kernel holding large inputs costs ~15 ms, better paid between spins.
        self.spare: tuple[Target, Child] | None = None
        # Beside it, for the same target, a spare that has built the last spin's
        # flow ahead (``speculation.py``): it takes the next spin if that fits.
        self.ahead: Child | None = None
        self.pending: deque[Received] = deque()
        self.module_snapshot: dict[str, tuple[str, float]] = {}
        self.dying: list[int] = []  # killed children not yet reaped
        self.notes_said: set[str] = set()
        self.debugger_imported = False  # debugpy, for every spare (see _run_spin)
        # Metaflow's spin-step writes a task's metadata (and cards) into a spin
        # datastore; ours lives here, never beside the flow or the original run.
        self.scratch = _scratch_folder()
        SpinStorage.SYSROOT_VAR = self.scratch
        os.environ["METAFLOW_DATASTORE_SYSROOT_SPIN"] = self.scratch  # a card's process

    # -- start-up -----------------------------------------------------------
    def warm_up(self) -> None:
        """Import what the flow imports, and Metaflow's CLI with its spin-step
        command, so a spin child finds them in memory."""
        importlib.import_module("metaflow.cli_components.step_cmd")
        # Metaflow caches these per process; asked in every child, each would
        # cost a git subprocess.
        metaflow_version.get_version()
        metaflow_git.get_repository_info(self.root)
        # Metaflow reads each step's source with inspect, whose tokenizer compiles
        # its regular expressions on first use (~7 ms): once here, not per child.
        list(tokenize.generate_tokens(io.StringIO("x = 1\n").readline))
        install_step_sources()
        try:
            imports = analyze_file(self.flow_file).imports
        except OSError:
            imports = ()  # the file is gone; an editor buffer of it can still be spun
        for name in imports:
            try:
                importlib.import_module(name)
            except (Exception, SystemExit):
                pass  # the child reports the error when the flow imports it
        self.module_snapshot = user_module_files(self.root)
        self._prime(None)

    # -- main loop ------------------------------------------------------------
    def serve(self) -> None:
        send_frame(self.sock, to_frame(Ready(pid=os.getpid(), python=sys.version)))
        while True:
            received = self.pending.popleft() if self.pending else self._receive()
            if received is None:
                return
            request, fds = received
            if isinstance(request, SpinRequest):
                self._spin(request, fds)
                continue
            _close(fds)  # only a spin's terminal travels with a request
            if isinstance(request, FetchRequest):
                self._fetch(request)
            elif isinstance(request, PreviewRequest):
                self._preview(request)
            elif isinstance(request, PrewarmRequest):
                self._prewarm(request)
            elif isinstance(request, ValuePageRequest):
                self._value_page(request)
            elif isinstance(request, ShutdownRequest):
                return
            # A cancel with nothing running is moot.

    def _receive(self) -> Received | None:
        """The next request, with the file descriptors sent with it; a frame
        that is no request is answered with an error here."""
        while True:
            try:
                header, _, fds = recv_frame_with_fds(self.sock)
            except ChannelClosed:
                return None
            try:
                return request_from_frame(header), fds
            except BadFrame as exc:
                _close(fds)
                reply = ErrorReply(id=header.get("id"), error=str(exc))
                send_frame(self.sock, to_frame(reply))

    def shutdown(self) -> None:
        self._release_parked()
        self._take_spare(None)
        self._reap_dying(wait=True)
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- inputs ---------------------------------------------------------------
    def _prepare(self, target: Target, progress: Any) -> tuple[Resolved, bool]:
        if self.loaded and self.loaded[0] == target and _still_current(*self.loaded):
            return self.loaded[1], True
        progress(f"resolving inputs of {target.flow}.{target.step}")
        resolved = resolve(target)
        self._load_inputs(resolved, progress)
        self._hold(target, resolved)
        return resolved, False

    def _load_inputs(
        self, resolved: Resolved, progress: Any, admit: Any = None, proceed: Any = None
    ) -> list[str]:
        """Load the parents' artifacts and the source task's (the baseline of
        "vs source" diffs); the names ``admit`` turned away. ``proceed`` bounds
        the downloads ahead of loading (InputStore.prefetch)."""
        tasks = [*resolved.parents, *([resolved.source_task] if resolved.source_task else [])]
        self.store.prefetch(tasks, progress, proceed)
        skipped: list[str] = []
        for task in tasks:
            skipped += self.store.load(task, keep=True, progress=progress, admit=admit)
        return skipped

    def _hold(self, target: Target, resolved: Resolved) -> None:
        """These inputs are the loaded ones; values of any others go."""
        keys = [k for p in resolved.parents for k in p.objects.values()]
        if resolved.source_task:
            keys += list(resolved.source_task.objects.values())
        self.store.retain_only(keys)
        self.loaded = (target, resolved)

    def _prewarm(self, request: PrewarmRequest) -> None:
        """What a spin of this target does before it runs: resolve, load, fork the
        spare. Within the budget, and only until another frame arrives (a spin, or
        a prewarm of another step): that frame is served next."""
        started = time.perf_counter()
        target = Target(
            flow=request.flow,
            step=request.step,
            run=request.run,
            index=request.index,
            task=request.task,
            iteration=request.iteration,
        )
        budget = None if request.budget_mb is None else request.budget_mb << 20
        loaded: list[str] = []
        used = 0
        preempted = False

        def admit(name: str, size: int) -> bool:
            nonlocal used
            if not proceed(used + size):
                return False
            loaded.append(name)
            used += size
            return True

        def proceed(size: int) -> bool:
            nonlocal preempted
            preempted = preempted or bool(select.select([self.sock], [], [], 0)[0])
            return not preempted and (budget is None or size <= budget)

        try:
            warm = bool(self.loaded and self.loaded[0] == target and _still_current(*self.loaded))
            skipped: list[str] = []
            if not warm:
                resolved = resolve(target)
                skipped = self._load_inputs(resolved, None, admit, proceed)
                if not skipped:  # everything a spin needs: as if it had prepared
                    self._hold(target, resolved)
                    self._take_spare(None)
                    self._reap_dying()
                    # The spare imports debugpy itself if the kernel has not
                    # yet: the kernel stays free for the next frame.
                    self.spare = (target, self._fork(resolved, debugger=not self.debugger_imported))
        except SpinError as exc:
            reply: PrewarmReply | ErrorReply = ErrorReply(id=request.id, error=str(exc))
        except Exception as exc:  # a Metaflow or datastore error: report, keep serving
            reply = ErrorReply(id=request.id, error=f"{type(exc).__name__}: {exc}")
        else:
            reply = PrewarmReply(
                id=request.id,
                loaded=loaded,
                skipped=skipped,
                preempted=preempted,
                warm=warm,
                seconds=time.perf_counter() - started,
            )
        send_frame(self.sock, to_frame(reply))

    # -- spins ----------------------------------------------------------------
    def _spin(self, request: SpinRequest, terminal: list[int]) -> None:
        try:
            self._run_spin(request, terminal)
        finally:
            _close(terminal)  # the child has its own copies by now

    def _run_spin(self, request: SpinRequest, terminal: list[int]) -> None:
        spec = SpinSpec(
            spin_id=request.spin_id,
            step=request.step,
            flow_file=self.flow_file,
            flow_class=request.flow,
            source=request.source,
            overrides=dict(request.overrides),
            artifacts_module=request.artifacts_module,
            history_dir=request.history_dir,
            history_keep=request.history_keep or DEFAULT_KEEP,
            debug_port=request.debug_port,
            memory_limit_mb=request.memory_limit_mb,
            skip_decorators=request.skip_decorators,
            decospecs=list(request.decospecs),
            config_values=dict(request.config_values),
            config_files=dict(request.config_files),
            scratch_dir=self.scratch,
        )
        target = Target(
            flow=request.flow,
            step=request.step,
            run=request.run,
            index=request.index,
            task=request.task,
            iteration=request.iteration,
        )
        self._release_parked()

        def emit(event: events.Event) -> None:
            send_frame(self.sock, event_frame(event))

        def progress(message: str) -> None:
            emit(events.Progress(spin_id=spec.spin_id, message=message))

        prepare_started = time.perf_counter()
        ahead, self.ahead = self.ahead, None
        if self.spare is None or self.spare[0] != target:  # built for another step
            self._end(ahead)
            ahead = None
        child = self._take_spare(target)
        try:
            resolved, warm = self._prepare(target, progress)
        except SpinError as exc:
            self._end(child)
            self._end(ahead)
            emit(events.Failed(spin_id=spec.spin_id, kind="setup", error=str(exc), code=exc.code))
            return
        except Exception as exc:  # a Metaflow or datastore error: report, keep serving
            self._end(child)
            self._end(ahead)
            emit(
                events.Failed(
                    spin_id=spec.spin_id, kind="setup", error=f"{type(exc).__name__}: {exc}"
                )
            )
            return
        if not warm:  # the spares hold the inputs of an older run
            self._end(child)
            self._end(ahead)
            child = ahead = None
        prepare_s = time.perf_counter() - prepare_started
        emit(
            events.Started(
                spin_id=spec.spin_id,
                flow=target.flow,
                step=target.step,
                flow_file=self.flow_file,
                source=resolved.source,
                warm=warm,
            )
        )
        if ahead is not None and self._hand_over(ahead, spec, terminal):
            self._end(child)
            child = ahead
        else:
            self._end(ahead)
            if child is None:
                child = self._fork(resolved)
            send_frame(child.sock, to_frame(RunRequest(spec=spec)), fds=terminal)
        child.spin_id = spec.spin_id
        child.debug = spec.debug_port is not None
        self._watch(child, prepare_s)
        self._reap_dying()
        text = self._prime(request.source)
        if not self.debugger_imported:
            # Once, while the user reads this spin's results: every later spare
            # has debugpy, so a click on "Debug this step" only listens.
            preload_debugger()
            self.debugger_imported = True
        if text is not None:
            self.ahead = self._fork(resolved, speculation=dataclasses.replace(spec, source=text))
        self.spare = (target, self._fork(resolved))

    def _hand_over(self, ahead: Child, spec: SpinSpec, terminal: list[int]) -> bool:
        """Offer the spin to the spare that built the last spin's flow; whether it
        took it (it declines, and exits, when the spin does not fit)."""
        try:
            send_frame(ahead.sock, to_frame(RunRequest(spec=spec)), fds=terminal)
            # It answers once it has built the flow: at once, unless this spin
            # followed the last one more closely than that takes.
            if not select.select([ahead.sock], [], [], _HAND_OVER_TIMEOUT_S)[0]:
                return False
            header, _ = recv_frame(ahead.sock)
            return from_frame(header, SpareAnswer).taken
        except (ChannelClosed, OSError, BadFrame):
            return False

    def _prime(self, source: str | None) -> str | None:
        """Read the steps of the text just spun ahead, for the spares to inherit:
        the next text is mostly the same (see ``step_sources``); that text."""
        try:
            text = flow_text(self.flow_file, source)
        except (OSError, UnicodeDecodeError):
            return None
        prime_step_sources(self.flow_file, text)
        return text

    def _take_spare(self, target: Target | None) -> Child | None:
        """The idle child forked for this target, if it is still good; else end it."""
        if self.spare is None or self.spare[0] != target:
            self._end(self.ahead)
            self.ahead = None
        if self.spare is None:
            return None
        spare_target, child = self.spare
        self.spare = None
        if spare_target == target and child.alive():
            return child
        self._end(child)
        return None

    def _end(self, child: Child | None) -> None:
        if child is not None:
            child.kill()
            child.close()
            self.dying.append(child.pid)

    def _fork(
        self, resolved: Resolved, debugger: bool = False, speculation: SpinSpec | None = None
    ) -> Child:
        """A child bound to these inputs, waiting for its spin (with debugpy
        imported while it waits, if ``debugger``; having built ``speculation``'s
        flow ahead, if given)."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        parent_sock, child_sock = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        # Move everything the kernel holds out of the collector's reach: a full
        # collection in the child would otherwise touch every object and turn
        # shared pages into private copies (90 ms with Metaflow and pandas loaded).
        gc.freeze()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the kernel loop
            try:
                self.sock.close()
                parent_sock.close()
                for other in (self.parked, self.ahead, self.spare[1] if self.spare else None):
                    if other is not None:  # another child's channels are not ours
                        other.close()
                for fd in (out_r, err_r):
                    os.close(fd)
                child_main(
                    self.store,
                    self.module_snapshot,
                    resolved,
                    child_sock,
                    out_w,
                    err_w,
                    debugger,
                    speculation,
                )
            except BaseException:  # noqa: B036 - a Spinlens fault: say so in the spin's output
                traceback.print_exc()
                sys.stderr.flush()
                os._exit(1)
            finally:
                os._exit(0)
        for fd in (out_w, err_w):
            os.close(fd)
        child_sock.close()
        child = Child(pid, parent_sock, {out_r: "stdout", err_r: "stderr"})
        for fd in child.streams:
            child.decoders[fd] = codecs.getincrementaldecoder("utf-8")(errors="replace")
        return child

    def _forward_logs(self, child: Child, fd: int, drain: bool = False) -> None:
        while fd in child.streams:
            if drain and not select.select([fd], [], [], 0)[0]:
                return
            data = os.read(fd, _READ_CHUNK)
            if not data:
                os.close(fd)
                del child.streams[fd]
                if not child.streams:  # all output read: say how much was not shown
                    self._send_log(child, "stderr", child.log_budget.closing())
                return
            # Past the spin's budget the bytes are still read (a child must never
            # block on a full pipe) but dropped, with one marker saying so.
            data, marker = child.log_budget.take(data)
            self._send_log(child, child.streams[fd], child.decoders[fd].decode(data))
            self._send_log(child, "stderr", marker)
            if not drain:
                return

    def _send_log(self, child: Child, stream: events.Stream, text: str | None) -> None:
        if text:
            log = events.Log(spin_id=child.spin_id, stream=stream, text=text)
            send_frame(self.sock, event_frame(log))

    def _watch(self, child: Child, prepare_s: float) -> None:
        terminal: str | None = None
        while terminal is None:
            watched: list[socket.socket | int] = [self.sock, child.sock, *child.streams]
            readable, _, _ = select.select(watched, [], [])
            for fd in list(child.streams):
                if fd in readable:
                    self._forward_logs(child, fd)
            if child.sock in readable:
                try:
                    header, _ = recv_frame(child.sock)
                except ChannelClosed:
                    terminal = "failed"
                    self._report_death(child)
                    break
                for fd in list(child.streams):  # logs written before this event go first
                    self._forward_logs(child, fd, drain=True)
                if header.get("event") == "finished":
                    header["timings"] = {"prepare_s": prepare_s, **header.get("timings", {})}
                if header.get("event") == "progress":
                    # A child's notes (decorators a spin skips) are said once per kernel.
                    if header.get("message") in self.notes_said:
                        continue
                    self.notes_said.add(str(header.get("message")))
                send_frame(self.sock, header)
                if header.get("event") in ("finished", "failed"):
                    terminal = header["event"]
            if self.sock in readable and terminal is None:
                received = self._receive()
                if received is None or isinstance(received[0], ShutdownRequest):
                    # The session is going away mid-spin: do not wait for the step.
                    child.kill()
                    child.reap()
                    child.close()
                    raise SystemExit(0)
                request, fds = received
                if isinstance(request, CancelRequest):
                    _close(fds)
                    if request.spin_id == child.spin_id:  # else late, for a spin that ended
                        self._cancel(child)
                        terminal = "failed"
                else:
                    self.pending.append(received)
        if terminal == "finished" and not child.debug:
            self.parked = child
        elif terminal == "finished":
            # A debug child exits once it has reported, so the debug session ends;
            # parked, it would keep the debugger attached to a finished spin.
            child.reap()
            child.close()
        else:
            child.kill()
            child.reap()
            child.close()

    def _cancel(self, child: Child) -> None:
        child.kill()
        child.reap()
        for fd in list(child.streams):
            self._forward_logs(child, fd, drain=True)
        cancelled = events.Failed(
            spin_id=child.spin_id, kind="cancelled", error="The spin was cancelled."
        )
        send_frame(self.sock, event_frame(cancelled))

    def _report_death(self, child: Child) -> None:
        for fd in list(child.streams):
            self._forward_logs(child, fd, drain=True)
        status = child.reap()
        kind, message = _describe_exit(status)
        if child.debug and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            # debugpy ends its debuggee with os._exit(0) when the debugger
            # disconnects with "terminate": the user stopped the spin.
            kind, message = "cancelled", "The debugger stopped the spin."
        failure = events.Failed(spin_id=child.spin_id, kind=kind, error=message)
        send_frame(self.sock, event_frame(failure))

    def _release_parked(self) -> None:
        """End the parked child; reaping it waits until after the next fork."""
        self._end(self.parked)
        self.parked = None

    def _reap_dying(self, wait: bool = False) -> None:
        for pid in list(self.dying):
            try:
                done, _ = os.waitpid(pid, 0 if wait else os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.dying.remove(pid)

    def _fetch(self, request: FetchRequest | ValuePageRequest) -> None:
        """Forward a fetch to the parked child, whose reply goes back as it is."""
        child = self.parked
        if child is None or child.spin_id != request.spin_id:
            error = (
                f"The values of spin {request.spin_id} are no longer held; "
                "the kernel keeps the latest spin's only."
            )
            send_frame(self.sock, to_frame(ErrorReply(id=request.id, error=error)))
            return
        try:
            send_frame(child.sock, to_frame(request))
            header, payload = recv_frame(child.sock)
        except (ChannelClosed, OSError):
            self.parked = None
            child.close()
            gone = ErrorReply(id=request.id, error="The spin process is gone.")
            send_frame(self.sock, to_frame(gone))
            return
        send_frame(self.sock, header, payload)

    def _preview(self, request: PreviewRequest) -> None:
        """A bounded description of one source-run artifact (never its value)."""
        try:
            found = self.previews.preview(
                request.flow, request.step, request.name, request.run, request.parent, self.loaded
            )
        except SpinError as exc:
            reply: PreviewReply | ErrorReply = ErrorReply(id=request.id, error=str(exc))
        except Exception as exc:  # a Metaflow or datastore error: report, keep serving
            reply = ErrorReply(id=request.id, error=f"{type(exc).__name__}: {exc}")
        else:
            reply = PreviewReply(
                id=request.id, type=found.type, size=found.size, text=found.text, task=found.task
            )
        send_frame(self.sock, to_frame(reply))

    def _value_page(self, request: ValuePageRequest) -> None:
        """A page of a spin's output (the parked child serves it, as a fetch) or
        of a source-run artifact (read here: warm inputs, else the datastore)."""
        if request.spin_id is not None:
            self._fetch(request)
            return
        try:
            if request.task is None:
                raise ValuePageError("A value page names a spin or a task.")
            key, value = self.source_values.value(request.task, request.name)
            page = self.value_pages.page(key, value, page_request(request))
        except ValuePageError as exc:
            reply: ValuePageReply | ErrorReply = ErrorReply(id=request.id, error=str(exc))
        except Exception as exc:  # a Metaflow, datastore or library error: report, keep serving
            reply = ErrorReply(id=request.id, error=f"{type(exc).__name__}: {exc}")
        else:
            reply = ValuePageReply(id=request.id, page=page)
        send_frame(self.sock, to_frame(reply))


def _close(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _still_current(target: Target, resolved: Resolved) -> bool:
    """Inputs of "the latest successful run" go stale when a newer run succeeds
    (the user ran the flow again); a spin that named its run keeps them."""
    if target.run is not None:
        return True
    return latest_successful_run(target.flow) == resolved.source.run_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="spinlens-kernel")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--flow-file", required=True)
    args = parser.parse_args(argv)
    flow_file = os.path.abspath(args.flow_file)
    root = os.path.dirname(flow_file)
    os.chdir(root)
    sys.path.insert(0, root)
    sys.argv = [flow_file]
    ensure_user()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the session's to handle
    sock = socket.socket(fileno=args.fd)
    kernel = Kernel(sock, flow_file)
    try:
        kernel.warm_up()
        kernel.serve()
    except (ChannelClosed, BrokenPipeError, ConnectionResetError):
        pass
    except Exception:
        # os._exit below skips the interpreter's report of it: print it, so the
        # session can say why the kernel stopped.
        traceback.print_exc()
    finally:
        kernel.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        # Interpreter teardown with Metaflow and pandas loaded takes ~0.3 s and
        # achieves nothing here: the kernel owns no files or state to flush.
        os._exit(0)


if __name__ == "__main__":
    main()
