"""Tables: pandas DataFrame / Series, polars DataFrame / Series, Arrow Table / RecordBatch.

Every table is read as a list of columns typed by Arrow, whatever library it
came from, so a pandas and a polars frame with the same content compare equal
cell by cell. Plain numeric columns stay NumPy arrays (zero-copy) for the fast
chunked scan; other columns are compared with Arrow compute, and what Arrow
cannot hold (pandas object columns of mixed types) cell by cell in Python.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .context import Context
from .jsonsafe import clip, count, jsonable, key_of, names
from .model import ValueDiff
from .scan import Scan, map_threads, object_positions, scan_pairs

Form = Literal["numpy", "arrow", "object"]
_NUMPY_KINDS = "biufc"  # kept as NumPy arrays and scanned in chunks
# Physical variants of one logical Arrow type: shown (and compared) as one.
_LOGICAL = {
    "large_string": "string",
    "string_view": "string",
    "large_binary": "binary",
    "binary_view": "binary",
}


@dataclass(frozen=True)
class _Column:
    label: str
    type: str  # Arrow type name, or the NumPy / pandas dtype when Arrow has none
    form: Form
    values: Any  # 1-D np.ndarray | pa.ChunkedArray | object np.ndarray


@dataclass(frozen=True)
class _Table:
    rows: int
    columns: list[_Column]
    index: Any = None  # the pandas Index, for pandas values only


# --- reading any table as typed columns -------------------------------------------------


def _labels(raw: list[Any]) -> list[str]:
    """Column names as unique strings (pandas allows any hashable, and duplicates)."""
    labels: list[str] = []
    seen: dict[str, int] = {}
    for name in raw:
        label = name if isinstance(name, str) else str(name)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def _type_name(arrow_type: pa.DataType) -> str:
    name = str(arrow_type)
    return _LOGICAL.get(name, name)


def _numpy_type_name(dtype: np.dtype) -> str:
    try:
        return _type_name(pa.from_numpy_dtype(dtype))
    except (pa.ArrowException, NotImplementedError, TypeError):
        return str(dtype)  # complex, say: no Arrow type


def _chunked(array: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _arrow_column(label: str, array: pa.Array | pa.ChunkedArray) -> _Column:
    """An Arrow column; primitive numbers without nulls become zero-copy NumPy arrays."""
    chunked = _chunked(array)
    kind = chunked.type
    name = _type_name(kind)
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
    if (numeric or pa.types.is_boolean(kind)) and chunked.null_count == 0:
        parts = [c.to_numpy(zero_copy_only=numeric) for c in chunked.chunks]
        if len(parts) == 1:
            return _Column(label, name, "numpy", parts[0])
        if parts:
            return _Column(label, name, "numpy", np.concatenate(parts))
        return _Column(label, name, "numpy", np.empty(0, kind.to_pandas_dtype()))
    return _Column(label, name, "arrow", chunked)


def _pandas_column(label: str, series: Any) -> _Column:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in _NUMPY_KINDS:
        return _Column(label, _numpy_type_name(dtype), "numpy", series.to_numpy())
    try:  # datetimes, strings, categoricals, nullable ints, objects Arrow can type
        return _arrow_column(label, pa.array(series, from_pandas=True))
    except (pa.ArrowException, TypeError, ValueError):
        values = series.to_numpy(dtype=object)
        return _Column(label, str(dtype), "object", values)


def _load(value: Any) -> _Table:
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame):
        labels = _labels(list(value.columns))
        columns = [_pandas_column(label, value.iloc[:, i]) for i, label in enumerate(labels)]
        return _Table(len(value), columns, value.index)
    if pandas is not None and isinstance(value, pandas.Series):
        label = _labels(["value" if value.name is None else value.name])[0]
        return _Table(len(value), [_pandas_column(label, value)], value.index)
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.DataFrame):
        value = value.to_arrow()
    elif polars is not None and isinstance(value, polars.Series):
        return _Table(len(value), [_arrow_column(_labels([value.name])[0], value.to_arrow())])
    if isinstance(value, pa.RecordBatch):
        value = pa.Table.from_batches([value])
    if isinstance(value, pa.Table):
        labels = _labels(value.column_names)
        columns = [_arrow_column(label, value.column(i)) for i, label in enumerate(labels)]
        return _Table(value.num_rows, columns)
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return _Table(len(value), [_arrow_column("values", value)])
    raise TypeError(f"not a table: {type(value).__name__}")


# --- alignment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Alignment:
    by: Literal["index", "position"] | None
    order: Any = None  # new's row positions in old's row order, when rows were reordered
    index_changed: bool = False


def _align(old: _Table, new: _Table) -> _Alignment:
    if old.index is not None and new.index is not None and old.rows == new.rows:
        if old.index.equals(new.index):
            return _Alignment("index" if old.index.is_unique else "position")
        if old.index.is_unique and new.index.is_unique:
            order = new.index.get_indexer(old.index)
            if (order >= 0).all():  # the same labels in another order
                return _Alignment("index", order)
        return _Alignment("position", index_changed=True)
    if old.rows == new.rows:
        return _Alignment("position")
    return _Alignment(None)


def _reorder(column: _Column, order: np.ndarray) -> _Column:
    if column.form == "arrow":
        return replace(column, values=column.values.take(pa.array(order)))
    return replace(column, values=column.values[order])


# --- comparing and describing columns -----------------------------------------------------


def _logical(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary-decoded, with view / large variants cast to the plain type."""
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    # Large offsets for every string / binary: casting to the small ones could overflow.
    if pa.types.is_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.large_string())
    elif pa.types.is_binary(array.type) or pa.types.is_binary_view(array.type):
        array = array.cast(pa.large_binary())
    return array


def _is_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)


def _as_arrow(column: _Column) -> pa.ChunkedArray:
    if column.form == "arrow":
        return column.values
    return _chunked(pa.array(column.values, from_pandas=column.form == "object"))


def _as_list(column: _Column) -> Any:
    if column.form == "arrow":
        return column.values.to_pylist()
    if column.form == "numpy":
        return column.values.tolist()
    return column.values


def _arrow_positions(old: _Column, new: _Column) -> np.ndarray | None:
    """Changed positions by Arrow compute (null == null, NaN == NaN), or None if unsupported."""
    try:
        a, b = _logical(_as_arrow(old)), _logical(_as_arrow(new))
        if a.type != b.type:
            if not (_is_number(a.type) and _is_number(b.type)):
                return None  # casting across kinds would make "1" equal 1
            a, b = a.cast(pa.float64()), b.cast(pa.float64())
        equal = pc.fill_null(pc.equal(a, b), False)
        both_missing = pc.and_(pc.is_null(a, nan_is_null=True), pc.is_null(b, nan_is_null=True))
        changed = pc.and_(pc.invert(equal), pc.invert(both_missing))
    except (pa.ArrowException, TypeError, ValueError):  # nested types, uncastable pairs
        return None
    flags = changed.to_numpy(zero_copy_only=False) if len(changed) else np.empty(0, bool)
    return np.flatnonzero(flags).astype(np.int64)


def _arrow_stats(array: pa.ChunkedArray) -> dict[str, Any]:
    kind = array.type
    if pa.types.is_dictionary(kind):
        return {"nulls": array.null_count}
    stats: dict[str, Any] = {"nulls": array.null_count}
    if pa.types.is_floating(kind):
        nans = pc.is_nan(array)
        nan_count = pc.sum(nans).as_py() or 0
        if nan_count:  # NaN is missing, as in pandas
            stats["nulls"] += nan_count
            array = pc.if_else(nans, pa.scalar(None, kind), array)
    numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
    if numeric or pa.types.is_decimal(kind) or pa.types.is_temporal(kind):
        bounds = pc.min_max(array)
        stats["min"] = jsonable(bounds["min"].as_py())
        stats["max"] = jsonable(bounds["max"].as_py())
    if numeric or pa.types.is_decimal(kind):
        stats["mean"] = jsonable(pc.mean(array).as_py())
    return stats


def _object_stats(values: Any) -> dict[str, Any]:
    pandas = sys.modules.get("pandas")
    if pandas is not None:
        return {"nulls": int(pandas.isna(values).sum())}
    return {"nulls": sum(1 for v in values if v is None or (isinstance(v, float) and v != v))}


def _cell(column: _Column, row: int) -> Any:
    value = column.values[row]
    return jsonable(value.as_py() if isinstance(value, pa.Scalar) else value)


@dataclass
class _Comparison:
    positions: dict[str, np.ndarray]  # changed rows per common column, in old's row order
    stats: dict[str, dict[str, Any]]  # column label -> {"old": ..., "new": ...}
    complete: bool = True


def _numpy_pair(old: _Column, new: _Column) -> tuple[np.ndarray, np.ndarray] | None:
    """Both columns as NumPy arrays of one dtype, if both are plain numbers."""
    if old.form != "numpy" or new.form != "numpy":
        return None
    x, y = old.values, new.values
    if x.dtype != y.dtype:
        common = np.result_type(x.dtype, y.dtype)
        x, y = x.astype(common, copy=False), y.astype(common, copy=False)
    return x, y


def _stats_array(column: _Column) -> np.ndarray | None:
    """The column as NumPy for the chunked statistics, where that is the fast way."""
    if column.form == "numpy":
        return column.values
    if column.form == "arrow" and pa.types.is_floating(column.values.type):
        return column.values.to_numpy()  # nulls become NaN, which the statistics count
    return None


def _single_stats(column: _Column, stats: Scan | None) -> dict[str, Any]:
    if stats is not None:
        return stats.old.to_dict()
    if column.form == "arrow":
        return _arrow_stats(column.values)
    return _object_stats(column.values)


def _compare(old: _Table, new: _Table, aligned: bool, same: bool, ctx: Context) -> _Comparison:
    new_by = {c.label: c for c in new.columns}
    pairs = [(c, new_by[c.label]) for c in old.columns if c.label in new_by] if aligned else []
    fast: dict[str, int] = {}  # label -> index into the scan batch
    batch: list[tuple[np.ndarray, np.ndarray | None]] = []
    if not same:
        for a, b in pairs:
            numeric = _numpy_pair(a, b)
            if numeric is not None:
                fast[a.label] = len(batch)
                batch.append(numeric)
    # Statistics of every NumPy column not compared above, in the same threaded batch.
    singles: dict[tuple[str, str], int] = {}
    for side, table in (("old", old), ("new", new)):
        if same and side == "new":
            continue
        for column in table.columns:
            values = _stats_array(column)
            if values is not None and column.label not in fast:
                singles[(side, column.label)] = len(batch)
                batch.append((values, None))
    scans = scan_pairs(batch, ctx.deadline)

    result = _Comparison({}, {})
    for label, i in fast.items():
        result.stats[label] = {"old": scans[i].old.to_dict(), "new": scans[i].new.to_dict()}
        result.positions[label] = scans[i].positions
        result.complete = result.complete and scans[i].complete
    for side, table in (("old", old), ("new", new)):
        for column in table.columns:
            if column.label in fast or (same and side == "new"):
                continue
            at = singles.get((side, column.label))
            scan = scans[at] if at is not None else None
            if scan is not None and not scan.complete:
                result.complete = False
            result.stats.setdefault(column.label, {})[side] = _single_stats(column, scan)
    if same:
        for stats in result.stats.values():
            stats["new"] = stats["old"]
        result.positions = {a.label: np.empty(0, np.int64) for a, _ in pairs}
        return result
    # Always {"old", "new"} in that order; None for the side without the column.
    result.stats = {
        label: {"old": stats.get("old"), "new": stats.get("new")}
        for label, stats in result.stats.items()
    }

    for a, b in pairs:
        if a.label in fast:
            continue
        if ctx.expired():
            result.complete = False
            break
        positions = _arrow_positions(a, b) if "object" not in (a.form, b.form) else None
        if positions is None:
            positions, complete = object_positions(_as_list(a), _as_list(b), ctx.deadline)
            result.complete = result.complete and complete
        result.positions[a.label] = positions
    return result


# --- the handler --------------------------------------------------------------------------


def _schema(old: _Table, new: _Table, cap: int) -> tuple[dict[str, Any], list[str], bool]:
    old_by = {c.label: c for c in old.columns}
    new_by = {c.label: c for c in new.columns}
    added = [c.label for c in new.columns if c.label not in old_by]
    removed = [c.label for c in old.columns if c.label not in new_by]
    retyped = [
        {"column": c.label, "old": c.type, "new": new_by[c.label].type}
        for c in old.columns
        if c.label in new_by and c.type != new_by[c.label].type
    ]
    common_old = [c.label for c in old.columns if c.label in new_by]
    common_new = [c.label for c in new.columns if c.label in old_by]
    schema = {
        "added": added[:cap],
        "removed": removed[:cap],
        "retyped": retyped[:cap],
        "reordered": common_old != common_new,
    }
    parts = []
    for label, verb in ((added, "added"), (removed, "removed")):
        if label:
            parts.append(f"{'column' if len(label) == 1 else 'columns'} {names(label)} {verb}")
    if len(retyped) == 1:
        r = retyped[0]
        parts.append(f"column {r['column']!r} retyped {r['old']} → {r['new']}")
    elif retyped:
        parts.append(f"columns {names([r['column'] for r in retyped])} retyped")
    if schema["reordered"]:
        parts.append("columns reordered")
    capped = max(len(added), len(removed), len(retyped)) > cap
    return schema, parts, capped


def diff_tables(old: Any, new: Any, ctx: Context) -> ValueDiff:
    limits = ctx.limits
    same = old is new
    a = _load(old)
    b = a if same else _load(new)
    schema, schema_parts, truncated = _schema(a, b, limits.max_entries)
    schema_new = {c.label for c in b.columns} - {c.label for c in a.columns}
    alignment = _align(a, b)
    if alignment.order is not None:
        order = alignment.order
        reordered = map_threads(lambda c: _reorder(c, order), b.columns, b.rows * len(b.columns))
        b = replace(b, columns=reordered)
    comparison = _compare(a, b, alignment.by is not None, same, ctx)

    # Changed rows: a mask rather than a union of position arrays, linear however many.
    changed_rows = 0
    in_order = [c.label for c in a.columns] + [c.label for c in b.columns if c.label in schema_new]
    found = comparison.positions
    changed_by_column = {k: int(found[k].size) for k in in_order if k in found and found[k].size}
    changed_cells = sum(changed_by_column.values())
    sample: list[dict[str, Any]] = []
    if changed_cells:
        mask = np.zeros(a.rows, dtype=bool)
        for positions in comparison.positions.values():
            mask[positions] = True
        changed_rows = int(np.count_nonzero(mask))
        rows = np.flatnonzero(mask)[: limits.max_rows]
        sample = _sample(a, b, rows, comparison.positions, alignment, limits.max_entries)
        truncated = truncated or changed_rows > len(rows)

    # Column statistics: changed columns first, so a wide table's cap keeps them.
    interesting = set(changed_by_column) | set(schema["added"]) | set(schema["removed"])
    interesting |= {r["column"] for r in schema["retyped"]}
    order = sorted(in_order, key=lambda label: label not in interesting)
    columns = {label: comparison.stats[label] for label in order[: limits.max_entries]}
    if len(changed_by_column) > limits.max_entries or len(order) > limits.max_entries:
        truncated = True
    changed_columns = len(changed_by_column)
    changed_by_column = dict(list(changed_by_column.items())[: limits.max_entries])

    aligned = alignment.by is not None
    rows_reordered = alignment.order is not None
    parts: list[str] = []
    if not aligned:
        parts.append(f"rows {a.rows:,} → {b.rows:,}")
    elif changed_cells:
        parts.append(
            f"{changed_rows:,} of {a.rows:,} rows changed in {count(changed_columns, 'column')}"
        )
    if rows_reordered:
        parts.append("rows reordered")
    if alignment.index_changed:
        parts.append("index changed")
    parts += schema_parts
    error = None
    if not comparison.complete:
        error = ctx.timed_out("cells compared only in part; statistics may be partial")
        parts.append("comparison incomplete")
        truncated = True
    changed = bool(parts)
    summary = "; ".join(parts) if parts else f"unchanged ({a.rows:,} rows × {len(a.columns)})"
    detail = {
        "rows": [a.rows, b.rows],
        "schema": schema,
        "columns": columns,
        "aligned_by": alignment.by,
        "index_changed": alignment.index_changed,
        "rows_reordered": rows_reordered,
        "changed_cells": changed_cells if aligned else None,
        "changed_rows": changed_rows if aligned else None,
        "changed_by_column": changed_by_column,
        "sample": sample,
    }
    return ValueDiff(changed, "table", clip(summary), detail, truncated, error)


def _sample(
    old: _Table,
    new: _Table,
    rows: np.ndarray,
    positions: dict[str, np.ndarray],
    alignment: _Alignment,
    cap: int,
) -> list[dict[str, Any]]:
    old_by = {c.label: c for c in old.columns}
    new_by = {c.label: c for c in new.columns}
    sample = []
    for row in rows.tolist():
        changed = []
        for label, where in positions.items():
            i = int(np.searchsorted(where, row))
            if i < where.size and where[i] == row:
                changed.append(label)
        changed = changed[:cap]
        key = key_of(old.index[row]) if alignment.by == "index" else row
        sample.append(
            {
                "key": key,
                "old": {label: _cell(old_by[label], row) for label in changed},
                "new": {label: _cell(new_by[label], row) for label in changed},
            }
        )
    return sample


def equal_tables(old: Any, new: Any) -> bool:
    """Cheap-ish equality for tables nested deeper than the diff goes."""
    return old is new or (hasattr(old, "equals") and bool(old.equals(new)))
