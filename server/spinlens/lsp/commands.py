"""The ``workspace/executeCommand`` commands of docs/protocol.md ("Language server")."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from ..errors import SpinError
from .jobs import SpinJob, resolve_flow
from .methods import CANCEL, DEBUG, LIST_RUNS, LIST_STEPS, RESTART_KERNEL, SET_SOURCE_RUN, SPIN
from .payloads import (
    CancelArgs,
    CancelReply,
    ListRunsArgs,
    RestartReply,
    RunsReply,
    SourceRunArgs,
    SourceRunReply,
    SpinArgs,
    SpinReply,
    StepInfo,
    StepsReply,
    UriArgs,
    invalid,
)
from .runs import list_runs
from .spins import run_spin
from .step_index import full_index

if TYPE_CHECKING:
    from .server import SpinlensServer


async def spin(server: SpinlensServer, arguments: Sequence[Any], debug: bool = False) -> SpinReply:
    """Spin a step; with ``debug`` the spin first waits for a debugger (the
    ``debug`` event says where), so the reply comes when the debugged spin ends."""
    args = SpinArgs.parse(DEBUG if debug else SPIN, arguments)
    path = server.flow_path(args.uri)
    settings = server.settings.for_file(path)
    job = SpinJob(
        args=args,
        flow_file=path,
        flow=args.flow,
        source_run=server.source_runs.for_spin(path, args.run, settings.default_source_run),
        source=server.open_text(args.uri),
        history_dir=server.history_dir(path),
        history_keep=settings.history_size,
        debug=debug,
        memory_limit_mb=settings.memory_limit_mb,
    )
    return await run_spin(server, server.kernels.for_file(path), job, args.uri)


def cancel(server: SpinlensServer, arguments: Sequence[Any]) -> CancelReply:
    """By ``requestId`` or ``spinId``: that spin only, queued or running; else
    every spin of the file."""
    args = CancelArgs.parse(CANCEL, arguments)
    if args.request_id is not None or args.spin_id is not None:
        job = server.kernels.find(request_id=args.request_id, spin_id=args.spin_id)
        return CancelReply(cancelled=job.cancel() if job is not None else False)
    assert args.uri is not None  # CancelArgs.parse requires one of the three
    kernel = server.kernels.get(server.flow_path(args.uri))
    return CancelReply(cancelled=kernel.cancel() if kernel is not None else False)


async def list_flow_runs(server: SpinlensServer, arguments: Sequence[Any]) -> RunsReply:
    args = ListRunsArgs.parse(LIST_RUNS, arguments)
    path = server.flow_path(args.uri)
    flow = args.flow or resolve_flow(server.open_text(args.uri), path, None)
    if flow is None:
        raise invalid(f"{LIST_RUNS}: no flow in {path}")
    try:
        runs = await server.workers.in_worker(list_runs, path, flow)
    except SpinError as exc:
        server.log(str(exc), types.MessageType.Error)
        raise JsonRpcInternalError(str(exc)) from None
    return RunsReply(
        runs=runs,
        chosen=server.source_runs.chosen(path),
        default_run=server.settings.for_file(path).default_source_run,
    )


def set_source_run(server: SpinlensServer, arguments: Sequence[Any]) -> SourceRunReply:
    args = SourceRunArgs.parse(SET_SOURCE_RUN, arguments)
    server.source_runs.choose(server.flow_path(args.uri), args.run_id)
    return SourceRunReply(run_id=args.run_id)


def list_steps(server: SpinlensServer, arguments: Sequence[Any]) -> StepsReply:
    """The steps of the document's current text (the file on disk if not open)."""
    args = UriArgs.parse(LIST_STEPS, arguments)
    path = server.flow_path(args.uri)
    text = server.open_text(args.uri)
    if text is not None:
        index = server.step_indexes.index(args.uri, text, path)  # shared with the lenses
    else:
        try:
            with open(path, encoding="utf-8") as file:
                index = full_index(file.read(), path)
        except (OSError, UnicodeDecodeError) as exc:
            return StepsReply(steps=[], error=f"cannot read {os.path.basename(path)}: {exc}")
    if index.steps is None:
        return StepsReply(steps=[], error=index.error)
    steps = [
        StepInfo(
            flow=step.flow,
            name=step.name,
            line=step.line - 1,
            def_line=step.def_line - 1,
            end_line=step.end_line - 1,
        )
        for step in index.steps
    ]
    return StepsReply(steps=steps, error=None)


async def restart_kernel(server: SpinlensServer, arguments: Sequence[Any]) -> RestartReply:
    args = UriArgs.parse(RESTART_KERNEL, arguments)
    kernel = server.kernels.get(server.flow_path(args.uri))
    if kernel is None or kernel.session is None:
        return RestartReply(restarted=False)  # no kernel yet: the next spin starts a fresh one
    for job in kernel.jobs:
        if job.running:
            job.cancel()  # a restart means "stop what it is doing"; queued spins then run
    async with kernel.lock:
        session = kernel.session
        if session is None:
            return RestartReply(restarted=False)
        try:
            await server.workers.in_worker(session.restart)
        except (SpinError, OSError) as exc:
            server.log(f"Restarting the kernel of {kernel.flow_file} failed: {exc}")
            return RestartReply(restarted=False)
    return RestartReply(restarted=True)
