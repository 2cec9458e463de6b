"""The ``workspace/executeCommand`` commands of docs/protocol.md ("Language server")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInternalError

from ..errors import SpinError
from .jobs import SpinJob, resolve_flow
from .payloads import CancelArgs, SourceRunArgs, SpinArgs, UriArgs, invalid
from .runs import list_runs
from .spins import run_spin

if TYPE_CHECKING:
    from .server import SpinlensServer

SPIN = "spinlens.server.spin"
CANCEL = "spinlens.server.cancel"
LIST_RUNS = "spinlens.server.listRuns"
SET_SOURCE_RUN = "spinlens.server.setSourceRun"
RESTART_KERNEL = "spinlens.server.restartKernel"
DEBUG = "spinlens.server.debug"


async def spin(
    server: SpinlensServer, arguments: Sequence[Any], debug: bool = False
) -> dict[str, Any]:
    """Spin a step; with ``debug`` the spin first waits for a debugger (the
    ``debug`` event says where), so the reply comes when the debugged spin ends."""
    args = SpinArgs.parse(DEBUG if debug else SPIN, arguments)
    path = server.flow_path(args.uri)
    text = server.open_text(args.uri)
    job = SpinJob(
        args=args,
        flow_file=path,
        flow=args.flow,
        source_run=args.run or server.source_runs.get(path) or server.settings.default_source_run,
        source=text,
        history_dir=server.history_dir(path),
        history_keep=server.settings.history_size,
        debug=debug,
        memory_limit_mb=server.settings.memory_limit_mb,
    )
    reply = await run_spin(server, server.kernels.for_file(path), job, args.uri)
    return reply.to_dict()


def cancel(server: SpinlensServer, arguments: Sequence[Any]) -> dict[str, Any]:
    args = CancelArgs.parse(CANCEL, arguments)
    kernel = server.kernels.get(server.flow_path(args.uri))
    return {"cancelled": kernel.cancel(args.spin_id) if kernel is not None else False}


async def list_flow_runs(server: SpinlensServer, arguments: Sequence[Any]) -> list[dict[str, Any]]:
    args = UriArgs.parse(LIST_RUNS, arguments)
    path = server.flow_path(args.uri)
    flow = args.flow or resolve_flow(server.open_text(args.uri), path, None)
    if flow is None:
        raise invalid(f"{LIST_RUNS}: no flow in {path}")
    try:
        runs = await server.in_worker(list_runs, path, flow)
    except SpinError as exc:
        server.log(str(exc), types.MessageType.Error)
        raise JsonRpcInternalError(str(exc)) from None
    return [run.to_dict() for run in runs]


def set_source_run(server: SpinlensServer, arguments: Sequence[Any]) -> dict[str, Any]:
    args = SourceRunArgs.parse(SET_SOURCE_RUN, arguments)
    path = server.flow_path(args.uri)
    if args.run_id is None:
        server.source_runs.pop(path, None)
    else:
        server.source_runs[path] = args.run_id
    return {"runId": args.run_id}


async def restart_kernel(server: SpinlensServer, arguments: Sequence[Any]) -> dict[str, Any]:
    args = UriArgs.parse(RESTART_KERNEL, arguments)
    kernel = server.kernels.get(server.flow_path(args.uri))
    if kernel is None or kernel.session is None:
        return {"restarted": False}  # no kernel yet: the next spin starts a fresh one
    for job in kernel.jobs:
        if job.running:
            job.cancel()  # a restart means "stop what it is doing"; queued spins then run
    async with kernel.lock:
        session = kernel.session
        if session is None:
            return {"restarted": False}
        try:
            await server.in_worker(session.restart)
        except (SpinError, OSError) as exc:
            server.log(f"Restarting the kernel of {kernel.flow_file} failed: {exc}")
            return {"restarted": False}
    return {"restarted": True}
