"""Turning arbitrary values into short, JSON-safe pieces of a diff's detail."""

from __future__ import annotations

import datetime as dt
import decimal
import fractions
import math
import reprlib
import sys
from typing import Any

MAX_CHARS = 200

_repr = reprlib.Repr()
_repr.maxstring = 120
_repr.maxother = 120
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = _repr.maxfrozenset = 8
_repr.maxlevel = 3


def clip(text: str, limit: int = MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_repr(value: Any) -> str:
    """reprlib's repr, clipped; never raises (a repr can be user code)."""
    try:
        return clip(_repr.repr(value))
    except Exception as exc:  # a broken __repr__ must not break the diff
        return f"<{type_name(value)}: repr failed: {type(exc).__name__}>"


def type_name(value: Any) -> str:
    """module.qualname of the value's type; builtins without the module."""
    kind = type(value)
    module = getattr(kind, "__module__", "") or ""
    qualname = getattr(kind, "__qualname__", kind.__name__)
    return qualname if module == "builtins" else f"{module}.{qualname}"


def float_value(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def jsonable(value: Any) -> Any:
    """A scalar as a JSON value (NaN/inf as strings); anything else as a short repr."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float_value(float(value))
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        if isinstance(value, numpy.datetime64 | numpy.timedelta64):
            return None if numpy.isnat(value) else str(value)
        try:
            item = value.item()
        except (ValueError, TypeError, OverflowError):
            return short_repr(value)
        return short_repr(value) if isinstance(item, numpy.generic) else jsonable(item)
    if type(value).__name__ == "NaTType":  # pandas.NaT: a missing timestamp
        return None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta | decimal.Decimal | fractions.Fraction):
        return clip(str(value))
    return short_repr(value)


def key_of(value: Any) -> Any:
    """A mapping key or index label as JSON: scalars as they are, others as reprs."""
    if value is None or isinstance(value, bool | int | float | str):
        return jsonable(value)
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return jsonable(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return short_repr(value)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2,000 rows'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def names(items: list[Any], limit: int = 3) -> str:
    """'a', 'b', 'c' (+2 more)"""
    shown = ", ".join(repr(i) if isinstance(i, str) else str(i) for i in items[:limit])
    return shown + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def number(value: Any) -> str:
    """A number for a summary line: compact, readable."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**15 else f"{value:.6g}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
