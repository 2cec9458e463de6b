"""The one vocabulary of spin events, shared by the kernel, the CLI and the editor.

Every event is a flat JSON object with an ``event`` field; docs/protocol.md
documents each one and extension/src/protocol.ts mirrors them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

Status = Literal["new", "changed", "unchanged"]
Stream = Literal["stdout", "stderr"]
FailureKind = Literal["setup", "exception", "exit", "crash", "memory", "timeout", "cancelled"]


@dataclass(frozen=True)
class SourceInfo:
    """Where a spin's inputs come from."""

    flow: str
    run_id: str
    step: str
    task_id: str | None  # the original task of this step, None if it never ran
    parents: tuple[str, ...]  # parent task pathspecs, in the order the step sees them
    index: int | None  # foreach split index, None outside a foreach
    iteration: int | None = None  # a recursive step's iteration, None outside a loop


@dataclass(frozen=True)
class Started:
    spin_id: str
    flow: str
    step: str
    flow_file: str
    source: SourceInfo
    warm: bool  # the kernel already held these inputs
    event: Literal["started"] = "started"


@dataclass(frozen=True)
class Progress:
    spin_id: str
    message: str
    event: Literal["progress"] = "progress"


@dataclass(frozen=True)
class DebugReady:
    """A debug spin waits for a debugger (DAP, debugpy) on this address."""

    spin_id: str
    host: str
    port: int
    event: Literal["debug"] = "debug"


@dataclass(frozen=True)
class Paused:
    """A debug spin's step stopped in the debugger (breakpoint, step, exception)."""

    spin_id: str
    file: str  # where it stopped: the user's frame
    line: int
    function: str  # the function stopped in, e.g. the step's name
    event: Literal["paused"] = "paused"


@dataclass(frozen=True)
class Resumed:
    """The debugger let the step run on after a ``paused``."""

    spin_id: str
    event: Literal["resumed"] = "resumed"


@dataclass(frozen=True)
class Log:
    spin_id: str
    stream: Stream
    text: str
    event: Literal["log"] = "log"


@dataclass(frozen=True)
class Artifact:
    spin_id: str
    name: str
    type: str  # qualified type name of the value
    size: int | None  # bytes when stored (pickled), None if unknown
    summary: str  # short, truncated repr
    vs_inputs: Status
    vs_source: Status
    vs_previous: Status | None = None  # None: no earlier spin of this task to compare with
    # Comparison ("inputs", "source", "previous") -> diff.ValueDiff.to_dict(), for
    # the comparisons that changed.
    diffs: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None  # e.g. the value cannot be pickled
    # Metaflow's own (`_graph_info`, `_foreach_stack`, ...): tables hide them by default.
    internal: bool = False
    # Assigned by a step that then failed: how far it got, not a result.
    partial: bool = False
    # A Parameter or Config of the flow (passed in, never the step's own): grouped apart.
    parameter: bool = False
    event: Literal["artifact"] = "artifact"


@dataclass(frozen=True)
class Card:
    """A card the step's ``@card`` rendered: its HTML is in the file at ``path``."""

    type: str
    id: str | None
    path: str


@dataclass(frozen=True)
class Finished:
    spin_id: str
    next_steps: tuple[str, ...]
    foreach: str | None
    timings: dict[str, float]
    removed: tuple[str, ...] = ()  # source-task artifacts this spin no longer produces
    record: str | None = None  # folder of this spin in the history
    cards: tuple[Card, ...] = ()
    status: Literal["ok"] = "ok"
    event: Literal["finished"] = "finished"


@dataclass(frozen=True)
class Frame:
    """One of the user's frames of a failed step's traceback."""

    file: str
    line: int
    function: str


@dataclass(frozen=True)
class Failed:
    spin_id: str
    kind: FailureKind
    error: str
    code: str | None = None  # machine-readable cause, e.g. "no-successful-run"
    traceback: str | None = None
    file: str | None = None  # user frame closest to the error
    line: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # The user's frames, from the step down to the raise (innermost last), bounded.
    frames: tuple[Frame, ...] = ()
    status: Literal["failed"] = "failed"
    event: Literal["failed"] = "failed"


Event = Started | Progress | DebugReady | Paused | Resumed | Log | Artifact | Finished | Failed

_BY_NAME: dict[str, type] = {
    "started": Started,
    "progress": Progress,
    "debug": DebugReady,
    "paused": Paused,
    "resumed": Resumed,
    "log": Log,
    "artifact": Artifact,
    "finished": Finished,
    "failed": Failed,
}


def to_dict(event: Event) -> dict[str, Any]:
    """The event as JSON-ready data. Shallow (``dataclasses.asdict`` deep-copies
    every diff, a third of a small spin's reporting time): nested payloads are
    plain data already, sent at once and never changed."""
    return _plain(event)


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple) and value and is_dataclass(value[0]):
        return [_plain(item) for item in value]
    return value


def from_dict(data: dict[str, Any]) -> Event:
    cls = _BY_NAME[data["event"]]
    fields = dict(data)
    if cls is Started:
        fields["source"] = SourceInfo(
            **{**fields["source"], "parents": tuple(fields["source"]["parents"])}
        )
    for name in ("next_steps", "removed"):
        if name in fields:
            fields[name] = tuple(fields[name])
    if "cards" in fields:
        fields["cards"] = tuple(Card(**card) for card in fields["cards"])
    if "frames" in fields:
        fields["frames"] = tuple(Frame(**frame) for frame in fields["frames"])
    return cls(**fields)
