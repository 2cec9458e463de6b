"""Arguments and results of the server commands, and the params of its notification
(docs/protocol.md, "Language server"; mirrored by extension/src/protocol.ts).

Fields are snake_case here and camelCase on the wire (``request_id`` is
``requestId``); a field whose metadata says ``optional`` may be absent on the
wire (an argument the client may leave out, a result field sent only when set).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

OPTIONAL = {"optional": True}


def invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message)


def wire_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_fields(cls: type) -> list[str]:
    """The wire names of a payload class, optional ones marked with ``?``."""
    return [
        wire_name(f.name) + ("?" if f.metadata.get("optional") else "")
        for f in dataclasses.fields(cls)
    ]


def to_wire(payload: object) -> Any:
    """A payload (or a list of them) as JSON-ready data; optional fields that are
    None are left out."""
    if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        return {
            wire_name(f.name): to_wire(getattr(payload, f.name))
            for f in dataclasses.fields(payload)
            if not (f.metadata.get("optional") and getattr(payload, f.name) is None)
        }
    if isinstance(payload, (list, tuple)):
        return [to_wire(item) for item in payload]
    return payload


def _object(command: str, arguments: Sequence[Any]) -> Mapping[str, Any]:
    """The one object a server command takes (``arguments: [{...}]``)."""
    if len(arguments) != 1 or not isinstance(arguments[0], Mapping):
        raise invalid(f"{command} takes one object argument, e.g. [{{'uri': ...}}]")
    return arguments[0]


def _required(command: str, data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise invalid(f"{command}: '{name}' must be a non-empty string")
    return value


def _optional(command: str, data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # run and task ids are numeric in the local datastore
    return _required(command, data, name)


# -- arguments ------------------------------------------------------------------


@dataclass(frozen=True)
class UriArgs:
    """``{uri}`` (restartKernel, listSteps)."""

    uri: str

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> UriArgs:
        return UriArgs(uri=_required(command, _object(command, arguments), "uri"))


@dataclass(frozen=True)
class ListRunsArgs:
    """``{uri, flow?}``."""

    uri: str
    flow: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ListRunsArgs:
        data = _object(command, arguments)
        return ListRunsArgs(
            uri=_required(command, data, "uri"), flow=_optional(command, data, "flow")
        )


@dataclass(frozen=True)
class CancelArgs:
    """``{uri?, requestId?, spinId?}``: with an id, exactly that spin (queued or
    running, in any file); with neither, every spin of ``uri``'s file."""

    uri: str | None = field(default=None, metadata=OPTIONAL)
    request_id: str | None = field(default=None, metadata=OPTIONAL)
    spin_id: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> CancelArgs:
        data = _object(command, arguments)
        args = CancelArgs(
            uri=_optional(command, data, "uri"),
            request_id=_optional(command, data, "requestId"),
            spin_id=_optional(command, data, "spinId"),
        )
        if args.uri is None and args.request_id is None and args.spin_id is None:
            raise invalid(f"{command}: give 'requestId' or 'spinId', or 'uri' for all its spins")
        return args


@dataclass(frozen=True)
class SpinArgs:
    """``{uri, step, requestId?, flow?, run?, index?, task?, overrides?}``."""

    uri: str
    step: str
    request_id: str | None = field(default=None, metadata=OPTIONAL)  # the client's, echoed
    flow: str | None = field(default=None, metadata=OPTIONAL)
    run: str | None = field(default=None, metadata=OPTIONAL)
    index: int | None = field(default=None, metadata=OPTIONAL)
    task: str | None = field(default=None, metadata=OPTIONAL)
    overrides: dict[str, str] = field(default_factory=dict, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> SpinArgs:
        data = _object(command, arguments)
        uri = _required(command, data, "uri")
        step = _required(command, data, "step")
        index = data.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise invalid(f"{command}: 'index' must be an integer")
        overrides = data.get("overrides") or {}
        if not isinstance(overrides, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in overrides.items()
        ):
            raise invalid(f"{command}: 'overrides' maps artifact names to Python literal text")
        return SpinArgs(
            uri=uri,
            step=step,
            request_id=_optional(command, data, "requestId"),
            flow=_optional(command, data, "flow"),
            run=_optional(command, data, "run"),
            index=index,
            task=_optional(command, data, "task"),
            overrides=dict(overrides),
        )


@dataclass(frozen=True)
class SourceRunArgs:
    """``{uri, runId: string | null}``."""

    uri: str
    run_id: str | None

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> SourceRunArgs:
        data = _object(command, arguments)
        uri = _required(command, data, "uri")
        if "runId" not in data:
            raise invalid(f"{command}: 'runId' is required (null: the latest successful run)")
        return SourceRunArgs(uri=uri, run_id=_optional(command, data, "runId"))


# -- results --------------------------------------------------------------------


@dataclass(frozen=True)
class SpinReply:
    """The result of ``spinlens.server.spin`` and ``spinlens.server.debug``."""

    spin_id: str
    status: str  # "ok", "failed" or "cancelled"
    error: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class CancelReply:
    cancelled: bool  # False: no such spin, or it had ended


@dataclass(frozen=True)
class RunInfo:
    """One run of ``spinlens.server.listRuns``."""

    run_id: str
    status: str  # "ok", "failed" or "running"
    created: float  # unix seconds


@dataclass(frozen=True)
class RunsReply:
    runs: list[RunInfo]  # newest first
    chosen: str | None  # the file's setSourceRun choice; None: none
    default_run: str | None  # the defaultSourceRun setting


@dataclass(frozen=True)
class SourceRunReply:
    run_id: str | None


@dataclass(frozen=True)
class RestartReply:
    restarted: bool


@dataclass(frozen=True)
class StepInfo:
    """One ``@step`` written in a document; 0-based lines, as LSP counts them."""

    flow: str
    name: str
    line: int  # the first decorator's (where the lenses are)
    def_line: int
    end_line: int  # the body's last


@dataclass(frozen=True)
class StepsReply:
    steps: list[StepInfo]  # in line order; empty when the text does not parse
    error: str | None  # why there are none (a syntax error), else None


# -- notifications ----------------------------------------------------------------


@dataclass(frozen=True)
class EventParams:
    """``spinlens/event``: one spin event, for the document and request it belongs to."""

    uri: str
    request_id: str | None  # the spin request's requestId; None if it gave none
    event: dict[str, Any]  # wire.events.to_dict of the event


# -- never-run flows and foreach children (runFlow, flowParameters, listTasks, setTask) --


@dataclass(frozen=True)
class FlowArgs:
    """``{uri, flow?}`` (flowParameters)."""

    uri: str
    flow: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> FlowArgs:
        data = _object(command, arguments)
        return FlowArgs(uri=_required(command, data, "uri"), flow=_optional(command, data, "flow"))


@dataclass(frozen=True)
class RunFlowArgs:
    """``{uri, flow?, parameters?, requestId?}``: ``parameters`` maps a Parameter's
    name to its command-line text; the others keep their defaults."""

    uri: str
    flow: str | None = field(default=None, metadata=OPTIONAL)
    parameters: dict[str, str] = field(default_factory=dict, metadata=OPTIONAL)
    request_id: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> RunFlowArgs:
        data = _object(command, arguments)
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, Mapping) or not all(
            isinstance(k, str) and k.isidentifier() and isinstance(v, str)
            for k, v in parameters.items()
        ):
            raise invalid(f"{command}: 'parameters' maps Parameter names to their text")
        return RunFlowArgs(
            uri=_required(command, data, "uri"),
            flow=_optional(command, data, "flow"),
            parameters=dict(parameters),
            request_id=_optional(command, data, "requestId"),
        )


@dataclass(frozen=True)
class TaskArgs:
    """``{uri, step, flow?, run?}`` (listTasks)."""

    uri: str
    step: str
    flow: str | None = field(default=None, metadata=OPTIONAL)
    run: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> TaskArgs:
        data = _object(command, arguments)
        return TaskArgs(
            uri=_required(command, data, "uri"),
            step=_required(command, data, "step"),
            flow=_optional(command, data, "flow"),
            run=_optional(command, data, "run"),
        )


@dataclass(frozen=True)
class SetTaskArgs:
    """``{uri, step, flow?, index: int | null}``: the foreach child a step's spins use."""

    uri: str
    step: str
    index: int | None
    flow: str | None = field(default=None, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> SetTaskArgs:
        data = _object(command, arguments)
        if "index" not in data:
            raise invalid(f"{command}: 'index' is required (null: split index 0)")
        index = data["index"]
        if index is not None and (type(index) is not int or index < 0):
            raise invalid(f"{command}: 'index' must be a non-negative integer or null")
        return SetTaskArgs(
            uri=_required(command, data, "uri"),
            step=_required(command, data, "step"),
            index=index,
            flow=_optional(command, data, "flow"),
        )


@dataclass(frozen=True)
class RunFlowReply:
    status: str  # "ok", "failed" or "cancelled"
    run_id: str | None = field(default=None, metadata=OPTIONAL)  # once Metaflow named it
    error: str | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class ParameterSpec:
    """A ``Parameter`` of the flow, as ``python flow.py run --NAME VALUE`` takes it."""

    name: str
    default: str | None  # the default as command-line text; None: not a literal
    help: str | None
    required: bool


@dataclass(frozen=True)
class ParametersReply:
    flow: str
    parameters: list[ParameterSpec]


@dataclass(frozen=True)
class TaskInfo:
    """One foreach child of a step in the source run."""

    task_id: str
    index: int | None  # the innermost foreach split index; None outside a foreach
    var: str | None  # the ``foreach=`` artifact's name
    value: str | None  # a short repr of the child's split value


@dataclass(frozen=True)
class TasksReply:
    run_id: str
    tasks: list[TaskInfo]  # by split index, one per index
    chosen: int | None  # the step's setTask choice; None: index 0
    truncated: bool  # more children than listed


@dataclass(frozen=True)
class SetTaskReply:
    index: int | None


@dataclass(frozen=True)
class RunLogParams:
    """``spinlens/runLog``: output of a ``runFlow`` run, line by line."""

    uri: str
    request_id: str | None
    stream: str  # "stdout" or "stderr"
    text: str


@dataclass(frozen=True)
class ValuePageArgs:
    """``{uri, name, spinId?, task?, path?, offset?, limit?, sort?, descending?,
    asText?}`` (valuePage): a spin's output (``spinId``) or a source-run
    artifact (``task``, a pathspec), and which page of it."""

    uri: str
    name: str
    spin_id: str | None = field(default=None, metadata=OPTIONAL)
    task: str | None = field(default=None, metadata=OPTIONAL)
    path: list[int] = field(default_factory=list, metadata=OPTIONAL)
    offset: int = field(default=0, metadata=OPTIONAL)
    limit: int = field(default=100, metadata=OPTIONAL)
    sort: str | None = field(default=None, metadata=OPTIONAL)
    descending: bool = field(default=False, metadata=OPTIONAL)
    as_text: bool = field(default=False, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ValuePageArgs:
        data = _object(command, arguments)
        path = data.get("path") or []
        if not isinstance(path, list) or not all(type(p) is int and p >= 0 for p in path):
            raise invalid(f"{command}: 'path' is a list of entry positions (integers >= 0)")
        numbers = {}
        for name, default in (("offset", 0), ("limit", 100)):
            value = data.get(name, default)
            if type(value) is not int or value < 0:
                raise invalid(f"{command}: '{name}' must be a non-negative integer")
            numbers[name] = value
        args = ValuePageArgs(
            uri=_required(command, data, "uri"),
            name=_required(command, data, "name"),
            spin_id=_optional(command, data, "spinId"),
            task=_optional(command, data, "task"),
            path=list(path),
            offset=numbers["offset"],
            limit=numbers["limit"],
            sort=_optional(command, data, "sort"),
            descending=data.get("descending") is True,
            as_text=data.get("asText") is True,
        )
        if (args.spin_id is None) == (args.task is None):
            raise invalid(f"{command}: give one of 'spinId' (a spin's output) or 'task'")
        return args


@dataclass(frozen=True)
class ValuePageReply:
    """One page of a value; ``page`` is typed by its ``kind`` (docs/protocol.md)."""

    page: dict[str, Any]


# -- runs explorer and comparison (explorer.py; the reader is client_reader.py) ------


def _page_bound(command: str, data: Mapping[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if type(value) is not int or value < 0:
        raise invalid(f"{command}: '{name}' must be a non-negative integer")
    return value


@dataclass(frozen=True)
class ExplorerFlowsArgs:
    """``{}``: the flows of the workspace's files."""

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ExplorerFlowsArgs:
        _object(command, arguments)
        return ExplorerFlowsArgs()


@dataclass(frozen=True)
class ExplorerFlow:
    flow: str
    uri: str  # the file that defines it; later requests name it
    path: str


@dataclass(frozen=True)
class ExplorerFlowsReply:
    flows: list[ExplorerFlow]  # by flow name


@dataclass(frozen=True)
class ExplorerRunsArgs:
    """``{uri, flow, offset?, limit?}``."""

    uri: str
    flow: str
    offset: int = field(default=0, metadata=OPTIONAL)
    limit: int = field(default=50, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ExplorerRunsArgs:
        data = _object(command, arguments)
        return ExplorerRunsArgs(
            uri=_required(command, data, "uri"),
            flow=_required(command, data, "flow"),
            offset=_page_bound(command, data, "offset", 0),
            limit=_page_bound(command, data, "limit", 50),
        )


@dataclass(frozen=True)
class ExplorerRun:
    run_id: str
    status: str  # "ok", "failed" or "running"
    created: float  # unix seconds
    user: str | None
    tags: list[str]
    parameters: dict[str, str]  # name -> short value


@dataclass(frozen=True)
class ExplorerRunsReply:
    runs: list[ExplorerRun]  # newest first
    total: int
    more: bool


@dataclass(frozen=True)
class ExplorerStepsArgs:
    """``{uri, flow, run}``."""

    uri: str
    flow: str
    run: str

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ExplorerStepsArgs:
        data = _object(command, arguments)
        run = _optional(command, data, "run")
        if run is None:
            raise invalid(f"{command}: 'run' is required")
        return ExplorerStepsArgs(
            uri=_required(command, data, "uri"), flow=_required(command, data, "flow"), run=run
        )


@dataclass(frozen=True)
class ExplorerStep:
    name: str
    created: float


@dataclass(frozen=True)
class ExplorerStepsReply:
    steps: list[ExplorerStep]  # in the order they ran


@dataclass(frozen=True)
class ExplorerTasksArgs:
    """``{uri, flow, run, step, offset?, limit?}``."""

    uri: str
    flow: str
    run: str
    step: str
    offset: int = field(default=0, metadata=OPTIONAL)
    limit: int = field(default=50, metadata=OPTIONAL)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ExplorerTasksArgs:
        data = _object(command, arguments)
        steps = ExplorerStepsArgs.parse(command, arguments)
        return ExplorerTasksArgs(
            uri=steps.uri,
            flow=steps.flow,
            run=steps.run,
            step=_required(command, data, "step"),
            offset=_page_bound(command, data, "offset", 0),
            limit=_page_bound(command, data, "limit", 50),
        )


@dataclass(frozen=True)
class ExplorerTask:
    task_id: str
    status: str  # "ok", "failed" or "running"
    index: int | None  # the innermost foreach split index; None outside a foreach
    var: str | None
    value: str | None  # the split value, short


@dataclass(frozen=True)
class ExplorerTasksReply:
    tasks: list[ExplorerTask]  # by task id
    total: int
    more: bool


@dataclass(frozen=True)
class ExplorerArtifactsArgs:
    """``{uri, pathspec}``: a task's ``Flow/run/step/task``."""

    uri: str
    pathspec: str

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> ExplorerArtifactsArgs:
        data = _object(command, arguments)
        pathspec = _required(command, data, "pathspec")
        if len(pathspec.split("/")) != 4:
            raise invalid(f"{command}: 'pathspec' is a task's Flow/run/step/task")
        return ExplorerArtifactsArgs(uri=_required(command, data, "uri"), pathspec=pathspec)


@dataclass(frozen=True)
class ExplorerArtifact:
    name: str
    type: str
    size: int | None  # stored bytes
    value: str | None  # a bounded text; None: too large to load for the tree


@dataclass(frozen=True)
class ExplorerArtifactsReply:
    pathspec: str
    artifacts: list[ExplorerArtifact]  # by name, Metaflow's internal ones left out


@dataclass(frozen=True)
class CompareArgs:
    """``{uri, a, b}``: two run pathspecs (``Flow/run``), or two sides each a task
    pathspec or a spin (the absolute path of its record folder in the history)."""

    uri: str
    a: str
    b: str

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> CompareArgs:
        data = _object(command, arguments)
        a, b = _required(command, data, "a"), _required(command, data, "b")
        kinds = {_compare_side(a), _compare_side(b)}
        if None in kinds or ("run" in kinds and kinds != {"run"}):
            raise invalid(f"{command}: 'a' and 'b' are two runs (Flow/run), or tasks or spins")
        return CompareArgs(uri=_required(command, data, "uri"), a=a, b=b)


def _compare_side(spec: str) -> str | None:
    """What a compare side names: "spin" (an absolute path), "run", "task", or None."""
    if os.path.isabs(spec):
        return "spin"
    return {2: "run", 4: "task"}.get(len(spec.split("/")))


@dataclass(frozen=True)
class CompareParameter:
    name: str
    a: str | None  # None: the run has no such Parameter
    b: str | None
    changed: bool


@dataclass(frozen=True)
class CompareArtifact:
    name: str  # "step.name" ("step[i].name" in a foreach) for runs; the name for tasks
    status: str  # "added", "removed", "changed" or "same"
    type: str
    summary: str
    diff: dict[str, Any] | None  # a ValueDiff (docs/protocol.md) when changed


@dataclass(frozen=True)
class CompareMetric:
    name: str
    a: float | str  # NaN and infinities as strings
    b: float | str
    delta: float | str


@dataclass(frozen=True)
class CompareReply:
    a: str
    b: str
    parameters: list[CompareParameter]
    artifacts: list[CompareArtifact]  # changed, added, removed, then same; each A-Z
    metrics: list[CompareMetric]  # int and float artifacts that changed
    truncated: bool  # more artifacts than compared


@dataclass(frozen=True)
class ExplorerCard:
    type: str
    id: str | None
    html: str | None  # None: larger than 8 MB (or past the task's 32 MB), or unreadable
    size: int | None  # bytes of HTML, when known
    note: str | None  # why html is None


@dataclass(frozen=True)
class ExplorerCardsReply:
    pathspec: str
    cards: list[ExplorerCard]  # as Metaflow's get_cards lists them, at most 20
    truncated: bool  # the task has more cards


@dataclass(frozen=True)
class RunsChangedParams:
    """``spinlens/runsChanged``: a flow of the workspace has a new run (or one moved on)."""

    flow: str
    uri: str  # the flow's file


# -- prewarm (lsp/prewarm.py) ---------------------------------------------------------


@dataclass(frozen=True)
class PrewarmArgs:
    """``{uri, line}``: the cursor's line (0-based) in a flow file's editor; the
    step around it (else the file's first step) gets its inputs loaded."""

    uri: str
    line: int

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> PrewarmArgs:
        data = _object(command, arguments)
        line = data.get("line")
        if type(line) is not int or line < 0:
            raise invalid(f"{command}: 'line' must be a non-negative integer")
        return PrewarmArgs(uri=_required(command, data, "uri"), line=line)


@dataclass(frozen=True)
class PrewarmResult:
    """What a prewarm did. ``status``: ``done``, ``off`` (prewarmMemoryMB is 0),
    ``busy`` (a spin is queued or running), ``noStep`` (no step to prewarm),
    ``superseded`` (the user moved to another step first) or ``failed``
    (``error`` says why). ``loaded``/``skipped``: input names (skipped: over the
    budget, or not reached); ``warm``: they were loaded already."""

    status: str
    step: str | None = field(default=None, metadata=OPTIONAL)
    loaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warm: bool = False
    error: str | None = field(default=None, metadata=OPTIONAL)
