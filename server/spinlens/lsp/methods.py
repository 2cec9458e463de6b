"""Every custom method of the server: its commands with their argument and result
types, and its notification (docs/protocol.md; extension/src/protocol.ts mirrors
them, and tests/extension/contract.test.ts checks the three agree)."""

from __future__ import annotations

from dataclasses import dataclass

from ..flow_graph import FileGraph
from .payloads import (
    CancelArgs,
    CancelReply,
    CompareArgs,
    CompareReply,
    EventParams,
    ExplorerArtifactsArgs,
    ExplorerArtifactsReply,
    ExplorerCardsReply,
    ExplorerFlowsArgs,
    ExplorerFlowsReply,
    ExplorerRunsArgs,
    ExplorerRunsReply,
    ExplorerStepsArgs,
    ExplorerStepsReply,
    ExplorerTasksArgs,
    ExplorerTasksReply,
    FlowArgs,
    ListRunsArgs,
    ParametersReply,
    PrewarmArgs,
    PrewarmResult,
    RestartReply,
    RunFlowArgs,
    RunFlowReply,
    RunLogParams,
    RunsChangedParams,
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
    ValuePageArgs,
    ValuePageReply,
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
EXPLORER_FLOWS = "spinlens.server.explorer.flows"
EXPLORER_RUNS = "spinlens.server.explorer.runs"
EXPLORER_STEPS = "spinlens.server.explorer.steps"
EXPLORER_TASKS = "spinlens.server.explorer.tasks"
EXPLORER_ARTIFACTS = "spinlens.server.explorer.artifacts"
EXPLORER_COMPARE = "spinlens.server.explorer.compare"
EXPLORER_CARDS = "spinlens.server.explorer.cards"
VALUE_PAGE = "spinlens.server.valuePage"
FLOW_GRAPH = "spinlens.server.flowGraph"
PREWARM = "spinlens.server.prewarm"

EVENT = "spinlens/event"
RUN_LOG = "spinlens/runLog"
RUNS_CHANGED = "spinlens/runsChanged"


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
    Command(EXPLORER_FLOWS, ExplorerFlowsArgs, ExplorerFlowsReply),
    Command(EXPLORER_RUNS, ExplorerRunsArgs, ExplorerRunsReply),
    Command(EXPLORER_STEPS, ExplorerStepsArgs, ExplorerStepsReply),
    Command(EXPLORER_TASKS, ExplorerTasksArgs, ExplorerTasksReply),
    Command(EXPLORER_ARTIFACTS, ExplorerArtifactsArgs, ExplorerArtifactsReply),
    Command(EXPLORER_COMPARE, CompareArgs, CompareReply),
    Command(EXPLORER_CARDS, ExplorerArtifactsArgs, ExplorerCardsReply),
    Command(VALUE_PAGE, ValuePageArgs, ValuePageReply),
    # flow_graph.py's dataclasses are the payload; FileGraph.to_dict gives its wire form.
    Command(FLOW_GRAPH, UriArgs, FileGraph),
    Command(PREWARM, PrewarmArgs, PrewarmResult),
)

NOTIFICATIONS: dict[str, type] = {
    EVENT: EventParams,
    RUN_LOG: RunLogParams,
    RUNS_CHANGED: RunsChangedParams,
}
