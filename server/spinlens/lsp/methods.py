"""Every custom method of the server: its commands with their argument and result
types, and its notification (docs/protocol.md; extension/src/protocol.ts mirrors
them, and tests/extension/contract.test.ts checks the three agree)."""

from __future__ import annotations

from dataclasses import dataclass

from .payloads import (
    CancelArgs,
    CancelReply,
    EventParams,
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
    StepsReply,
    TaskArgs,
    TasksReply,
    UriArgs,
)

SPIN = "spinlens.server.spin"
DEBUG = "spinlens.server.debug"
CANCEL = "spinlens.server.cancel"
LIST_RUNS = "spinlens.server.listRuns"
SET_SOURCE_RUN = "spinlens.server.setSourceRun"
RESTART_KERNEL = "spinlens.server.restartKernel"
LIST_STEPS = "spinlens.server.listSteps"
RUN_FLOW = "spinlens.server.runFlow"
FLOW_PARAMETERS = "spinlens.server.flowParameters"
LIST_TASKS = "spinlens.server.listTasks"
SET_TASK = "spinlens.server.setTask"

EVENT = "spinlens/event"
RUN_LOG = "spinlens/runLog"


@dataclass(frozen=True)
class Command:
    name: str
    args: type
    result: type


COMMANDS = (
    Command(SPIN, SpinArgs, SpinReply),
    Command(DEBUG, SpinArgs, SpinReply),
    Command(CANCEL, CancelArgs, CancelReply),
    Command(LIST_RUNS, ListRunsArgs, RunsReply),
    Command(SET_SOURCE_RUN, SourceRunArgs, SourceRunReply),
    Command(RESTART_KERNEL, UriArgs, RestartReply),
    Command(LIST_STEPS, UriArgs, StepsReply),
    Command(RUN_FLOW, RunFlowArgs, RunFlowReply),
    Command(FLOW_PARAMETERS, FlowArgs, ParametersReply),
    Command(LIST_TASKS, TaskArgs, TasksReply),
    Command(SET_TASK, SetTaskArgs, SetTaskReply),
)

NOTIFICATIONS: dict[str, type] = {EVENT: EventParams, RUN_LOG: RunLogParams}
