"""A spin child's life, after the kernel forks it with the inputs in memory.

It waits (as the kernel's *spare*) for its spin, runs the step once
(``step_runner.StepRun``), sends the terminal event, then stays *parked*,
serving the values of the outputs, until the kernel lets go of it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from typing import Any

import cloudpickle
from metaflow.plugins.datastores.spin_storage import SpinStorage

from ..wire import events
from ..wire.frames import (
    BadFrame,
    ErrorReply,
    FetchRequest,
    RunRequest,
    SpinSpec,
    ValuePageReply,
    ValuePageRequest,
    ValueReply,
    event_frame,
    events_frame,
    from_frame,
    to_frame,
)
from ..wire.ipc import ChannelClosed, recv_frame, recv_frame_with_fds, send_frame
from .debugger import preload as preload_debugger
from .fingerprint import trust_kernel_pages
from .flow_loader import drop_changed_user_modules
from .inputs import InputStore
from .resolve import Resolved
from .speculation import Speculation
from .step_runner import StepFailed, StepRun, open_terminal
from .value_pages import ValuePages, page_request

_PR_SET_PDEATHSIG = 1


def child_main(
    store: InputStore,
    module_snapshot: dict[str, tuple[str, float]],
    resolved: Resolved,
    sock: socket.socket,
    out_w: int,
    err_w: int,
    debugger: bool = False,
    speculation: SpinSpec | None = None,
) -> None:
    """The forked child, from the fork to its exit. ``module_snapshot`` is the
    kernel's view of the user's modules (to drop those changed since);
    ``debugger``: import debugpy while waiting (a prewarmed spare);
    ``speculation``: build this spin's flow ahead (``speculation.py``)."""
    _become_child(out_w, err_w)
    if debugger:
        preload_debugger()
    if speculation is not None:
        _run_speculatively(speculation, store, module_snapshot, resolved, sock)
        return
    try:
        header, _, terminal = recv_frame_with_fds(sock)  # a spare waits here for its spin
    except ChannelClosed:
        return
    spec = from_frame(header, RunRequest).spec
    changed = drop_changed_user_modules(module_snapshot)
    if changed:
        print(
            f"[spinlens] reloading changed modules: {', '.join(sorted(changed))}", file=sys.stderr
        )

    emit, emit_many = _emitters(sock)
    run = StepRun(
        spec, resolved, store, emit, terminal=open_terminal(terminal), emit_many=emit_many
    )
    _run_and_park(run, sock, emit)


def _emitters(
    sock: socket.socket,
) -> tuple[Callable[[events.Event], None], Callable[[list[events.Event]], None]]:
    def emit(event: events.Event) -> None:
        send_frame(sock, event_frame(event))

    def emit_many(batch: list[events.Event]) -> None:
        send_frame(sock, events_frame(batch))

    return emit, emit_many


def _run_speculatively(
    spec: SpinSpec,
    store: InputStore,
    module_snapshot: dict[str, tuple[str, float]],
    resolved: Resolved,
    sock: socket.socket,
) -> None:
    """A speculative spare: build ``spec``'s flow now, then take the next spin
    if it fits (and serve it like any child) or decline it."""
    emit, emit_many = _emitters(sock)
    ahead = Speculation(sock, module_snapshot, emit)
    run = StepRun(spec, resolved, store, ahead.emitter, emit_many=emit_many)
    ahead.attach(run)
    _run_and_park(run, sock, emit, ahead)


def _run_and_park(
    run: StepRun,
    sock: socket.socket,
    emit: Callable[[events.Event], None],
    ahead: Speculation | None = None,
) -> None:
    """Run the spin; if it finished (and is no debug spin), serve its outputs."""
    if not _run_once(run, emit, ahead):
        return
    if run.spec.debug_port is not None:
        return  # exiting ends the debug session (see Kernel._watch)
    _serve_outputs(sock, run.outputs)


def _become_child(out_w: int, err_w: int) -> None:
    """Its own process group (the kernel kills the group), dying with the kernel,
    default Ctrl-C, and the pipes to the kernel as stdout and stderr."""
    os.setpgid(0, 0)
    _die_with_parent()
    trust_kernel_pages()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.close(out_w)
    os.close(err_w)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _die_with_parent() -> None:
    """A child must not outlive the kernel, even if the kernel is SIGKILLed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: the parked child still exits on EOF


def _run_once(
    run: StepRun, emit: Callable[[events.Event], None], ahead: Speculation | None = None
) -> bool:
    """Run the step and send its terminal event; True if it finished. A
    speculative spare whose set-up failed before it had a spin declines it."""
    try:
        finished = run.run()
    except StepFailed as failed:
        if ahead is not None and not ahead.taken:
            ahead.decline_when_asked(f"building the flow ahead failed: {failed.failure.error}")
        sys.stdout.flush()
        sys.stderr.flush()
        run.record_failure(failed.failure)  # may print (a full disk): before the pipes close
        _end_output()
        emit(failed.failure)
        _clear_spin_datastore(run.spec)
        run.prune_history()
        return False
    _end_output()
    emit(finished)
    _clear_spin_datastore(run.spec)
    run.prune_history()
    return True


def _end_output() -> None:
    """Close the child's output pipes: the kernel then reads their end before
    the terminal event, so its last log (a truncation note) comes first."""
    sys.stdout.flush()
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _clear_spin_datastore(spec: SpinSpec) -> None:
    """What Metaflow's spin-step wrote for this spin (task metadata, a card
    step's outputs) is read by now; the next spin starts after this one ends."""
    if spec.scratch_dir:
        shutil.rmtree(os.path.join(spec.scratch_dir, SpinStorage.DATASTORE_DIR), ignore_errors=True)


def _serve_outputs(sock: socket.socket, outputs: Mapping[str, Callable[[], Any]]) -> None:
    """Parked: answer the kernel's fetches of output values until it lets go."""
    pages = ValuePages()  # the value viewer's pages of these outputs
    while True:
        try:
            header, _ = recv_frame(sock)
        except ChannelClosed:
            return
        if header.get("op") == ValuePageRequest.OP:
            _serve_page(sock, header, outputs, pages)
            continue
        try:
            request = from_frame(header, FetchRequest)
        except BadFrame as exc:
            send_frame(sock, to_frame(ErrorReply(id=header.get("id"), error=str(exc))))
            continue
        value_of = outputs.get(request.name)
        if value_of is None:
            error = f"No artifact named {request.name!r}."
            send_frame(sock, to_frame(ErrorReply(id=request.id, error=error)))
            continue
        try:
            payload = cloudpickle.dumps(value_of(), protocol=5)
        except Exception as exc:  # unpicklable or unloadable value
            error = f"{type(exc).__name__}: {exc}"
            send_frame(sock, to_frame(ErrorReply(id=request.id, error=error)))
            continue
        send_frame(sock, to_frame(ValueReply(id=request.id)), payload)


def _serve_page(
    sock: socket.socket,
    header: dict[str, Any],
    outputs: Mapping[str, Callable[[], Any]],
    pages: ValuePages,
) -> None:
    """One page of an output value (``value_pages.py``), never the value itself."""
    try:
        request = from_frame(header, ValuePageRequest)
    except BadFrame as exc:
        send_frame(sock, to_frame(ErrorReply(id=header.get("id"), error=str(exc))))
        return
    value_of = outputs.get(request.name)
    if value_of is None:
        error = f"No artifact named {request.name!r}."
        send_frame(sock, to_frame(ErrorReply(id=request.id, error=error)))
        return
    try:
        page = pages.page(request.name, value_of(), page_request(request))
    except Exception as exc:  # a path past a leaf, an unloadable value, a library's error
        send_frame(sock, to_frame(ErrorReply(id=request.id, error=f"{exc}")))
        return
    send_frame(sock, to_frame(ValuePageReply(id=request.id, page=page)))
