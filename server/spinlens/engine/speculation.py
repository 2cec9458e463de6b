"""A speculative spare: a spin child that builds the flow before its spin comes.

Most of a warm spin's overhead is Metaflow's own set-up, before the step runs:
executing the flow file, its CLI building the flow (decorators, graph,
configs) and its task runner preparing the task. After a spin, the kernel
forks one spare that does all of that ahead with the text just spun and that
spin's options, and stops where Metaflow's task runner binds the inputs. When
the next spin comes, the spare takes it if it would have built the same flow:
the same options, the user's modules unchanged on disk, and a text whose
changes lie inside function bodies (``code_swap``); the changed functions get
the new code in place and the task goes on from there. Otherwise it declines,
exits, and the kernel's plain spare runs the spin from the start.

What the flow file prints while the spare executes it ahead is held back, and
written to the spin's log only if the spare takes the spin.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable

from ..wire import events
from ..wire.frames import RunRequest, SpareAnswer, SpinSpec, from_frame, to_frame
from ..wire.ipc import ChannelClosed, recv_frame_with_fds, send_frame
from .code_swap import NotSwappable, apply_swaps, function_swaps
from .flow_loader import changed_user_modules, flow_text, show_flow_text
from .step_runner import StepRun, open_terminal

# What may differ between spins one built flow serves: the rest is the CLI's input.
_PER_SPIN = ("spin_id", "source", "debug_port", "memory_limit_mb", "history_dir", "history_keep")


class _HeldOutput:
    """stdout and stderr into temporary files until ``release`` or the exit."""

    def __init__(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        self.saved = {fd: os.dup(fd) for fd in (1, 2)}
        self.held = {fd: _scratch_file() for fd in (1, 2)}
        for fd, held in self.held.items():
            os.dup2(held, fd)

    def release(self) -> None:
        """Back to the kernel's pipes, with what was held written there first."""
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, held in self.held.items():
            os.dup2(self.saved[fd], fd)
            os.close(self.saved[fd])
            os.lseek(held, 0, os.SEEK_SET)
            while chunk := os.read(held, 1 << 16):
                _write_all(fd, chunk)
            os.close(held)


def _scratch_file() -> int:
    if hasattr(os, "memfd_create"):
        return os.memfd_create("spinlens-held-output")
    handle, path = tempfile.mkstemp(prefix="spinlens-held-")
    os.unlink(path)
    return handle


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Speculation:
    """The spare's side: hold output, wait for the spin at Metaflow's input
    binding, then take it (swapping in the changed functions) or decline."""

    def __init__(
        self,
        sock: socket.socket,
        module_snapshot: dict[str, tuple[str, float]],
        emit: Callable[[events.Event], None],
    ) -> None:
        self.sock = sock
        self.module_snapshot = module_snapshot
        self.emit = emit
        self.held = _HeldOutput()
        self.taken = False
        self.held_events: list[events.Event] = []
        self.terminal: list[int] = []
        self.asked = False  # the spin has come

    def attach(self, run: StepRun) -> None:
        """The run this spare builds ahead; it waits in ``take_or_decline``."""
        self.run = run
        self.speculated = run.spec
        run.speculating = True
        run.before_inputs = self.take_or_decline

    def emitter(self, event: events.Event) -> None:
        """The run's emit: events before the spin is taken wait for its id."""
        if self.taken:
            self.emit(event)
        else:
            self.held_events.append(event)

    def take_or_decline(self) -> None:
        """Called where Metaflow binds the inputs (once): wait for the spin; take
        it and return, or decline it and exit."""
        if self.taken:
            return
        self.run.read_previous_ahead()
        ahead_s = time.perf_counter() - self.run.started
        # What building the flow allocated is collected now, and the rest kept out
        # of the collector's way, so the spin pays for neither (as in a fresh fork).
        gc.collect()
        gc.freeze()
        request = self._wait_for_spin()
        received = time.perf_counter()
        try:
            self._fit(request, received)
        except NotSwappable as why:
            self.decline(str(why))
        except Exception as exc:  # the new text unreadable, say: the plain spare reports it
            self.decline(f"{type(exc).__name__}: {exc}")
        self.taken = True
        self.run.timings["ahead_s"] = ahead_s
        send_frame(self.sock, to_frame(SpareAnswer(taken=True)))
        self.held.release()
        for event in self.held_events:
            self.emit(dataclasses.replace(event, spin_id=request.spec.spin_id))  # type: ignore[type-var]
        self.held_events.clear()

    def decline_when_asked(self, reason: str) -> None:
        """The speculation itself failed: the plain spare runs the next spin."""
        if not self.asked:
            self._wait_for_spin()
        self.decline(reason)

    def decline(self, reason: str) -> None:
        send_frame(self.sock, to_frame(SpareAnswer(taken=False, reason=reason)))
        os._exit(0)

    def _wait_for_spin(self) -> RunRequest:
        try:
            header, _, terminal = recv_frame_with_fds(self.sock)
        except ChannelClosed:
            os._exit(0)
        self.asked = True
        request = from_frame(header, RunRequest)
        self.terminal = terminal
        return request

    def _fit(self, request: RunRequest, received: float) -> None:
        """Make the built flow run the requested spin, or say why it cannot."""
        spec, old = request.spec, self.speculated
        if _options(spec) != _options(old):
            raise NotSwappable("the spin's options differ")
        if changed_user_modules(self.module_snapshot):
            raise NotSwappable("a module of the project changed on disk")
        run = self.run
        path = spec.flow_file
        text = flow_text(path, spec.source)
        if text != run.flow_text:
            assert run.flow_code is not None and run.module is not None
            try:
                code = compile(text, path, "exec")
            except SyntaxError as exc:
                raise NotSwappable(f"the text does not compile: {exc}") from None
            apply_swaps(run.module, function_swaps(run.flow_code, code), run.flow_text, text)
            show_flow_text(path, text)  # tracebacks and the debugger read the new lines
            run.swapped_in(text, code)
        run.adopt(spec, open_terminal(self.terminal), since=received)


def _options(spec: SpinSpec) -> tuple[object, ...]:
    return tuple(getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name not in _PER_SPIN)
