"""diff_values: pick a handler by the values' types, run it, never raise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from . import containers, detect, objects, scalars
from .context import Context
from .jsonsafe import clip, type_name
from .model import DiffLimits, Kind, ValueDiff

Handler = Callable[[Any, Any, Context], ValueDiff]


# The table and array handlers import numpy (and pyarrow): only on the first value
# that needs them, which exists only where the user's code loaded that library.
def _tables() -> ModuleType:
    from . import tables

    return tables


def _arrays() -> ModuleType:
    from . import arrays

    return arrays


def _diff_tables(old: Any, new: Any, ctx: Context) -> ValueDiff:
    return _tables().diff_tables(old, new, ctx)


def _equal_tables(old: Any, new: Any) -> bool:
    return _tables().equal_tables(old, new)


def _diff_arrays(old: Any, new: Any, ctx: Context) -> ValueDiff:
    return _arrays().diff_arrays(old, new, ctx)


def _equal_arrays(old: Any, new: Any) -> bool:
    return _arrays().equal_arrays(old, new)


@dataclass(frozen=True)
class Category:
    kind: Kind
    accepts: Callable[[Any], bool]
    handler: Handler
    # Equality for values nested deeper than max_depth; None: a leaf, always diffed in full.
    shallow_equal: Callable[[Any, Any], bool] | None = None


# Checked in order: the first category accepting a value is its category.
CATEGORIES: list[Category] = [
    Category("table", detect.is_table, _diff_tables, _equal_tables),
    Category("array", detect.is_array, _diff_arrays, _equal_arrays),
    Category("none", scalars.is_none, scalars.diff_none),
    Category("bool", scalars.is_bool, scalars.diff_bools),
    Category("number", scalars.is_number, scalars.diff_numbers),
    Category("text", scalars.is_text, scalars.diff_texts),
    Category("object", objects.is_bytes, objects.diff_objects),
    Category(
        "mapping", containers.is_mapping, containers.diff_mappings, containers.equal_containers
    ),
    Category("set", containers.is_set, containers.diff_sets, containers.equal_containers),
    Category(
        "sequence", containers.is_sequence, containers.diff_sequences, containers.equal_containers
    ),
    Category("params", objects.is_parameterised, objects.diff_params, containers.equal_containers),
]
FALLBACK = Category("object", lambda _: True, objects.diff_objects)


def category_of(value: Any) -> Category:
    for category in CATEGORIES:
        try:
            if category.accepts(value):
                return category
        except Exception:  # a value whose type checks misbehave is just an object
            continue
    return FALLBACK


def _depth_limited(old: Any, new: Any, category: Category, ctx: Context) -> ValueDiff:
    assert category.shallow_equal is not None
    changed = not category.shallow_equal(old, new)
    state = "changed" if changed else "unchanged"
    summary = f"{state} (nested deeper than max_depth={ctx.limits.max_depth}; not expanded)"
    return ValueDiff(changed, category.kind, summary, {"depth_limited": True}, truncated=changed)


def _with_type_change(result: ValueDiff, old: Any, new: Any) -> ValueDiff:
    """Values of one category but different types (list → tuple, int → float) changed."""
    names = [type_name(old), type_name(new)]
    if names[0] == names[1] or result.kind in ("type", "error"):
        return result
    rest = result.summary if result.changed else "contents equal"
    detail = result.detail if "type" in result.detail else {**result.detail, "type": names}
    summary = clip(f"type {names[0]} → {names[1]}; {rest}")
    return replace(result, changed=True, summary=summary, detail=detail)


def dispatch(old: Any, new: Any, ctx: Context) -> ValueDiff:
    category = FALLBACK
    try:
        category = category_of(old)
        if category is not category_of(new):
            return objects.diff_types(old, new)
        if category.shallow_equal is not None and ctx.depth > ctx.limits.max_depth:
            result = _depth_limited(old, new, category, ctx)
        else:
            result = category.handler(old, new, ctx)
        return _with_type_change(result, old, new)
    except Exception as exc:  # every handler is wrapped: failures are reported, not raised
        return objects.error_diff(old, new, exc, category.kind)


DEFAULT_LIMITS = DiffLimits()


def diff_values(old: Any, new: Any, limits: DiffLimits = DEFAULT_LIMITS) -> ValueDiff:
    """What changed from old to new: one ValueDiff, never an exception."""
    try:
        return dispatch(old, new, Context.start(limits, dispatch))
    except Exception as exc:  # even a broken limits object must not raise
        return objects.error_diff(old, new, exc, "diff_values")
