"""The lenses that move a newcomer on: "no run yet" over the steps of a flow that
has never run successfully (→ Run the flow), and the foreach child a step inside
a foreach spins (→ the child picker). Lens requests only read caches; the run
check happens in the background and refreshes the lenses when it answers."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from lsprotocol import types

from ..errors import SpinError
from ..wire.events import Failed, Finished
from .jobs import SpinJob
from .runs import list_runs
from .step_index import StepIndex

if TYPE_CHECKING:
    from .server import SpinlensServer

NO_RUN_TITLE = "no run yet: Run the flow"
RUN_FLOW_COMMAND = "spinlens.runFlow"
CHOOSE_TASK_COMMAND = "spinlens.chooseTask"


def child_title(index: int | None) -> str:
    return f"foreach child: index {index or 0}"


def extra_lenses(
    server: SpinlensServer, uri: str, path: str, text: str, index: StepIndex
) -> list[types.CodeLens]:
    """Per step: "no run yet" if its flow has no successful run, and the foreach child."""
    if index.steps is None:
        return []
    pairs = tuple((step.flow, step.name) for step in index.steps)
    inside = server.foreach_steps.of(uri, text, path, pairs)
    lenses: list[types.CodeLens] = []
    for flow in dict.fromkeys(step.flow for step in index.steps):
        if server.run_statuses.to_check(path, flow):
            server.workers.in_loop(_start_check, server, path, flow)
    for step in index.steps:
        line = step.line - 1
        where = types.Range(types.Position(line, 0), types.Position(line, 0))
        if server.run_statuses.has_run(path, step.flow) is False:
            lenses.append(_lens(where, NO_RUN_TITLE, RUN_FLOW_COMMAND, [uri, step.flow]))
        if (step.flow, step.name) in inside:
            chosen = server.foreach_choices.chosen(path, step.flow, step.name)
            title = child_title(chosen)
            lenses.append(_lens(where, title, CHOOSE_TASK_COMMAND, [uri, step.name, step.flow]))
    return lenses


def _start_check(server: SpinlensServer, path: str, flow: str) -> None:
    asyncio.ensure_future(check_runs(server, path, flow))


async def check_runs(server: SpinlensServer, path: str, flow: str) -> None:
    """Ask Metaflow whether ``flow`` has a successful run; refresh the lenses if that
    changes what they say."""
    try:
        runs = await server.workers.in_worker(list_runs, path, flow)
        has_run: bool | None = any(run.status == "ok" for run in runs)
    except (SpinError, OSError):
        has_run = None  # no Metaflow in this Python, say: the spin itself will say why
    if server.run_statuses.learnt(path, flow, has_run):
        refresh_lenses(server)


def learn_from_spin(server: SpinlensServer, job: SpinJob) -> None:
    """A spin that ran has a source run; one refused for want of one says so."""
    terminal = job.terminal
    if job.flow is None or job.args.run is not None:
        return
    if isinstance(terminal, Finished):
        changed = server.run_statuses.learnt(job.flow_file, job.flow, True)
    elif isinstance(terminal, Failed) and terminal.code == "no-successful-run":
        changed = server.run_statuses.learnt(job.flow_file, job.flow, False)
    else:
        return
    if changed:
        refresh_lenses(server)


def refresh_lenses(server: SpinlensServer) -> None:
    workspace = server.client_capabilities.workspace
    if workspace and workspace.code_lens and workspace.code_lens.refresh_support:
        server.workspace_code_lens_refresh(None)


def _lens(where: types.Range, title: str, command: str, arguments: list[str]) -> types.CodeLens:
    return types.CodeLens(
        range=where,
        command=types.Command(title=title, command=command, arguments=list(arguments)),
    )
