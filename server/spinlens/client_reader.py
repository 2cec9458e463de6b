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
from the task's datastore metadata; values are read only when small. A
comparison's side is a run, a task or a spin (its record folder in the spin
history the server names); a task's @card HTML is read through ``get_cards``.
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
CARD_LIMIT = 8 << 20  # a card's HTML larger than this is named, not sent
MAX_CARDS = 20  # cards sent per task
CARDS_TOTAL = 32 << 20  # HTML sent per task, all cards together


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


@dataclass(frozen=True)
class CardRow:
    type: str
    id: str | None
    html: str | None  # None: too large or unreadable (``note`` says which)
    size: int | None  # bytes, when known
    note: str | None


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

        from .engine.resolve import task_inputs

        table = task_inputs(Task(pathspec, _namespace_check=False))
        rows = []
        for name in sorted(table.objects):
            if name.startswith("_") and not internal:
                continue
            size, value = _short_value(table, name, VALUE_CHARS)
            rows.append(asdict(ArtifactRow(name, _type_of(table, name), size, value)))
        return {"pathspec": pathspec, "artifacts": rows}

    # -- cards -------------------------------------------------------------------------
    def cards(self, pathspec: str) -> dict[str, Any]:
        """The task's @card HTML, as ``get_cards`` finds it in the datastore (one
        card read at a time, each bounded; no card server)."""
        from metaflow import Task
        from metaflow.cards import get_cards

        found = get_cards(Task(pathspec, _namespace_check=False))
        rows, budget = [], CARDS_TOTAL
        for index in range(min(len(found), MAX_CARDS)):
            row = _card_row(found[index], min(CARD_LIMIT, budget))
            if row.html is not None:
                budget -= row.size or 0
            rows.append(asdict(row))
        return {"pathspec": pathspec, "cards": rows, "truncated": len(found) > MAX_CARDS}

    # -- comparison --------------------------------------------------------------------
    def compare(self, a: str, b: str, history: str | None = None) -> dict[str, Any]:
        """Two runs, or two of: a task pathspec, a spin (its record folder in
        ``history``, the spin history of the flow file the server asked for)."""
        from metaflow import Run

        kinds = {side_kind(a), side_kind(b)}
        if kinds == {"run"}:
            run_a, run_b = (Run(spec, _namespace_check=False) for spec in (a, b))
            return self._compare_runs(run_a, run_b)
        if "run" in kinds:
            raise ValueError("compare takes two runs, or two tasks or spins")
        result = Comparison(a=a, b=b)
        _compare_sides(result, "", self._side(a, history), self._side(b, history), set())
        return _sorted(result)

    def _compare_runs(self, run_a: Any, run_b: Any) -> dict[str, Any]:
        result = Comparison(a=run_a.pathspec, b=run_b.pathspec)
        pa, pb = self._parameters(run_a), self._parameters(run_b)
        result.parameters = [
            {"name": n, "a": pa.get(n), "b": pb.get(n), "changed": pa.get(n) != pb.get(n)}
            for n in sorted(set(pa) | set(pb))
        ]
        skip = set(pa) | set(pb)  # every task holds the Parameters: shown once, above
        for prefix, task_a, task_b in _step_pairs(run_a, run_b):
            if len(result.artifacts) >= MAX_COMPARED:
                result.truncated = True
                break
            _compare_sides(result, prefix, TaskSide(task_a), TaskSide(task_b), skip)
        return _sorted(result)

    @staticmethod
    def _side(spec: str, history: str | None) -> Side:
        from metaflow import Task

        if side_kind(spec) == "task":
            return TaskSide(Task(spec, _namespace_check=False))
        if history is None:
            raise ValueError("a spin is compared only within the spin history of its flow file")
        return SpinSide.open(history, spec)


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


def _card_row(card: Any, limit: int) -> CardRow:
    size = _card_size(card)
    if size is None or size <= limit:
        try:
            html = card.get()
        except Exception as exc:  # missing from the datastore, unreadable
            return CardRow(card.type, card.id, None, size, f"card not readable: {exc}")
        size = len(html.encode("utf-8"))  # its size may not have been known before
        if size <= limit:
            return CardRow(card.type, card.id, html, size, None)
    note = f"card too large to show ({size} bytes, {limit} left to send)"
    return CardRow(card.type, card.id, None, size, note)


def _card_size(card: Any) -> int | None:
    """The card file's size in the datastore, before reading it (Metaflow's
    Card has no public size: its storage's ``size_file``), None if unknown."""
    try:
        size = card._card_ds._backend.size_file(card.path)
    except Exception:  # another Metaflow's internals: read it, then bound it
        return None
    return int(size) if isinstance(size, (int, float)) else None


def side_kind(spec: str) -> str:
    """ "spin" (an absolute path: a spin's record folder), "run" or "task"."""
    if os.path.isabs(spec):
        return "spin"
    depth = len(spec.split("/"))
    if depth == 2:
        return "run"
    if depth == 4:
        return "task"
    raise ValueError(f"{spec!r} is neither a run (Flow/run), a task nor a spin's record folder")


class Side:
    """One side of a comparison: its artifacts' names, types, sizes, content keys
    and values, each value loaded only when asked for."""

    def names(self) -> set[str]:
        raise NotImplementedError

    def type_of(self, name: str) -> str:
        raise NotImplementedError

    def size(self, name: str) -> int | None:
        raise NotImplementedError

    def key(self, name: str) -> str | None:
        """Metaflow's content key, if the value is in a datastore (None: not known)."""
        raise NotImplementedError

    def load(self, name: str) -> Any:
        raise NotImplementedError


class TaskSide(Side):
    def __init__(self, task: Any) -> None:
        from .engine.resolve import task_inputs

        self.table = task_inputs(task)

    def names(self) -> set[str]:
        return set(self.table.objects)

    def type_of(self, name: str) -> str:
        return _type_of(self.table, name)

    def size(self, name: str) -> int | None:
        return _stored_size(self.table, name)

    def key(self, name: str) -> str | None:
        return str(self.table.objects[name])

    def load(self, name: str) -> Any:
        return _load(self.table, name)


class SpinSide(Side):
    """A spin's record: values it stored, and references to its source task's."""

    def __init__(self, folder: Any, record: Any) -> None:
        self.folder = folder
        self.artifacts = {a.name: a for a in record.artifacts}

    @staticmethod
    def open(history: str, spec: str) -> SpinSide:
        from .engine.history import History

        found = History(history)
        folder = found.record_folder(spec)
        return SpinSide(folder, found.read_record(folder))

    def names(self) -> set[str]:
        return set(self.artifacts)

    def type_of(self, name: str) -> str:
        return str(self.artifacts[name].type)

    def size(self, name: str) -> int | None:
        size = self.artifacts[name].size
        return int(size) if isinstance(size, (int, float)) else None

    def key(self, name: str) -> str | None:
        from .engine.history import ArtifactReference

        stored = self.artifacts[name].stored
        return stored.key if isinstance(stored, ArtifactReference) else None

    def load(self, name: str) -> Any:
        from metaflow import Task

        from .engine.history import ArtifactReference
        from .engine.resolve import task_inputs
        from .engine.storage import read_value

        artifact = self.artifacts[name]
        stored = artifact.stored
        if stored is None:
            raise ValueError(artifact.error or "the spin did not store it")
        if isinstance(stored, ArtifactReference):  # passed through: the source task's
            table = task_inputs(Task(stored.pathspec, _namespace_check=False))
            return _load(table, stored.name)
        return read_value(self.folder, stored)


def _sorted(result: Comparison) -> dict[str, Any]:
    order = {"changed": 0, "added": 1, "removed": 2, "same": 3}
    result.artifacts.sort(key=lambda r: (order[r.status], r.name))
    return asdict(result)


def _compare_sides(result: Comparison, prefix: str, a: Side, b: Side, skip: set[str]) -> None:
    names_a, names_b = a.names(), b.names()
    names = sorted(n for n in names_a | names_b if not n.startswith("_") and n not in skip)
    for name in names:
        if len(result.artifacts) >= MAX_COMPARED:
            result.truncated = True
            return
        label = f"{prefix}.{name}" if prefix else name
        if name not in names_a:
            kind = b.type_of(name)
            result.artifacts.append(CompareRow(label, "added", kind, f"new {kind}"))
        elif name not in names_b:
            kind = a.type_of(name)
            result.artifacts.append(CompareRow(label, "removed", kind, f"no {kind} in b"))
        elif (key := a.key(name)) is not None and key == b.key(name):  # same content: no load
            result.artifacts.append(CompareRow(label, "same", b.type_of(name), "same"))
        else:
            result.artifacts.append(_changed(label, a, b, name, result))


def _changed(label: str, a: Side, b: Side, name: str, result: Comparison) -> CompareRow:
    from .engine.diff import diff_values

    kind = b.type_of(name)
    if max(a.size(name) or 0, b.size(name) or 0) > DIFF_LIMIT:
        return CompareRow(label, "changed", kind, "changed (too large to compare here)")
    try:
        old = a.load(name)
        new = b.load(name)
    except Exception as exc:  # unpicklable here, or a spin that could not store it
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
        "cards": reader.cards,
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
