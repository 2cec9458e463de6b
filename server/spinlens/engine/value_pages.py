"""One page of a value, for the editor's value viewer (in the kernel or a parked child).

A page is typed by what the value is: ``table`` (pandas, polars, Arrow: columns
with dtypes and statistics, a page of rows as display strings, sorted by one
column), ``array`` (numpy: shape, dtype, statistics, a histogram, the first
values for a line plot, a page of flat values), ``image`` (PNG or JPEG bytes, a
PIL image, a matplotlib figure: PNG/JPEG data in base64, bounded), ``text`` (a
page of a long string), ``tree`` (one level of a dict, list, tuple or set,
paged) and ``scalar``/``repr`` for the rest. ``path`` walks into a tree by entry
positions, so any value inside a dict can be paged too. Only a page travels,
never the value: a 2M-row frame's page is ``limit`` rows.

The libraries are used only when already imported (``sys.modules``), as in
``preview.py``: a value of a library can only exist if its library is loaded.
Statistics and sort orders are computed once per value and kept (``ValuePages``).
"""

from __future__ import annotations

import base64
import io
import math
import reprlib
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..wire.frames import ValuePageRequest
from .preview import READ_LIMIT, clip, describe, type_name

MAX_LIMIT = 1000  # rows, values, entries per page
TEXT_PAGE = 20_000  # characters of a text page (its offset counts characters too)
REPR_CHARS = 1 << 20  # the "copy value" text and a repr page
IMAGE_BYTES = 8 << 20  # a larger image is described, not sent
CELL_CHARS = 200  # one table cell or array value as text
SUMMARY_CHARS = 120  # a tree entry's short repr
HIST_BINS = 40
LINE_POINTS = 2000
_KEPT = 32  # values whose statistics and sort orders are kept

_key_repr = reprlib.Repr()
_key_repr.maxstring = 80
_key_repr.maxother = 80


class ValuePageError(ValueError):
    """The request does not fit the value (a path past a leaf, an unknown column)."""


@dataclass(frozen=True)
class PageRequest:
    path: tuple[int, ...] = ()
    offset: int = 0
    limit: int = 100
    sort: str | None = None  # a table's column to sort by
    descending: bool = False
    as_text: bool = False  # the whole value's repr (bounded), for "copy value"


class ValuePages:
    """Pages of values, with each value's statistics and sort orders kept by
    ``key`` (a content key, or a spin's output name) and path."""

    def __init__(self) -> None:
        self._kept: OrderedDict[tuple[str, tuple[int, ...]], dict[Any, Any]] = OrderedDict()

    def page(self, key: str, value: Any, request: PageRequest) -> dict[str, Any]:
        target = walk(value, request.path)
        if request.as_text:
            return {"kind": "repr", "type": type_name(target), "text": full_repr(target)}
        memo_key = (key, request.path)
        memo = self._kept.get(memo_key)
        if memo is None or memo.get("_id") != id(target):
            memo = self._kept[memo_key] = {"_id": id(target)}
        self._kept.move_to_end(memo_key)
        while len(self._kept) > _KEPT:
            self._kept.popitem(last=False)
        return page_of(target, request, memo)


def page_of(value: Any, request: PageRequest, memo: dict[Any, Any] | None = None) -> dict[str, Any]:
    """One page of ``value`` (the value itself, not walked); ``memo`` keeps what
    is computed once per value (statistics, sort orders) between calls."""
    memo = {} if memo is None else memo
    offset = max(0, request.offset)
    limit = min(max(1, request.limit), MAX_LIMIT)
    table = _table_of(value)
    if table is not None:
        return _table_page(table, value, offset, limit, request, memo)
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return _array_page(numpy, value, offset, limit, memo)
    image = _image_of(value)
    if image is not None:
        return image
    if isinstance(value, str):
        return {
            "kind": "text",
            "type": "str",
            "text": value[offset : offset + TEXT_PAGE],
            "offset": offset,
            "total": len(value),
        }
    if _is_tree(value):
        return _tree_page(value, offset, limit)
    if value is None or isinstance(value, (bool, int, float, complex)):
        return {"kind": "scalar", "type": type_name(value), "text": _safe_repr(value, CELL_CHARS)}
    return {"kind": "repr", "type": type_name(value), "text": describe(value)}


def kind_of(value: Any) -> str:
    """The kind of page ``value`` gives, cheaply (for a tree's entries)."""
    if _table_of(value) is not None:
        return "table"
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return "array"
    if _image_kind(value) is not None:
        return "image"
    if isinstance(value, str):
        return "text"
    if _is_tree(value):
        return "tree"
    if value is None or isinstance(value, (bool, int, float, complex)):
        return "scalar"
    return "repr"


def walk(value: Any, path: tuple[int, ...]) -> Any:
    """The value at ``path``: each step an entry's position in a tree level."""
    for depth, position in enumerate(path):
        if not _is_tree(value):
            raise ValuePageError(f"Nothing to open at depth {depth}: a {type_name(value)}.")
        entries = _entries(value)
        if not 0 <= position < len(entries):
            raise ValuePageError(f"No entry {position} at depth {depth} ({len(entries)} entries).")
        value = entries[position][1]
    return value


def full_repr(value: Any) -> str:
    """The value's repr, at most ``REPR_CHARS``; a table prints whole up to that."""
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)):
        with pandas.option_context("display.max_rows", 10_000, "display.max_columns", 200):
            return _safe_repr(value, REPR_CHARS)
    return _safe_repr(value, REPR_CHARS)


def _safe_repr(value: Any, limit: int) -> str:
    try:
        return clip(repr(value), limit)
    except Exception as exc:  # a user __repr__ that raises: say so
        return f"<{type_name(value)}: repr failed ({type(exc).__name__})>"


# -- trees ---------------------------------------------------------------------


def _is_tree(value: Any) -> bool:
    return isinstance(value, (dict, list, tuple, set, frozenset)) or (
        isinstance(value, Mapping) and not _table_of(value)
    )


def _entries(value: Any) -> list[tuple[str, Any]]:
    """A level's (key text, value) pairs in a stable order: a dict's insertion
    order, a sequence's, a set's by repr."""
    if isinstance(value, Mapping):
        return [(_key_repr.repr(k), v) for k, v in value.items()]
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=lambda v: _safe_repr(v, CELL_CHARS))
        return [(str(i), v) for i, v in enumerate(items)]
    return [(str(i), v) for i, v in enumerate(value)]


def _tree_page(value: Any, offset: int, limit: int) -> dict[str, Any]:
    entries = _entries(value)
    shown = []
    for position, (key, item) in enumerate(entries[offset : offset + limit], start=offset):
        kind = kind_of(item)
        shown.append(
            {
                "index": position,
                "key": key,
                "type": type_name(item),
                "kind": kind,
                "summary": clip(describe(item).replace("\n", " "), SUMMARY_CHARS),
                "expandable": kind == "tree" and len(item) > 0,
            }
        )
    return {
        "kind": "tree",
        "type": type_name(value),
        "container": "mapping" if isinstance(value, Mapping) else "sequence",
        "entries": shown,
        "offset": offset,
        "total": len(entries),
    }


# -- tables --------------------------------------------------------------------


def _table_of(value: Any) -> _Table | None:
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        if isinstance(value, pandas.DataFrame):
            return _PandasTable(pandas, value)
        if isinstance(value, pandas.Series):
            return _PandasTable(pandas, value.to_frame(name=value.name if value.name else 0))
    polars = sys.modules.get("polars")
    if polars is not None:
        if isinstance(value, polars.DataFrame):
            return _PolarsTable(value)
        if isinstance(value, polars.Series):
            return _PolarsTable(value.to_frame())
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        if isinstance(value, (pa.Table, pa.RecordBatch)):
            return _ArrowTable(pa, value)
    return None


class _Table:
    """What a table page needs of a library: columns, a sort order, a slice."""

    def columns(self) -> list[tuple[str, str]]:  # (name, dtype)
        raise NotImplementedError

    def rows(self) -> int:
        raise NotImplementedError

    def stats(self, column: str) -> dict[str, Any]:
        raise NotImplementedError

    def order(self, column: str, descending: bool) -> Any:
        """Row positions sorted by ``column`` (nulls last), stable."""
        raise NotImplementedError

    def page(self, order: Any, offset: int, limit: int) -> tuple[list[str], list[list[str]]]:
        """(row labels, rows of cell texts) of rows offset..offset+limit."""
        raise NotImplementedError


def _table_page(
    table: _Table, value: Any, offset: int, limit: int, request: PageRequest, memo: dict[Any, Any]
) -> dict[str, Any]:
    columns = table.columns()
    names = [name for name, _ in columns]
    if "stats" not in memo:
        memo["stats"] = {name: _stats_or_none(table, name) for name in names}
    order = None
    if request.sort is not None:
        if request.sort not in names:
            raise ValuePageError(f"No column {request.sort!r} to sort by.")
        order_key = ("order", request.sort, request.descending)
        if order_key not in memo:
            memo[order_key] = table.order(request.sort, request.descending)
        order = memo[order_key]
    labels, rows = table.page(order, offset, limit)
    total = table.rows()
    return {
        "kind": "table",
        "type": type_name(value),
        "columns": [
            {"name": name, "dtype": dtype, "stats": memo["stats"].get(name)}
            for name, dtype in columns
        ],
        "index": labels,
        "rows": rows,
        "offset": offset,
        "total": total,
        "sort": (
            {"column": request.sort, "descending": request.descending}
            if request.sort is not None
            else None
        ),
    }


def _stats_or_none(table: _Table, column: str) -> dict[str, Any] | None:
    try:
        return table.stats(column)
    except Exception:  # an odd dtype (objects, lists): the column has no statistics
        return None


def _number(value: Any) -> float | int | str | None:
    """A statistic as JSON: numbers stay numbers (NaN and infinities as text),
    anything else (a date, a string minimum) as its text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return clip(str(value), CELL_CHARS)
    if math.isnan(number) or math.isinf(number):
        return str(number)
    if "int" in type(value).__name__:  # numpy integers stay integers
        return int(number)
    return number


def _cell(value: Any) -> str:
    try:
        return clip(str(value), CELL_CHARS)
    except Exception as exc:  # a user object's __str__
        return f"<{type(exc).__name__}>"


class _PandasTable(_Table):
    def __init__(self, pandas: Any, frame: Any) -> None:
        self.pd = pandas
        self.frame = frame

    def columns(self) -> list[tuple[str, str]]:
        return [(str(name), str(dtype)) for name, dtype in self.frame.dtypes.items()]

    def rows(self) -> int:
        return int(len(self.frame))

    def _column(self, column: str) -> Any:
        position = [str(name) for name in self.frame.columns].index(column)
        return self.frame.iloc[:, position]

    def stats(self, column: str) -> dict[str, Any]:
        series = self._column(column)
        found: dict[str, Any] = {"nulls": int(series.isna().sum())}
        kind = series.dtype.kind
        if kind in "biufcmM":
            found["min"] = _number(series.min()) if kind in "biuf" else _cell(series.min())
            found["max"] = _number(series.max()) if kind in "biuf" else _cell(series.max())
            found["mean"] = _number(series.mean()) if kind in "biuf" else None
        else:
            found["unique"] = int(series.nunique())
        return found

    def order(self, column: str, descending: bool) -> Any:
        series = self._column(column).reset_index(drop=True)
        ordered = series.sort_values(ascending=not descending, kind="stable", na_position="last")
        return ordered.index.to_numpy()

    def page(self, order: Any, offset: int, limit: int) -> tuple[list[str], list[list[str]]]:
        positions = order[offset : offset + limit] if order is not None else None
        part = (
            self.frame.iloc[positions]
            if positions is not None
            else self.frame.iloc[offset : offset + limit]
        )
        labels = [_cell(label) for label in part.index]
        rows = [[_cell(cell) for cell in row] for row in part.itertuples(index=False, name=None)]
        return labels, rows


class _PolarsTable(_Table):
    def __init__(self, frame: Any) -> None:
        self.frame = frame

    def columns(self) -> list[tuple[str, str]]:
        return [(name, str(dtype)) for name, dtype in self.frame.schema.items()]

    def rows(self) -> int:
        return int(self.frame.height)

    def stats(self, column: str) -> dict[str, Any]:
        series = self.frame.get_column(column)
        found: dict[str, Any] = {"nulls": int(series.null_count())}
        if series.dtype.is_numeric():
            found.update(
                min=_number(series.min()), max=_number(series.max()), mean=_number(series.mean())
            )
        elif series.dtype.is_temporal():
            found.update(min=_cell(series.min()), max=_cell(series.max()), mean=None)
        else:
            found["unique"] = int(series.n_unique())
        return found

    def order(self, column: str, descending: bool) -> Any:
        series = self.frame.get_column(column)
        return series.arg_sort(descending=descending, nulls_last=True).to_list()

    def page(self, order: Any, offset: int, limit: int) -> tuple[list[str], list[list[str]]]:
        if order is not None:
            positions = order[offset : offset + limit]
            part = self.frame[positions]
            labels = [str(p) for p in positions]
        else:
            part = self.frame.slice(offset, limit)
            labels = [str(p) for p in range(offset, offset + part.height)]
        return labels, [[_cell(cell) for cell in row] for row in part.iter_rows()]


class _ArrowTable(_Table):
    def __init__(self, pa: Any, table: Any) -> None:
        self.pa = pa
        self.table = table

    def columns(self) -> list[tuple[str, str]]:
        return [(f.name, str(f.type)) for f in self.table.schema]

    def rows(self) -> int:
        return int(self.table.num_rows)

    def stats(self, column: str) -> dict[str, Any]:
        import pyarrow.compute as pc  # pyarrow is loaded: this value is one of its tables

        array = self.table.column(column)
        found: dict[str, Any] = {"nulls": int(array.null_count)}
        kind = array.type
        if self.pa.types.is_integer(kind) or self.pa.types.is_floating(kind):
            bounds = pc.min_max(array).as_py()
            found.update(
                min=_number(bounds["min"]),
                max=_number(bounds["max"]),
                mean=_number(pc.mean(array).as_py()),
            )
        return found

    def order(self, column: str, descending: bool) -> Any:
        import pyarrow.compute as pc

        way = "descending" if descending else "ascending"
        try:  # pyarrow 25+: nulls placed per key
            found = pc.sort_indices(self.table, sort_keys=[(column, way, "at_end")])
        except (TypeError, ValueError):
            found = pc.sort_indices(self.table, sort_keys=[(column, way)], null_placement="at_end")
        return found.to_pylist()

    def page(self, order: Any, offset: int, limit: int) -> tuple[list[str], list[list[str]]]:
        if order is not None:
            positions = order[offset : offset + limit]
            part = self.table.take(positions)
            labels = [str(p) for p in positions]
        else:
            part = self.table.slice(offset, limit)
            labels = [str(p) for p in range(offset, offset + part.num_rows)]
        columns = [part.column(i).to_pylist() for i in range(part.num_columns)]
        return labels, [[_cell(cell) for cell in row] for row in zip(*columns, strict=True)]


# -- arrays --------------------------------------------------------------------


def _array_page(
    numpy: Any, array: Any, offset: int, limit: int, memo: dict[Any, Any]
) -> dict[str, Any]:
    if "array" not in memo:
        memo["array"] = _array_summary(numpy, array)
    flat = array.reshape(-1)
    values = [_cell(v) for v in flat[offset : offset + limit].tolist()]
    return {
        "kind": "array",
        "type": type_name(array),
        "shape": [int(n) for n in array.shape],
        "dtype": str(array.dtype),
        **memo["array"],
        "values": values,
        "offset": offset,
        "total": int(array.size),
    }


def _array_summary(numpy: Any, array: Any) -> dict[str, Any]:
    """Statistics, a histogram and the first values (for a line plot) of a
    numeric array; None for the others."""
    if array.dtype.kind not in "biuf" or array.size == 0:
        return {"stats": None, "histogram": None, "line": None}
    flat = array.reshape(-1)
    numbers = flat.astype(numpy.float64, copy=False)
    finite = numbers[numpy.isfinite(numbers)]
    stats: dict[str, Any] = {
        "nonFinite": int(numbers.size - finite.size),
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
    }
    histogram = None
    if finite.size:
        stats.update(
            min=_number(finite.min()),
            max=_number(finite.max()),
            mean=_number(finite.mean()),
            std=_number(finite.std()),
        )
        counts, edges = numpy.histogram(finite, bins=HIST_BINS)
        histogram = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    line = [_number(v) for v in numbers[:LINE_POINTS].tolist()]
    return {"stats": stats, "histogram": histogram, "line": line}


# -- images --------------------------------------------------------------------

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


def _image_kind(value: Any) -> str | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        head = bytes(value[:8])
        if head.startswith(_PNG):
            return "image/png"
        if head.startswith(_JPEG):
            return "image/jpeg"
        return None
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(value, pil.Image):
        return "pil"
    figure = sys.modules.get("matplotlib.figure")
    if figure is not None and isinstance(value, figure.Figure):
        return "figure"
    return None


def _image_of(value: Any) -> dict[str, Any] | None:
    found = _image_kind(value)
    if found is None:
        return None
    if found in ("pil", "figure"):
        buffer = io.BytesIO()
        if found == "pil":
            value.save(buffer, format="PNG")
        else:
            value.savefig(buffer, format="png", dpi=100)
        data, mime = buffer.getvalue(), "image/png"
    else:
        data, mime = bytes(value), found
    if len(data) > IMAGE_BYTES:
        text = f"({mime} image of {len(data):,} bytes: too large to show)"
        return {"kind": "repr", "type": type_name(value), "text": text}
    return {
        "kind": "image",
        "type": type_name(value),
        "mime": mime,
        "data": base64.b64encode(data).decode("ascii"),
        "bytes": len(data),
    }


# -- source-run artifacts (in the kernel) ------------------------------------------

_SOURCE_KEPT = 4  # values read from a datastore, kept for their next pages


class SourceArtifacts:
    """Source-run artifacts by task pathspec and name, for their pages: taken
    from the kernel's warm inputs when it holds them (by content key, as
    ``preview.py`` does), else read once through Metaflow's Client and kept for
    the next few pages."""

    def __init__(self, warm: Mapping[str, Any]) -> None:
        self.warm = warm  # content key -> value (the kernel's InputStore.values)
        self._read: OrderedDict[str, Any] = OrderedDict()

    def value(self, task: str, name: str) -> tuple[str, Any]:
        """(content key, value) of artifact ``name`` of ``task``; ``ValuePageError``
        when there is none or it is too large to read."""
        from metaflow import Task  # the kernel has Metaflow loaded already
        from metaflow.exception import MetaflowNotFound

        try:
            artifact = Task(task, _namespace_check=False)[name]
        except (KeyError, MetaflowNotFound) as exc:
            raise ValuePageError(f"{task} has no artifact {name!r}.") from exc
        key = str(artifact.sha)
        if key in self.warm:
            return key, self.warm[key]
        if key in self._read:
            self._read.move_to_end(key)
            return key, self._read[key]
        size = getattr(artifact, "size", None)
        if isinstance(size, int) and size > READ_LIMIT:
            raise ValuePageError(f"{name} is {size:,} bytes: too large to read for a page.")
        value = artifact.data
        self._read[key] = value
        while len(self._read) > _SOURCE_KEPT:
            self._read.popitem(last=False)
        return key, value


def page_request(frame: ValuePageRequest) -> PageRequest:
    """The page a ``valuePage`` frame asks for."""
    return PageRequest(
        path=tuple(int(p) for p in frame.path),
        offset=int(frame.offset),
        limit=int(frame.limit),
        sort=frame.sort,
        descending=bool(frame.descending),
        as_text=bool(frame.as_text),
    )
