"""A long-lived reader of Metaflow's Client for the runs explorer.

``python -m spinlens.client_reader``, started by the language server with the
user's interpreter in a flow file's folder (so Metaflow sees the datastore that
``python flow.py`` there would). It reads one JSON request per line on stdin,
``{"id", "op", ...}``, and answers each on stdout with ``{"id", "result"}`` or
``{"id", "error"}``; it ends when stdin closes. Importing Metaflow once per
folder, not once per click, is what makes a lazily expanded tree cheap.

Everything is paged: runs are listed from the metadata alone (one small record
each) and only a page's runs have their status and parameters read; a step's
tasks are listed by name (from the local metadata's folders when Metaflow keeps
them on disk) and only a page's tasks are opened. Artifact types and sizes come
from the task's datastore metadata; values are read only when small.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

VALUE_CHARS = 1500  # an artifact's short value, whole
PARAM_CHARS = 60  # a parameter's value in a run's row
SPLIT_CHARS = 80  # a foreach child's split value
LOAD_LIMIT = 1 << 20  # values stored larger than this are described, not loaded
DIFF_LIMIT = 256 << 20  # larger values are compared by content key only
MAX_PAGE = 500
MAX_COMPARED = 300  # artifacts compared per comparison


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str  # "ok", "failed" or "running"
    created: float  # unix seconds
    user: str | None
    tags: list[str]
    parameters: dict[str, str]  # name -> short value


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    status: str
    index: int | None  # the innermost foreach split index
    var: str | None
    value: str | None  # the split value, short


@dataclass(frozen=True)
class ArtifactRow:
    name: str
    type: str
    size: int | None
    value: str | None  # None: too large to load here


@dataclass
class CompareRow:
    name: str  # "step.artifact" for runs, the artifact's name for tasks
    status: str  # "added", "removed", "changed" or "same"
    type: str
    summary: str
    diff: dict[str, Any] | None = None  # ValueDiff.to_dict()


@dataclass
class Comparison:
    a: str
    b: str
    parameters: list[dict[str, Any]] = field(default_factory=list)  # name, a, b
    artifacts: list[CompareRow] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)  # name, a, b, delta
    truncated: bool = False


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split()) if limit <= PARAM_CHARS else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Reader:
    """The requests, on Metaflow's Client (imported here, in this process only)."""

    def __init__(self) -> None:
        from metaflow import namespace

        namespace(None)  # every user's runs, as `python flow.py` sees them with --namespace=
        self._task_ids: dict[str, list[str]] = {}  # finished runs' steps: their tasks never change
        self._run_rows: dict[str, RunRow] = {}  # finished runs' rows: they never change either

    # -- runs ---------------------------------------------------------------------
    def runs(self, flow: str, offset: int = 0, limit: int = 50) -> dict[str, Any]:
        from metaflow import Flow
        from metaflow.exception import MetaflowNotFound

        try:
            runs = list(Flow(flow))  # newest first; one metadata record per run
        except MetaflowNotFound:
            runs = []
        page = runs[offset : offset + _limit(limit)]
        return {
            "total": len(runs),
            "more": offset + len(page) < len(runs),
            "runs": [asdict(self._cached_row(run)) for run in page],
        }

    def _cached_row(self, run: Any) -> RunRow:
        row = self._run_rows.get(run.pathspec)
        if row is None:
            row = self._run_row(run)
            if row.status != "running":
                self._run_rows[run.pathspec] = row
        return row

    def _run_row(self, run: Any) -> RunRow:
        user = next((t[5:] for t in run.system_tags if t.startswith("user:")), None)
        return RunRow(
            run_id=run.id,
            status=_run_status(run),
            created=run.created_at.timestamp(),
            user=user,
            tags=sorted(run.user_tags),
            parameters={
                name: clip(text, PARAM_CHARS) for name, text in self._parameters(run).items()
            },
        )

    def _parameters(self, run: Any) -> dict[str, str]:
        """The run's Parameters (and Configs), as the ``_parameters`` task holds them
        (read through the Client: that task records no datastore of its own)."""
        from .engine.preview import describe

        try:
            artifacts = {a.id: a for a in run["_parameters"].task}
        except Exception:  # a run killed before it recorded its parameters
            return {}
        try:  # the flow's own list of its Parameters (and Configs)
            info = artifacts["_graph_info"].data
            names = {p["name"] for p in info.get("parameters", [])}
        except Exception:  # an older Metaflow: every public artifact but the flow's name
            names = {n for n in artifacts if not n.startswith("_") and n != "name"}
        found = {}
        for artifact in sorted(artifacts.values(), key=lambda a: a.id):
            if artifact.id not in names:
                continue
            try:
                found[artifact.id] = describe(artifact.data)
            except Exception as exc:  # unpicklable here
                found[artifact.id] = f"(could not be read: {type(exc).__name__})"
        return found

    # -- steps and tasks -------------------------------------------------------------
    def steps(self, flow: str, run: str) -> dict[str, Any]:
        from metaflow import Run

        found = Run(f"{flow}/{run}", _namespace_check=False)
        steps = sorted(found, key=lambda s: s.created_at)  # the order they ran in
        return {"steps": [{"name": s.id, "created": s.created_at.timestamp()} for s in steps]}

    def tasks(
        self, flow: str, run: str, step: str, offset: int = 0, limit: int = 50
    ) -> dict[str, Any]:
        from metaflow import Task

        ids = self._task_list(flow, run, step)
        page = ids[offset : offset + _limit(limit)]
        rows = []
        for task_id in page:
            task = Task(f"{flow}/{run}/{step}/{task_id}", _namespace_check=False)
            rows.append(asdict(_task_row(task)))
        return {"total": len(ids), "more": offset + len(page) < len(ids), "tasks": rows}

    def _task_list(self, flow: str, run: str, step: str) -> list[str]:
        key = f"{flow}/{run}/{step}"
        cached = self._task_ids.get(key)
        if cached is not None:
            return cached
        ids = _local_task_ids(flow, run, step)
        if ids is None:  # not the local metadata: the Client lists them
            from metaflow import Step

            ids = [t.id for t in Step(key, _namespace_check=False)]
        ids.sort(key=_id_order)
        if _run_finished(flow, run):
            self._task_ids[key] = ids
        return ids

    # -- artifacts ---------------------------------------------------------------------
    def artifacts(self, pathspec: str, internal: bool = False) -> dict[str, Any]:
        from metaflow import Task

        from .engine.resolve import _task_inputs

        table = _task_inputs(Task(pathspec, _namespace_check=False))
        rows = []
        for name in sorted(table.objects):
            if name.startswith("_") and not internal:
                continue
            size, value = _short_value(table, name, VALUE_CHARS)
            rows.append(asdict(ArtifactRow(name, _type_of(table, name), size, value)))
        return {"pathspec": pathspec, "artifacts": rows}

    # -- comparison --------------------------------------------------------------------
    def compare(self, a: str, b: str) -> dict[str, Any]:
        from metaflow import Run, Task

        depth = len(a.split("/"))
        if depth != len(b.split("/")) or depth not in (2, 4):
            raise ValueError("compare takes two run pathspecs or two task pathspecs")
        result = Comparison(a=a, b=b)
        if depth == 2:
            run_a = Run(a, _namespace_check=False)
            run_b = Run(b, _namespace_check=False)
            pa, pb = self._parameters(run_a), self._parameters(run_b)
            result.parameters = [
                {"name": n, "a": pa.get(n), "b": pb.get(n), "changed": pa.get(n) != pb.get(n)}
                for n in sorted(set(pa) | set(pb))
            ]
            pairs = _step_pairs(run_a, run_b)
            skip = set(pa) | set(pb)  # every task holds the Parameters: shown once, above
        else:
            pairs = iter([("", Task(a, _namespace_check=False), Task(b, _namespace_check=False))])
            skip = set()
        for prefix, task_a, task_b in pairs:
            if len(result.artifacts) >= MAX_COMPARED:
                result.truncated = True
                break
            _compare_tasks(result, prefix, task_a, task_b, skip)
        order = {"changed": 0, "added": 1, "removed": 2, "same": 3}
        result.artifacts.sort(key=lambda r: (order[r.status], r.name))
        return asdict(result)


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_PAGE))


def _id_order(task_id: str) -> tuple[int, int | str]:
    return (0, int(task_id)) if task_id.isdigit() else (1, task_id)


def _run_status(run: Any) -> str:
    end = run.end_task  # looked up once: successful and finished each look it up again
    if end is not None and end.successful:
        return "ok"
    if end is not None and end.finished:
        return "failed"
    return "running"  # or killed before it could finish: Metaflow cannot tell


def _run_finished(flow: str, run: str) -> bool:
    from metaflow import Run

    try:
        return bool(Run(f"{flow}/{run}", _namespace_check=False).finished)
    except Exception:  # a run being written: list again next time
        return False


def _local_task_ids(flow: str, run: str, step: str) -> list[str] | None:
    """The step's task ids from the local metadata's folder names (one directory
    listing, however many tasks), or None when the metadata is not local."""
    from metaflow import get_metadata

    kind, _, root = get_metadata().partition("@")
    if kind != "local" or not root:
        return None
    folder = os.path.join(root, flow, run, step)
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_dir() and not e.name.startswith("_")]
    except OSError:
        return None


def _task_row(task: Any) -> TaskRow:
    stack: list[Any] = []
    try:
        stack = task["_foreach_stack"].data or []
    except KeyError:
        pass
    frame = stack[-1] if stack else None
    value = None
    if frame is not None and getattr(frame, "value", None) is not None:
        value = clip(_safe_repr(frame.value), SPLIT_CHARS)
    status = "ok" if task.successful else ("failed" if task.finished else "running")
    return TaskRow(
        task_id=task.id,
        status=status,
        index=frame.index if frame is not None else None,
        var=frame.var if frame is not None else None,
        value=value,
    )


def _type_of(table: Any, name: str) -> str:
    from .engine.preview import _recorded_type

    return _recorded_type(table.info.get(name, {}).get("type"))


def _stored_size(table: Any, name: str) -> int | None:
    size = table.info.get(name, {}).get("size")
    return int(size) if isinstance(size, (int, float)) else None


def _short_value(table: Any, name: str, chars: int) -> tuple[int | None, str | None]:
    """The stored size and, if the value is small enough to load, a bounded text."""
    from .engine.preview import describe

    size = _stored_size(table, name)
    if size is None or size > LOAD_LIMIT:
        return size, None
    try:
        value = _load(table, name)
    except Exception as exc:  # unpicklable here (a class of the flow file, a missing module)
        return size, f"(could not be read: {type(exc).__name__})"
    return size, clip(describe(value), chars)


def _load(table: Any, name: str) -> Any:
    return next(iter(table.datastore.load_artifacts([name])))[1]


def _safe_repr(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a user __str__ that fails
        return f"<{type(value).__name__}>"


def _step_pairs(run_a: Any, run_b: Any) -> Iterator[tuple[str, Any, Any]]:
    """(step name, task a, task b) for the steps both runs have, in run order; a
    step with several tasks (a foreach) pairs its tasks by position."""
    steps_b = {s.id: s for s in run_b}
    for step_a in sorted(run_a, key=lambda s: s.created_at):
        step_b = steps_b.get(step_a.id)
        if step_b is None:
            continue
        tasks_a = sorted(step_a, key=lambda t: _id_order(t.id))
        tasks_b = sorted(step_b, key=lambda t: _id_order(t.id))
        several = len(tasks_a) > 1 or len(tasks_b) > 1
        for i, (task_a, task_b) in enumerate(zip(tasks_a, tasks_b, strict=False)):
            yield (f"{step_a.id}[{i}]" if several else step_a.id), task_a, task_b


def _compare_tasks(
    result: Comparison, prefix: str, task_a: Any, task_b: Any, skip: set[str]
) -> None:
    from .engine.resolve import _task_inputs

    table_a, table_b = _task_inputs(task_a), _task_inputs(task_b)
    every = set(table_a.objects) | set(table_b.objects)
    names = sorted(n for n in every if not n.startswith("_") and n not in skip)
    for name in names:
        label = f"{prefix}.{name}" if prefix else name
        if name not in table_a.objects:
            kind = _type_of(table_b, name)
            result.artifacts.append(CompareRow(label, "added", kind, f"new {kind}"))
        elif name not in table_b.objects:
            kind = _type_of(table_a, name)
            result.artifacts.append(CompareRow(label, "removed", kind, f"no {kind} in b"))
        elif table_a.objects[name] == table_b.objects[name]:  # same content key: no load
            result.artifacts.append(CompareRow(label, "same", _type_of(table_b, name), "same"))
        else:
            result.artifacts.append(_changed(label, table_a, table_b, name, result))


def _changed(label: str, table_a: Any, table_b: Any, name: str, result: Comparison) -> CompareRow:
    from .engine.diff import diff_values

    kind = _type_of(table_b, name)
    sizes = [_stored_size(table_a, name) or 0, _stored_size(table_b, name) or 0]
    if max(sizes) > DIFF_LIMIT:
        return CompareRow(label, "changed", kind, "changed (too large to compare here)")
    try:
        old = _load(table_a, name)
        new = _load(table_b, name)
    except Exception as exc:  # unpicklable here
        return CompareRow(label, "changed", kind, f"changed (could not be read: {exc})")
    _metric(result, label, old, new)
    found = diff_values(old, new)
    del old, new  # one pair in memory at a time
    if not found.changed:  # stored differently, equal in value
        return CompareRow(label, "same", kind, found.summary or "same")
    return CompareRow(label, "changed", kind, found.summary, found.to_dict())


def _metric(result: Comparison, label: str, old: Any, new: Any) -> None:
    numbers = (int, float)
    if all(isinstance(v, numbers) and not isinstance(v, bool) for v in (old, new)):
        result.metrics.append({"name": label, "a": old, "b": new, "delta": new - old})


# -- the loop -----------------------------------------------------------------------


def _handlers(reader: Reader) -> dict[str, Callable[..., dict[str, Any]]]:
    return {
        "runs": reader.runs,
        "steps": reader.steps,
        "tasks": reader.tasks,
        "artifacts": reader.artifacts,
        "compare": reader.compare,
    }


def answer(reader: Reader, line: str) -> dict[str, Any]:
    """One request line's reply (never raises: an error is a reply)."""
    try:
        request = json.loads(line)
    except ValueError:
        return {"id": None, "error": "not JSON"}
    if not isinstance(request, dict):
        return {"id": None, "error": "a request is a JSON object"}
    ident = request.pop("id", None)
    handler = _handlers(reader).get(str(request.pop("op", "")))
    if handler is None:
        return {"id": ident, "error": "unknown op"}
    try:
        return {"id": ident, "result": _json_safe(handler(**request))}
    except Exception as exc:  # the tree shows why a node could not be read
        return {"id": ident, "error": f"{type(exc).__name__}: {exc}"}


def _json_safe(value: Any) -> Any:
    """NaN and infinities as strings (a metric may be either)."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def main() -> int:
    from .engine.metaflow_env import ensure_user

    ensure_user()
    # Replies get a private copy of stdout; fd 1 then points at stderr, so
    # whatever Metaflow or a value's repr prints cannot corrupt them.
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        reader = Reader()
    except Exception as exc:  # no Metaflow in this interpreter: every reply says so
        error = f"{type(exc).__name__}: {exc}"
        for line in sys.stdin:
            ident = _id_of(line)
            channel.write(json.dumps({"id": ident, "error": error}) + "\n")
            channel.flush()
        return 1
    channel.write(json.dumps({"id": None, "ready": True}) + "\n")
    channel.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        channel.write(json.dumps(answer(reader, line), default=str) + "\n")
        channel.flush()
    return 0


def _id_of(line: str) -> Any:
    try:
        request = json.loads(line)
    except ValueError:
        return None
    return request.get("id") if isinstance(request, dict) else None


if __name__ == "__main__":
    sys.exit(main())
