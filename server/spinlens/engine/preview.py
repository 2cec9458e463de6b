"""Bounded previews of source-run artifacts, for the editor's hover (in the kernel).

A preview is a value's type, its stored size and a short text: a table's shape,
dtypes and first rows, an array's shape and first elements, a clipped repr of
anything else. The value is read from the kernel's warm inputs when it holds
them, else once from the task's datastore (and dropped again); previews are kept
per content key, so hovering the same DataFrame twice reads it once.
"""

from __future__ import annotations

import reprlib
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..errors import SpinError
from .flow_loader import needs_flow_module
from .inputs import InputStore
from .resolve import Resolved, Target, TaskInputs, latest_successful_run, resolve

TEXT_CHARS = 1500  # the whole preview text
ROWS = 5  # first rows of a table
COLUMNS = 12  # columns shown of a wide table, and dtypes listed
READ_LIMIT = 2 << 30  # a larger stored value is described, not read
LATEST_RUN_TTL_S = 10.0  # how long "the latest successful run" is taken as known
_RESOLVED_KEPT = 16
_PREVIEWS_KEPT = 256

_repr = reprlib.Repr()
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxfrozenset = _repr.maxdeque = 20
_repr.maxdict = 20
_repr.maxlevel = 3


@dataclass(frozen=True)
class Preview:
    type: str
    size: int | None
    text: str
    task: str


def type_name(value: Any) -> str:
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def clip(text: str, limit: int = TEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(value: Any) -> str:
    """A bounded text for any value; never raises (reprs are user code)."""
    try:
        return clip(_describe(value))
    except Exception as exc:  # a broken __repr__ or a library quirk: say so, do not fail
        return f"<{type_name(value)}: no preview ({type(exc).__name__})>"


def _describe(value: Any) -> str:
    pandas = sys.modules.get("pandas")
    numpy = sys.modules.get("numpy")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return _frame(pandas, value)
    if pandas is not None and isinstance(value, pandas.Series):
        head = value.head(ROWS).to_string(max_rows=ROWS)
        return f"Series length={len(value)} dtype={value.dtype}\n{head}"
    if numpy is not None and isinstance(value, numpy.ndarray):
        with numpy.printoptions(threshold=20, edgeitems=3, precision=4, linewidth=100):
            return f"ndarray shape={value.shape} dtype={value.dtype}\n{value!r}"
    return _repr.repr(value)


def _frame(pandas: Any, frame: Any) -> str:
    rows, cols = frame.shape
    dtypes = ", ".join(f"{name}: {dtype}" for name, dtype in frame.dtypes.iloc[:COLUMNS].items())
    more = f", … {cols - COLUMNS} more" if cols > COLUMNS else ""
    with pandas.option_context("display.width", 120, "display.max_colwidth", 24):
        head = frame.head(ROWS).to_string(max_cols=COLUMNS)
    return f"DataFrame shape=({rows:,}, {cols})\ndtypes: {dtypes}{more}\n{head}"


class SourcePreviews:
    """Previews of the artifacts of source-run tasks, for one kernel."""

    def __init__(self, store: InputStore) -> None:
        self.store = store
        self._latest: dict[str, tuple[float, str]] = {}  # flow -> (when asked, run id)
        self._resolved: OrderedDict[tuple[str, str, str], Resolved] = OrderedDict()
        self._previews: OrderedDict[str, Preview] = OrderedDict()  # content key -> preview

    def preview(
        self,
        flow: str,
        step: str,
        name: str,
        run: str | None,
        parent: str | None,
        loaded: tuple[Target, Resolved] | None,
    ) -> Preview:
        """The preview of ``name`` in the task of ``step`` (or of its ``parent``)
        in run ``run`` (None: the latest successful); ``SpinError`` says why not."""
        run_id = run if run is not None else self._latest_run(flow)
        resolved = self._resolve(flow, step, run_id, loaded)
        task = self._task(resolved, step, parent)
        key = task.objects.get(name)
        if key is None:
            raise SpinError(f"{task.pathspec} has no artifact {name!r}.")
        cached = self._previews.get(key)
        if cached is not None:
            self._previews.move_to_end(key)
            return Preview(cached.type, cached.size, cached.text, task.pathspec)
        found = self._read(task, name, key)
        self._previews[key] = found
        while len(self._previews) > _PREVIEWS_KEPT:
            self._previews.popitem(last=False)
        return found

    def _latest_run(self, flow: str) -> str:
        asked = self._latest.get(flow)
        now = time.monotonic()
        if asked is None or now - asked[0] > LATEST_RUN_TTL_S:
            asked = self._latest[flow] = (now, latest_successful_run(flow))
        return asked[1]

    def _resolve(
        self, flow: str, step: str, run_id: str, loaded: tuple[Target, Resolved] | None
    ) -> Resolved:
        if loaded is not None:
            target, resolved = loaded
            same_task = target.index in (None, 0) and target.task is None
            if (target.flow, target.step, resolved.source.run_id) == (flow, step, run_id):
                if same_task and not target.iteration:
                    return resolved  # the spun step's inputs: their values are warm
        key = (flow, run_id, step)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = resolve(Target(flow=flow, step=step, run=run_id))
            while len(self._resolved) > _RESOLVED_KEPT:
                self._resolved.popitem(last=False)
        return found

    @staticmethod
    def _task(resolved: Resolved, step: str, parent: str | None) -> TaskInputs:
        if parent is None:
            if resolved.source_task is None:
                raise SpinError(f"Step {step} did not run in {resolved.source.run_id}.")
            return resolved.source_task
        for task in resolved.parents:
            if parent == "*" or task.pathspec.split("/")[-2] == parent:
                return task
        raise SpinError(f"Step {step} has no input from {parent} in {resolved.source.run_id}.")

    def _read(self, task: TaskInputs, name: str, key: str) -> Preview:
        info = task.info.get(name, {})
        size = int(info["size"]) if info.get("size") is not None else None
        if key in self.store.values:  # warm: no read at all
            value = self.store.values[key]
            return Preview(type_name(value), size, describe(value), task.pathspec)
        recorded = _recorded_type(info.get("type"))
        if size is not None and size > READ_LIMIT:
            return Preview(recorded, size, f"({recorded}, too large to preview)", task.pathspec)
        try:
            value = next(iter(task.datastore.load_artifacts([name])))[1]
        except Exception as exc:  # unpicklable here: say why, in the user's terms
            if needs_flow_module(exc):
                text = "(a class defined in the flow file: spin the step to see it)"
            else:
                text = f"(could not be read: {type(exc).__name__}: {exc})"
            return Preview(recorded, size, clip(text, 300), task.pathspec)
        return Preview(type_name(value), size, describe(value), task.pathspec)


def _recorded_type(text: object) -> str:
    """Metaflow records a type as ``<class 'pandas.core.frame.DataFrame'>``."""
    found = str(text or "")
    if found.startswith("<class '") and found.endswith("'>"):
        found = found[len("<class '") : -2]
    return found.removeprefix("builtins.") or "unknown"
