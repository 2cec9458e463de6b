"""Every custom method of the server: its commands with their argument and result
types, and its notification (docs/protocol.md; extension/src/protocol.ts mirrors
them, and tests/extension/contract.test.ts checks the three agree)."""

from __future__ import annotations

from dataclasses import dataclass

from .payloads import (
    CancelArgs,
    CancelReply,
    EventParams,
    ListRunsArgs,
    RestartReply,
    RunsReply,
    SourceRunArgs,
    SourceRunReply,
    SpinArgs,
    SpinReply,
    StepsReply,
    UriArgs,
)

SPIN = "spinlens.server.spin"
DEBUG = "spinlens.server.debug"
CANCEL = "spinlens.server.cancel"
LIST_RUNS = "spinlens.server.listRuns"
SET_SOURCE_RUN = "spinlens.server.setSourceRun"
RESTART_KERNEL = "spinlens.server.restartKernel"
LIST_STEPS = "spinlens.server.listSteps"

EVENT = "spinlens/event"


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
)

NOTIFICATIONS: dict[str, type] = {EVENT: EventParams}
