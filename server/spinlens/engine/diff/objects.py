"""Parameterised objects (scikit-learn style, dataclasses), anything else, and mismatches."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .containers import diff_entries
from .context import Context
from .digest import digest
from .jsonsafe import clip, short_repr, type_name
from .model import ValueDiff


def has_params(value: Any) -> bool:
    """scikit-learn style estimators (looked up on the type: instances only)."""
    return callable(getattr(type(value), "get_params", None)) and not isinstance(value, type)


def is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def is_parameterised(value: Any) -> bool:
    return has_params(value) or is_dataclass_instance(value)


def is_bytes(value: Any) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _params(value: Any) -> dict[str, Any]:
    if has_params(value):
        params = value.get_params(deep=False)
        if not isinstance(params, Mapping):
            raise TypeError(f"get_params() returned {type(params).__name__}, not a mapping")
        return dict(params)
    missing = object()
    fields = {f.name: getattr(value, f.name, missing) for f in dataclasses.fields(value)}
    return {name: v for name, v in fields.items() if v is not missing}


def _fitted(value: Any) -> dict[str, Any]:
    """scikit-learn's fitted state: public attributes whose names end in '_'."""
    try:
        attributes = vars(value)
    except TypeError:  # __slots__ only
        return {}
    return {k: v for k, v in attributes.items() if k.endswith("_") and not k.startswith("_")}


def diff_params(old: Any, new: Any, ctx: Context) -> ValueDiff:
    source = "get_params" if has_params(old) and has_params(new) else "fields"
    params = diff_entries(_params(old), _params(new), ctx)
    detail: dict[str, Any] = {
        "class": [type_name(old), type_name(new)],
        "source": source,
        **params.detail(),
    }
    changed, truncated, error = params.any_change, params.truncated, params.error
    parts = []
    if params.any_change:
        parts.append("params: " + params.summary("param", len(_params(old))))
    if source == "get_params" and old is not new:
        fitted_old, fitted_new = _fitted(old), _fitted(new)
        if fitted_old or fitted_new:
            fitted = diff_entries(fitted_old, fitted_new, ctx)
            detail["fitted"] = fitted.detail()
            truncated, error = truncated or fitted.truncated, error or fitted.error
            if fitted.any_change:
                changed = True
                parts.append("fitted: " + fitted.summary("attribute", len(fitted_old)))
        if not changed and not error:  # state kept elsewhere: the pickles decide
            detail["state_changed"] = digest(old).sha1 != digest(new).sha1
            if detail["state_changed"]:
                changed = True
                parts.append("parameters equal; other state differs")
    if type_name(old) != type_name(new):
        parts.insert(0, f"class {type_name(old)} → {type_name(new)}")
        changed = True
    summary = "; ".join(parts) if parts else f"unchanged ({type_name(old)})"
    return ValueDiff(changed, "params", clip(summary), detail, truncated, error)


def _equal_by_eq(old: Any, new: Any) -> tuple[bool, str | None]:
    """Whether old == new says True (and why not, if it raised)."""
    try:
        return (old == new) is True, None
    except Exception as exc:  # a broken __eq__ is reported in the detail, not raised
        return False, f"== raised {type(exc).__name__}: {exc}"[:200]


def diff_objects(old: Any, new: Any, ctx: Context) -> ValueDiff:
    a = digest(old)
    b = a if old is new else digest(new)
    notes = list(dict.fromkeys(p for p in (a.problem, b.problem) if p))
    same = a.sha1 == b.sha1
    if not same:
        # Different pickles can still hold equal values (shared references, set order).
        same, problem = _equal_by_eq(old, new)
        notes += [problem] if problem else []
    reprs = [short_repr(old), short_repr(new)]
    detail = {
        "type": [type_name(old), type_name(new)],
        "size": [a.size, b.size],
        "hash": [a.sha1, b.sha1],
        "hashed": [a.method, b.method],
        "repr": reprs,
        "notes": notes,
    }
    if same:
        summary = f"unchanged ({type_name(old)}"
        summary += f", {a.size:,} bytes)" if a.size is not None else ")"
        return ValueDiff(False, "object", clip(summary), detail)
    if max(len(reprs[0]), len(reprs[1])) <= 90 and reprs[0] != reprs[1]:
        summary = f"{reprs[0]} → {reprs[1]}"  # small values say best what changed
    elif a.size is not None and b.size is not None:
        summary = f"{type_name(old)} changed ({a.size:,} → {b.size:,} bytes)"
    else:
        summary = f"{type_name(old)} changed"
    return ValueDiff(True, "object", clip(summary), detail)


def diff_types(old: Any, new: Any) -> ValueDiff:
    names = [type_name(old), type_name(new)]
    detail = {"type": names, "repr": [short_repr(old), short_repr(new)]}
    return ValueDiff(True, "type", clip(f"type {names[0]} → {names[1]}"), detail)


def error_diff(old: Any, new: Any, exc: BaseException, where: str) -> ValueDiff:
    message = clip(f"{type(exc).__name__}: {exc}")
    detail = {"type": [type_name(old), type_name(new)], "handler": where}
    return ValueDiff(True, "error", clip(f"could not compare: {message}"), detail, error=message)
