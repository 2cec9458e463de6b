"""Running a spin for the editor: queue, worker thread, streamed events, progress, outcome."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from ..wire import events
from ..wire.events import (
    Artifact,
    DebugReady,
    Event,
    Failed,
    Finished,
    Log,
    Paused,
    Progress,
    Resumed,
    Started,
)
from .jobs import SpinJob
from .kernels import FlowKernel
from .methods import EVENT
from .outcomes import SpinOutcome, shorten
from .payloads import EventParams, SpinReply, to_wire
from .progress import SpinProgress

if TYPE_CHECKING:
    from .server import SpinlensServer


async def run_spin(server: SpinlensServer, kernel: FlowKernel, job: SpinJob, uri: str) -> SpinReply:
    """Queue ``job`` behind the file's other spins, run it, and stream its events.

    Events go out as ``spinlens/event`` notifications from the event loop's
    thread (the worker hands each one over with ``call_soon_threadsafe``), so
    they keep their order and all precede the reply.
    """
    verb = "Debugging" if job.debug else "Spinning"
    progress = SpinProgress(server, f"{verb} {job.args.step}", on_cancel=job.cancel)

    def deliver(event: Event) -> None:  # on the event loop
        params = EventParams(uri=uri, request_id=job.request_id, event=events.to_dict(event))
        server.protocol.notify(EVENT, to_wire(params))
        progress.report(_describe(event), force=not isinstance(event, Log))

    stopped: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    job.emit = lambda event: server.workers.in_loop(deliver, event)
    job.on_cancel = lambda: server.workers.in_loop(_settle, stopped)
    job.message_id = server.protocol.msg_id  # this request's JSON-RPC id (a context variable)
    kernel.jobs.append(job)
    progress.start("waiting for the running spin" if kernel.lock.locked() else None)
    started = time.perf_counter()
    try:
        if await _wait_turn(kernel.lock, stopped):
            try:
                await _run_in_worker(server, kernel, job)
            finally:
                kernel.lock.release()
    finally:
        kernel.jobs.remove(job)
        if job.terminal is None and not job.running:
            # Cancelled while queued (cancel, the request's $/cancelRequest, shutdown).
            job.refuse("cancelled", "Cancelled before it started.")
        outcome = SpinOutcome.from_events(
            job.flow, job.args.step, job.events, time.perf_counter() - started
        )
        if outcome is not None:
            server.spun(job.flow_file, outcome, job.events)
        progress.end(_end_message(outcome))
    terminal = job.terminal
    assert terminal is not None
    return reply(terminal)


def reply(terminal: Finished | Failed) -> SpinReply:
    """The spin request's result: the last event's status (a cancelled spin's is
    ``cancelled``) and error."""
    if isinstance(terminal, Finished):
        return SpinReply(spin_id=terminal.spin_id, status="ok")
    status = "cancelled" if terminal.kind == "cancelled" else "failed"
    return SpinReply(spin_id=terminal.spin_id, status=status, error=terminal.error)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _wait_turn(lock: asyncio.Lock, stopped: asyncio.Future[None]) -> bool:
    """Wait for the file's lock (FIFO); False, without it, if the spin is cancelled
    first: a cancelled spin in the queue ends now, not when the spins ahead end."""
    if stopped.done():
        return False
    turn: asyncio.Future[Any] = asyncio.ensure_future(lock.acquire())
    try:
        await asyncio.wait([turn, stopped], return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        await _give_up(turn, lock)
        raise
    if stopped.done():
        await _give_up(turn, lock)
        return False
    return True


async def _give_up(turn: asyncio.Future[Any], lock: asyncio.Lock) -> None:
    """Stop waiting for the lock, and hand it back if it came meanwhile."""
    turn.cancel()
    await asyncio.wait([turn])
    if not turn.cancelled() and turn.exception() is None:
        lock.release()


async def _run_in_worker(server: SpinlensServer, kernel: FlowKernel, job: SpinJob) -> None:
    future = server.workers.in_worker(job.run, kernel.open_session)
    try:
        # Shielded: a cancelled request must not release the file's lock while
        # the worker still uses the session.
        await asyncio.shield(future)
    except asyncio.CancelledError:
        job.cancel()
        await asyncio.wait([future])
        raise


def _describe(event: Event) -> str:
    if isinstance(event, Progress):
        return event.message
    if isinstance(event, Started):
        source = event.source
        task = f"/{source.step}/{source.task_id}" if source.task_id else ""
        return f"running on {source.flow}/{source.run_id}{task}" + (" (warm)" if event.warm else "")
    if isinstance(event, Log):
        lines = [line for line in event.text.splitlines() if line.strip()]
        return shorten(lines[-1], 80) if lines else "output"
    if isinstance(event, Artifact):
        return f"{event.name}: {event.vs_source}"
    if isinstance(event, Finished):
        return "finished"
    if isinstance(event, DebugReady):
        return f"waiting for a debugger on {event.host}:{event.port}"
    if isinstance(event, Paused):
        return f"paused at {event.function}, line {event.line}"
    if isinstance(event, Resumed):
        return "running"
    return shorten(event.error, 80)


def _end_message(outcome: SpinOutcome | None) -> str:
    if outcome is None:
        return "stopped"
    if outcome.status == "ok":
        return f"ok: {outcome.changed} changed"
    if outcome.kind == "cancelled":
        return "cancelled"
    return f"failed: {shorten(outcome.error or '', 80)}"
