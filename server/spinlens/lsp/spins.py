"""Running a spin for the editor: queue, worker thread, streamed events, progress, outcome."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from ..wire import events
from ..wire.events import Artifact, DebugReady, Event, Failed, Finished, Log, Progress, Started
from .jobs import SpinJob
from .kernels import FlowKernel
from .outcomes import SpinOutcome, shorten
from .payloads import SpinReply
from .progress import SpinProgress

if TYPE_CHECKING:
    from .server import SpinlensServer

EVENT_METHOD = "spinlens/event"


async def run_spin(server: SpinlensServer, kernel: FlowKernel, job: SpinJob, uri: str) -> SpinReply:
    """Queue ``job`` behind the file's other spins, run it, and stream its events.

    Events go out as ``spinlens/event`` notifications from the event loop's
    thread (the worker hands each one over with ``call_soon_threadsafe``), so
    they keep their order and all precede the reply.
    """
    verb = "Debugging" if job.debug else "Spinning"
    progress = SpinProgress(server, f"{verb} {job.args.step}", on_cancel=job.cancel)

    def deliver(event: Event) -> None:  # on the event loop
        server.protocol.notify(EVENT_METHOD, {"uri": uri, "event": events.to_dict(event)})
        progress.report(_describe(event), force=not isinstance(event, Log))

    job.emit = lambda event: server.in_loop(deliver, event)
    request_id = server.protocol.msg_id  # this request's JSON-RPC id (a context variable)
    server.spin_requests[request_id] = job
    kernel.jobs.append(job)
    progress.start("waiting for the running spin" if kernel.lock.locked() else None)
    started = time.perf_counter()
    try:
        async with kernel.lock:
            await _run_in_worker(server, kernel, job)
    finally:
        kernel.jobs.remove(job)
        server.spin_requests.pop(request_id, None)
        if job.terminal is None and not job.running:
            # The request itself was cancelled while queued (client cancel, shutdown).
            job.refuse("cancelled", "The spin request was cancelled before it started.")
        outcome = SpinOutcome.from_events(
            job.flow, job.args.step, job.events, time.perf_counter() - started
        )
        if outcome is not None:
            server.record_outcome(uri, outcome)
        progress.end(_end_message(outcome))
    terminal = job.terminal
    assert terminal is not None
    return SpinReply(
        spin_id=terminal.spin_id,
        status=terminal.status,
        error=terminal.error if isinstance(terminal, Failed) else None,
    )


async def _run_in_worker(server: SpinlensServer, kernel: FlowKernel, job: SpinJob) -> None:
    future = server.in_worker(job.run, kernel.open_session)
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
    return shorten(event.error, 80)


def _end_message(outcome: SpinOutcome | None) -> str:
    if outcome is None:
        return "stopped"
    if outcome.status == "ok":
        return f"ok: {outcome.changed} changed"
    if outcome.kind == "cancelled":
        return "cancelled"
    return f"failed: {shorten(outcome.error or '', 80)}"
