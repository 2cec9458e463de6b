"""Every frame between the session, the kernel and spin children, typed.

The session builds requests and the kernel parses them (``SpinRequest``,
``FetchRequest``, ``CancelRequest``, ``ShutdownRequest``); the kernel gives a
child its spin (``RunRequest`` carrying a ``SpinSpec``) and forwards fetches to
it. Replies that are not events are ``Ready``, ``ValueReply`` (its value is the
frame's payload) and ``ErrorReply``. A frame is a dict with an ``op`` and the
dataclass's fields (docs/protocol.md, "Session ↔ kernel frames"); events travel
as ``event`` and ``events`` frames of the event vocabulary (``events.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from . import events


class BadFrame(ValueError):
    """A frame with an unknown ``op`` or fields that do not fit it."""


@dataclass(frozen=True)
class SpinRequest:
    """Session → kernel: run one spin; its events come back as ``event`` frames."""

    OP: ClassVar[str] = "spin"
    id: int
    spin_id: str
    flow: str
    step: str
    run: str | None = None
    index: int | None = None
    task: str | None = None
    iteration: int | None = None  # a recursive step's: 0 first, -1 last
    overrides: dict[str, str] = field(default_factory=dict)  # name -> Python literal text
    source: str | None = None  # unsaved editor text; None reads the file
    artifacts_module: str | None = None
    history_dir: str | None = None  # None: record no history
    history_keep: int = 0
    debug_port: int | None = None  # None: no debugger; 0: any free port
    terminal: bool = False  # the frame carries the session's stdin and stdout (pdb)
    memory_limit_mb: int | None = None  # None: no limit
    skip_decorators: bool = False
    decospecs: list[str] = field(default_factory=list)  # as --with
    config_values: dict[str, Any] = field(default_factory=dict)  # config name -> value
    config_files: dict[str, str] = field(default_factory=dict)  # config name -> file


@dataclass(frozen=True)
class FetchRequest:
    """Session → kernel → child: one output value of a spin (``ValueReply`` or
    ``ErrorReply`` with the same ``id``)."""

    OP: ClassVar[str] = "fetch"
    id: int
    spin_id: str
    name: str


@dataclass(frozen=True)
class CancelRequest:
    """Session → kernel: end the spin ``spin_id`` if it is the one running."""

    OP: ClassVar[str] = "cancel"
    spin_id: str


@dataclass(frozen=True)
class ShutdownRequest:
    """Session → kernel: end every child and exit."""

    OP: ClassVar[str] = "shutdown"


@dataclass(frozen=True)
class PreviewRequest:
    """Session → kernel: a bounded look at one artifact of the source run (its
    type, size and a short text; ``PreviewReply`` or ``ErrorReply``). ``parent``
    None: the artifact of ``step``'s own task; a step name: of that parent's task
    (``inputs.<parent>.name``); ``"*"``: of the step's first parent."""

    OP: ClassVar[str] = "preview"
    id: int
    flow: str
    step: str
    name: str
    run: str | None = None  # None: the latest successful run
    parent: str | None = None


@dataclass(frozen=True)
class ValuePageRequest:
    """Session → kernel (→ the parked child for a spin's output): one page of a
    value for the value viewer (``ValuePageReply`` or ``ErrorReply``). ``spin_id``
    names a spin's output; else ``task`` (a pathspec) names a source-run
    artifact. ``path`` walks into a dict/list by entry positions."""

    OP: ClassVar[str] = "valuePage"
    id: int
    name: str
    spin_id: str | None = None
    task: str | None = None
    path: list[int] = field(default_factory=list)
    offset: int = 0
    limit: int = 100
    sort: str | None = None  # a table's column
    descending: bool = False
    as_text: bool = False  # the whole value's repr, bounded ("copy value")


@dataclass(frozen=True)
class PrewarmRequest:
    """Session → kernel: resolve and load a step's inputs and fork the spare now,
    before any spin asks (``PrewarmReply`` or ``ErrorReply``). Inputs whose
    recorded size exceeds what is left of ``budget_mb`` are skipped (None: no
    bound); any frame that arrives meanwhile preempts the rest of the loading."""

    OP: ClassVar[str] = "prewarm"
    id: int
    flow: str
    step: str
    run: str | None = None
    index: int | None = None
    task: str | None = None
    iteration: int | None = None
    budget_mb: int | None = None


KernelRequest = (
    SpinRequest
    | FetchRequest
    | CancelRequest
    | PreviewRequest
    | ValuePageRequest
    | ShutdownRequest
    | PrewarmRequest
)


@dataclass(frozen=True)
class SpinSpec:
    """Kernel → child: the spin a forked child runs, as the kernel received it."""

    spin_id: str
    step: str
    flow_file: str
    flow_class: str
    history_keep: int  # spins kept per step, when there is a history
    source: str | None = None  # unsaved editor text; None reads the file
    overrides: dict[str, str] = field(default_factory=dict)  # name -> Python literal
    artifacts_module: str | None = None
    history_dir: str | None = None  # None: keep no history
    debug_port: int | None = None  # None: no debugger; 0: any free port
    memory_limit_mb: int | None = None  # None or 0: no limit on the step's allocations
    skip_decorators: bool = False  # as metaflow spin --skip-decorators
    decospecs: list[str] = field(default_factory=list)  # as --with
    config_values: dict[str, Any] = field(default_factory=dict)  # config name -> value
    config_files: dict[str, str] = field(default_factory=dict)  # config name -> file
    scratch_dir: str | None = None  # the kernel's own folder for Metaflow's spin files


@dataclass(frozen=True)
class RunRequest:
    """Kernel → a waiting child: run this spin."""

    OP: ClassVar[str] = "run"
    spec: SpinSpec


@dataclass(frozen=True)
class SpareAnswer:
    """Speculative spare → kernel, on a ``run``: whether the flow it built ahead
    fits this spin (``taken``: its events follow) or not (``reason``; it exits)."""

    OP: ClassVar[str] = "spare"
    taken: bool
    reason: str | None = None


@dataclass(frozen=True)
class Ready:
    """Kernel → session, once at start."""

    OP: ClassVar[str] = "ready"
    pid: int
    python: str


@dataclass(frozen=True)
class ValueReply:
    """The value asked for by the fetch ``id``: the frame's payload (cloudpickle)."""

    OP: ClassVar[str] = "value"
    id: int


@dataclass(frozen=True)
class ErrorReply:
    """Why the request ``id`` (a fetch, or an unknown op) has no answer."""

    OP: ClassVar[str] = "error"
    id: int | None
    error: str


@dataclass(frozen=True)
class PreviewReply:
    """The preview asked for by ``id``: never the value itself, only its description."""

    OP: ClassVar[str] = "previewed"
    id: int
    type: str  # qualified type name
    size: int | None  # bytes as Metaflow stored it, None if unknown
    text: str  # bounded: shape, dtypes and first rows of a table; a clipped repr otherwise
    task: str  # the task's pathspec the value is from


@dataclass(frozen=True)
class ValuePageReply:
    """One page of a value (``engine/value_pages.py``): JSON only, never the value."""

    OP: ClassVar[str] = "valuePaged"
    id: int
    page: dict[str, Any]


@dataclass(frozen=True)
class PrewarmReply:
    """What the prewarm ``id`` did: the inputs loaded and skipped (over budget,
    or not reached when ``preempted``); ``warm``: they were loaded already."""

    OP: ClassVar[str] = "prewarmed"
    id: int
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    preempted: bool = False
    warm: bool = False
    seconds: float = 0.0


PrewarmAnswer = PrewarmReply | ErrorReply
FetchReply = ValueReply | ErrorReply
ValuePageAnswer = ValuePageReply | ErrorReply
PreviewAnswer = PreviewReply | ErrorReply
Frame = (
    KernelRequest
    | RunRequest
    | SpareAnswer
    | Ready
    | ValueReply
    | PreviewReply
    | ValuePageReply
    | ErrorReply
    | PrewarmReply
)

_Frame = TypeVar("_Frame", bound=Frame)


def to_frame(frame: Frame) -> dict[str, Any]:
    """The frame's header: its ``op`` and its fields (shallow: values are plain data)."""
    header: dict[str, Any] = {"op": frame.OP}
    for f in dataclasses.fields(frame):
        value = getattr(frame, f.name)
        header[f.name] = _spec_fields(value) if isinstance(value, SpinSpec) else value
    return header


def _spec_fields(spec: SpinSpec) -> dict[str, Any]:
    return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}


def from_frame(header: dict[str, Any], cls: type[_Frame]) -> _Frame:
    """The ``cls`` frame a header holds; ``BadFrame`` if it holds another."""
    op = header.get("op")
    if op != cls.OP:
        raise BadFrame(f"unknown op {op}" if op not in _OPS else f"{op} frame, not {cls.OP}")
    values = {f.name: header[f.name] for f in dataclasses.fields(cls) if f.name in header}
    if cls is RunRequest and isinstance(values.get("spec"), dict):
        values["spec"] = _build(SpinSpec, values["spec"], op)
    frame: _Frame = _build(cls, values, op)
    return frame


_REQUESTS: dict[str, type[KernelRequest]] = {
    cls.OP: cls
    for cls in (
        SpinRequest,
        FetchRequest,
        CancelRequest,
        PreviewRequest,
        ValuePageRequest,
        ShutdownRequest,
        PrewarmRequest,
    )
}
_FETCH_REPLIES: dict[str, type[FetchReply]] = {cls.OP: cls for cls in (ValueReply, ErrorReply)}
_PREVIEW_REPLIES: dict[str, type[PreviewAnswer]] = {
    cls.OP: cls for cls in (PreviewReply, ErrorReply)
}
_VALUE_PAGE_REPLIES: dict[str, type[ValuePageAnswer]] = {
    cls.OP: cls for cls in (ValuePageReply, ErrorReply)
}
_PREWARM_REPLIES: dict[str, type[PrewarmAnswer]] = {
    cls.OP: cls for cls in (PrewarmReply, ErrorReply)
}
_OPS = {
    *_REQUESTS,
    *_PREWARM_REPLIES,
    *_FETCH_REPLIES,
    *_PREVIEW_REPLIES,
    *_VALUE_PAGE_REPLIES,
    RunRequest.OP,
    SpareAnswer.OP,
    Ready.OP,
    "event",
    "events",
}


def request_from_frame(header: dict[str, Any]) -> KernelRequest:
    """A request the kernel serves; ``BadFrame`` for anything else."""
    cls = _REQUESTS.get(header.get("op", ""))
    if cls is None:
        raise BadFrame(f"unknown op {header.get('op')}")
    return from_frame(header, cls)


def fetch_reply_from_frame(header: dict[str, Any]) -> FetchReply:
    """The answer to a fetch; ``BadFrame`` for anything else."""
    cls = _FETCH_REPLIES.get(header.get("op", ""))
    if cls is None:
        raise BadFrame(f"{header.get('op')} frame, not a reply to a fetch")
    return from_frame(header, cls)


def preview_reply_from_frame(header: dict[str, Any]) -> PreviewAnswer:
    """The answer to a preview; ``BadFrame`` for anything else."""
    cls = _PREVIEW_REPLIES.get(header.get("op", ""))
    if cls is None:
        raise BadFrame(f"{header.get('op')} frame, not a reply to a preview")
    return from_frame(header, cls)


def value_page_reply_from_frame(header: dict[str, Any]) -> ValuePageAnswer:
    """The answer to a value page request; ``BadFrame`` for anything else."""
    cls = _VALUE_PAGE_REPLIES.get(header.get("op", ""))
    if cls is None:
        raise BadFrame(f"{header.get('op')} frame, not a reply to a value page request")
    return from_frame(header, cls)


def prewarm_reply_from_frame(header: dict[str, Any]) -> PrewarmAnswer:
    """The answer to a prewarm; ``BadFrame`` for anything else."""
    cls = _PREWARM_REPLIES.get(header.get("op", ""))
    if cls is None:
        raise BadFrame(f"{header.get('op')} frame, not a reply to a prewarm")
    return from_frame(header, cls)


def _build(cls: type[Any], values: dict[str, Any], op: object) -> Any:
    try:
        return cls(**values)
    except TypeError as exc:  # a required field is missing
        raise BadFrame(f"{op} frame: {exc}") from None


# -- events ---------------------------------------------------------------------
def event_frame(event: events.Event) -> dict[str, Any]:
    """One event, as the kernel and children send it."""
    return {"op": "event", **events.to_dict(event)}


def events_frame(batch: list[events.Event]) -> dict[str, Any]:
    """Several events in one frame (Metaflow's internal artifacts: a dozen
    small frames cost a spin ~4 ms)."""
    return {"op": "events", "events": [events.to_dict(e) for e in batch]}


def events_in_frame(header: dict[str, Any], spin_id: str) -> Iterator[events.Event]:
    """The events of spin ``spin_id`` an ``event`` or ``events`` frame holds;
    nothing for another frame or another spin."""
    op = header.get("op")
    if op == "events":
        batch: list[dict[str, Any]] = list(header.get("events") or [])
    elif op == "event":
        batch = [{k: v for k, v in header.items() if k != "op"}]
    else:
        return
    for data in batch:
        if data.get("spin_id") == spin_id:
            yield events.from_dict(data)
