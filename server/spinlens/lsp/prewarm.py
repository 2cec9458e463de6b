"""Prewarm: the kernel of a flow file loads the inputs of the step the cursor
rests in before the user clicks, so the first spin is warm.

The extension asks (``spinlens.server.prewarm``, debounced, when a flow file's
editor opens or its cursor rests; never in an untrusted workspace, where it
starts no server); this module finds the step at the cursor, applies the
``prewarmMemoryMB`` budget and runs the kernel's ``prewarm`` frame in a worker.
A prewarm holds the file's lock (``FlowKernel.lock``) like a spin: whoever
waits for that lock -- a spin, a hover's preview, a prewarm of another step --
cuts it short, so it never delays them by more than one batch of inputs, and it
never starts while a spin is queued or running.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import SpinError
from ..flow_analysis import analyze_file, analyze_source
from ..wire.ipc import ChannelClosed
from .methods import PREWARM
from .payloads import PrewarmArgs, PrewarmResult

if TYPE_CHECKING:
    from .server import SpinlensServer


def step_at(text: str | None, path: str, line: int) -> tuple[str, str] | None:
    """(flow, step) around the 0-based ``line``, else the file's first step."""
    if text is not None:
        analysis = analyze_source(text, path)
    elif os.path.exists(path):
        analysis = analyze_file(path)
    else:
        return None
    if analysis.error is not None or not analysis.flows:
        return None
    own = [
        (flow.name, step)
        for flow in analysis.flows
        for step in flow.steps
        if step.defined_in is None
    ]
    for flow_name, step in own:
        if step.line - 1 <= line <= step.end_line - 1:
            return flow_name, step.name
    if own:
        return own[0][0], own[0][1].name
    return None


async def prewarm(server: SpinlensServer, arguments: Sequence[Any]) -> PrewarmResult:
    args = PrewarmArgs.parse(PREWARM, arguments)
    path = server.flow_path(args.uri)
    settings = server.settings.for_file(path)
    if settings.prewarm_memory_mb <= 0:
        return PrewarmResult(status="off")
    found = step_at(server.open_text(args.uri), path, args.line)
    if found is None:
        return PrewarmResult(status="noStep")
    flow, step = found
    kernel = server.kernels.for_file(path)
    kernel.prewarm_wanted = step
    if kernel.prewarm_step == step:
        return PrewarmResult(status="busy", step=step)
    if kernel.jobs or (kernel.lock.locked() and not kernel.prewarming):
        return PrewarmResult(status="busy", step=step)  # a spin, preview or restart has it
    # Waiting for the lock cuts short a prewarm of another step that holds it.
    async with kernel.lock:
        if kernel.prewarm_wanted != step:  # the user moved on again meanwhile
            return PrewarmResult(status="superseded", step=step)
        if kernel.jobs or kernel.lock.waiting:  # someone came after: they go first
            return PrewarmResult(status="busy", step=step)
        kernel.begin_prewarm(step)
        run = server.source_runs.for_spin(path, None, settings.default_source_run)
        index = server.foreach_choices.for_spin(path, flow, step, None, None)
        try:
            reply = await server.workers.in_worker(
                kernel.prewarm, step, flow, run, index, settings.prewarm_memory_mb
            )
        except (SpinError, ChannelClosed, OSError) as exc:
            error = str(exc) or type(exc).__name__
            return PrewarmResult(status="failed", step=step, error=error)
    if reply is None or (reply.preempted and kernel.prewarm_wanted != step):
        return PrewarmResult(status="superseded", step=step)
    return PrewarmResult(
        status="done",
        step=step,
        loaded=list(reply.loaded),
        skipped=list(reply.skipped),
        warm=reply.warm,
    )
