"""NumPy arrays: shape, dtype, and which elements changed, by how much."""

from __future__ import annotations

from typing import Any

import numpy as np

from .context import Context
from .jsonsafe import clip, count, jsonable, number
from .model import ValueDiff
from .scan import comparable, object_positions, scan_pairs

_NUMERIC = "biufc"


def _positions(x: np.ndarray, y: np.ndarray, ctx: Context) -> tuple[np.ndarray, bool]:
    """Changed positions of two flat arrays of one length: (positions, complete)."""
    kx, ky = x.dtype.kind, y.dtype.kind
    if (kx in _NUMERIC and ky in _NUMERIC) or (kx == ky and kx in "mM"):
        if x.dtype != y.dtype:
            common = np.result_type(x.dtype, y.dtype)
            x, y = x.astype(common), y.astype(common)
        scan = scan_pairs([(comparable(x), comparable(y))], ctx.deadline, stats=False)[0]
        return scan.positions, scan.complete
    if kx == ky and kx in "USV":
        try:
            differ = np.asarray(x != y)
            if differ.shape == x.shape:
                return np.flatnonzero(differ).astype(np.int64), True
        except (TypeError, ValueError):  # structured dtypes that do not compare
            pass
    return object_positions(x.tolist(), y.tolist(), ctx.deadline)


def _max_diffs(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    """Largest absolute and relative difference among changed numeric elements."""
    if x.size == 0 or x.dtype.kind not in "iufc" or y.dtype.kind not in "iufc":
        return None, None
    wide = np.complex128 if "c" in (x.dtype.kind, y.dtype.kind) else np.float64
    a, b = x.astype(wide), y.astype(wide)
    with np.errstate(all="ignore"):
        delta = np.abs(b - a)
        base = np.abs(a)
        relative = np.where(base != 0, delta / np.where(base != 0, base, 1), np.nan)
    found = ~np.isnan(delta)
    max_abs = float(delta[found].max()) if found.any() else None
    found = ~np.isnan(relative)
    max_rel = float(relative[found].max()) if found.any() else None
    return jsonable(max_abs), jsonable(max_rel)


def diff_arrays(old: Any, new: Any, ctx: Context) -> ValueDiff:
    limits = ctx.limits
    x, y = np.asarray(old), np.asarray(new)  # matrices and masked arrays as plain arrays
    detail: dict[str, Any] = {
        "shape": [list(x.shape), list(y.shape)],
        "dtype": [str(x.dtype), str(y.dtype)],
        "size": [int(x.size), int(y.size)],
        "changed_elements": None,
        "max_abs_diff": None,
        "max_rel_diff": None,
        "sample": [],
    }
    parts = []
    if x.dtype != y.dtype:
        parts.append(f"dtype {x.dtype} → {y.dtype}")
    if x.shape != y.shape:
        parts.insert(0, f"shape {tuple(x.shape)} → {tuple(y.shape)}")
        return ValueDiff(True, "array", clip("; ".join(parts)), detail)

    fx, fy = x.reshape(-1), y.reshape(-1)  # C order, so positions unravel to indexes
    if old is new:
        positions, complete = np.empty(0, np.int64), True
    else:
        positions, complete = _positions(fx, fy, ctx)
    detail["changed_elements"] = int(positions.size)
    truncated = positions.size > limits.max_rows
    error = None
    if positions.size:
        detail["max_abs_diff"], detail["max_rel_diff"] = _max_diffs(fx[positions], fy[positions])
        shown = positions[: limits.max_rows]
        indexes = np.stack(np.unravel_index(shown, x.shape), axis=1) if x.ndim else None
        detail["sample"] = [
            {
                "index": [] if indexes is None else indexes[i].tolist(),
                "old": jsonable(fx[p]),
                "new": jsonable(fy[p]),
            }
            for i, p in enumerate(shown.tolist())
        ]
        changed_part = f"{positions.size:,} of {count(x.size, 'element')} changed"
        if detail["max_abs_diff"] is not None:
            changed_part += f" (max abs diff {number(detail['max_abs_diff'])})"
        parts.insert(0, changed_part)
    if not complete:
        error = ctx.timed_out(f"compared part of {count(x.size, 'element')}")
        parts.append("comparison incomplete")
        truncated = True
    summary = "; ".join(parts) if parts else f"unchanged ({count(x.size, 'element')})"
    return ValueDiff(bool(parts), "array", clip(summary), detail, truncated, error)


def equal_arrays(old: Any, new: Any) -> bool:
    try:
        return bool(np.array_equal(old, new, equal_nan=True))
    except TypeError:  # equal_nan on non-numeric dtypes
        return bool(np.array_equal(old, new))
