"""The ``workspace/executeCommand`` commands of docs/protocol.md ("Language server")."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from ..errors import SpinError
from ..flow_analysis import FlowAnalysisError
from ..flow_graph import FileGraph, flow_graph
from .jobs import SpinJob, resolve_flow
from .methods import (
    CANCEL,
    DEBUG,
    FLOW_GRAPH,
    FLOW_PARAMETERS,
    LIST_RUNS,
    LIST_STEPS,
    LIST_TASKS,
    RESTART_KERNEL,
    RUN_FLOW,
    RUN_LOG,
    SET_SOURCE_RUN,
    SET_TASK,
    SPIN,
)
from .outcomes import shorten
from .payloads import (
    CancelArgs,
    CancelReply,
    FlowArgs,
    ListRunsArgs,
    ParametersReply,
    RestartReply,
    RunFlowArgs,
    RunFlowReply,
    RunLogParams,
    RunsReply,
    SetTaskArgs,
    SetTaskReply,
    SourceRunArgs,
    SourceRunReply,
    SpinArgs,
    SpinReply,
    StepInfo,
    StepsReply,
    TaskArgs,
    TasksReply,
    UriArgs,
    invalid,
    to_wire,
)
from .progress import SpinProgress
from .run_flow import FlowRunJob, flow_info, parameter_specs
from .run_lenses import learn_from_spin, refresh_lenses
from .runs import list_runs
from .spins import run_spin
from .step_index import full_index
from .tasks import list_tasks

if TYPE_CHECKING:
    from .server import SpinlensServer


async def spin(server: SpinlensServer, arguments: Sequence[Any], debug: bool = False) -> SpinReply:
    """Spin a step; with ``debug`` the spin first waits for a debugger (the
    ``debug`` event says where), so the reply comes when the debugged spin ends."""
    args = SpinArgs.parse(DEBUG if debug else SPIN, arguments)
    path = server.flow_path(args.uri)
    settings = server.settings.for_file(path)
    index = server.foreach_choices.for_spin(path, args.flow, args.step, args.index, args.task)
    if index != args.index:
        args = dataclasses.replace(args, index=index)  # the step's chosen foreach child
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
    reply = await run_spin(server, server.kernels.for_file(path), job, args.uri)
    learn_from_spin(server, job)  # a "no run yet" lens goes, or comes
    return reply


def cancel(server: SpinlensServer, arguments: Sequence[Any]) -> CancelReply:
    """By ``requestId`` or ``spinId``: that spin only, queued or running; else
    every spin of the file."""
    args = CancelArgs.parse(CANCEL, arguments)
    if args.request_id is not None or args.spin_id is not None:
        job = server.kernels.find(request_id=args.request_id, spin_id=args.spin_id)
        if job is None and args.request_id is not None:
            run = server.flow_runs.find(request_id=args.request_id)  # a runFlow request
            return CancelReply(cancelled=run.cancel() if run is not None else False)
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


# -- never-run flows and foreach children ------------------------------------------


async def run_flow(server: SpinlensServer, arguments: Sequence[Any]) -> RunFlowReply:
    """``python flow.py run`` for a flow with no run yet; its output streams as
    ``spinlens/runLog``, with a cancellable ``$/progress``."""
    args = RunFlowArgs.parse(RUN_FLOW, arguments)
    path = server.flow_path(args.uri)
    try:
        flow = args.flow or flow_info(server.open_text(args.uri), path, None).name
    except FlowAnalysisError as exc:
        raise invalid(f"{RUN_FLOW}: {exc}") from None
    job = FlowRunJob(args=args, flow_file=path, flow=flow)
    if server.flow_runs.start(job) is not None:
        return RunFlowReply(status="failed", error=f"A run of {flow} is already under way.")
    progress = SpinProgress(server, f"Running {flow}", on_cancel=job.cancel)

    def deliver(stream: str, text: str) -> None:  # on the event loop
        params = RunLogParams(uri=args.uri, request_id=args.request_id, stream=stream, text=text)
        server.protocol.notify(RUN_LOG, to_wire(params))
        if text.strip():
            progress.report(shorten(text, 80))

    job.emit = lambda stream, text: server.workers.in_loop(deliver, stream, text)
    job.message_id = server.protocol.msg_id
    progress.start(f"python {os.path.basename(path)} run")
    future = server.workers.in_worker(job.run)
    try:
        outcome = await asyncio.shield(future)  # the run goes on until it has stopped
    except asyncio.CancelledError:
        job.cancel()
        await asyncio.wait([future])
        progress.end("cancelled")
        raise
    finally:
        server.flow_runs.end(job)
    ended = {"ok": f"ok: run {outcome.run_id}", "cancelled": "cancelled"}
    progress.end(ended.get(outcome.status, f"failed: {shorten(outcome.error or '', 80)}"))
    kind = types.MessageType.Error if outcome.status == "failed" else types.MessageType.Info
    ran = f"run {outcome.run_id}" if outcome.run_id else "run"
    why = f": {outcome.error}" if outcome.error else ""
    server.log(f"{flow}: {ran} {outcome.status}{why}", kind)
    if outcome.status == "ok" and server.run_statuses.learnt(path, flow, True):
        refresh_lenses(server)
    return RunFlowReply(status=outcome.status, run_id=outcome.run_id, error=outcome.error)


def flow_parameters(server: SpinlensServer, arguments: Sequence[Any]) -> ParametersReply:
    """The flow's Parameters with their literal defaults, for the run's quick input."""
    args = FlowArgs.parse(FLOW_PARAMETERS, arguments)
    path = server.flow_path(args.uri)
    text = server.open_text(args.uri)
    try:
        flow = flow_info(text, path, args.flow)
    except FlowAnalysisError as exc:
        raise invalid(f"{FLOW_PARAMETERS}: {exc}") from None
    return ParametersReply(flow=flow.name, parameters=parameter_specs(flow, text, path))


async def list_step_tasks(server: SpinlensServer, arguments: Sequence[Any]) -> TasksReply:
    """The step's foreach children in the source run a spin would use."""
    args = TaskArgs.parse(LIST_TASKS, arguments)
    path = server.flow_path(args.uri)
    flow = args.flow or resolve_flow(server.open_text(args.uri), path, args.step)
    if flow is None:
        raise invalid(f"{LIST_TASKS}: no flow in {path}")
    default_run = server.settings.for_file(path).default_source_run
    run = server.source_runs.for_spin(path, args.run, default_run)
    try:
        run_id, tasks, truncated = await server.workers.in_worker(
            list_tasks, path, flow, args.step, run
        )
    except SpinError as exc:
        raise JsonRpcInternalError(str(exc)) from None
    chosen = server.foreach_choices.chosen(path, flow, args.step)
    return TasksReply(run_id=run_id, tasks=tasks, chosen=chosen, truncated=truncated)


def set_task(server: SpinlensServer, arguments: Sequence[Any]) -> SetTaskReply:
    args = SetTaskArgs.parse(SET_TASK, arguments)
    path = server.flow_path(args.uri)
    flow = args.flow or resolve_flow(server.open_text(args.uri), path, args.step)
    server.foreach_choices.choose(path, flow, args.step, args.index)
    refresh_lenses(server)  # the child lens names the choice
    return SetTaskReply(index=args.index)


# -- the flow graph view ---------------------------------------------------------------


def file_graph(server: SpinlensServer, arguments: Sequence[Any]) -> FileGraph:
    """The graph of the document's current text (the file on disk if not open); a
    text that does not parse gives no flows and the error (the view keeps its last
    graph), a file that cannot be read a JSON-RPC error saying why."""
    args = UriArgs.parse(FLOW_GRAPH, arguments)
    path = server.flow_path(args.uri)
    text = server.open_text(args.uri)
    if text is None:
        try:
            with open(path, encoding="utf-8") as file:
                text = file.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise invalid(f"{FLOW_GRAPH}: cannot read {os.path.basename(path)}: {exc}") from None
    return flow_graph(text, path)
