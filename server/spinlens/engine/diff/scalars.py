"""None, booleans, numbers and text."""

from __future__ import annotations

import decimal
import difflib
import math
import numbers
import os
import sys
from typing import Any

from .context import Context
from .jsonsafe import clip, count, jsonable, number, short_repr
from .model import ValueDiff

# Lines: difflib slows down quadratically with the number of changed blocks (5,000 lines
# take ~0.1 s, 20,000 ~2 s); a longer changed middle is shown as one replaced block.
SEQUENCE_MATCH_LIMIT = 5_000
CONTEXT_LINES = 3


def is_none(value: Any) -> bool:
    return value is None


def is_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.bool_)


def is_number(value: Any) -> bool:
    # numpy registers its integer and floating scalars as numbers.Real; bool is not a number here
    return isinstance(value, numbers.Real | decimal.Decimal) and not isinstance(value, bool)


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def diff_none(old: Any, new: Any, ctx: Context) -> ValueDiff:
    return ValueDiff(False, "none", "unchanged (None)", {})


def diff_bools(old: Any, new: Any, ctx: Context) -> ValueDiff:
    a, b = bool(old), bool(new)
    summary = f"{a} → {b}" if a != b else f"unchanged ({a})"
    return ValueDiff(a != b, "bool", summary, {"old": a, "new": b})


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, int | float) else value


def _is_nan(value: Any) -> bool:
    try:
        return math.isnan(value)
    except (TypeError, ValueError, OverflowError):
        return False


def diff_numbers(old: Any, new: Any, ctx: Context) -> ValueDiff:
    a, b = _plain(old), _plain(new)
    equal = bool(a == b) or (_is_nan(a) and _is_nan(b))
    delta: Any = None
    relative: float | None = None
    try:
        delta = b - a
        if not isinstance(delta, int | float):
            delta = float(delta)  # Fractions and the like
        if a != 0 and not _is_nan(a) and not math.isinf(a):
            relative = float(delta) / abs(float(a))
    except (ArithmeticError, TypeError, ValueError):
        pass  # e.g. ints too large for a float ratio
    detail = {
        "old": jsonable(a),
        "new": jsonable(b),
        "abs_change": jsonable(delta),
        "rel_change": jsonable(relative),
    }
    if equal:
        return ValueDiff(False, "number", clip(f"unchanged ({number(a)})"), detail)
    summary = f"{number(a)} → {number(b)}"
    if isinstance(delta, int | float) and not _is_nan(delta):
        change = f"{'+' if delta >= 0 else ''}{number(delta)}"
        if relative is not None:
            change += f", {relative * 100:+.3g}%"
        summary += f" ({change})"
    return ValueDiff(True, "number", clip(summary), detail)


# --- text ---------------------------------------------------------------------------------


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Line opcodes; common head and tail are cut first so long texts stay cheap."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    if max(len(mid_a), len(mid_b)) <= SEQUENCE_MATCH_LIMIT:
        middle = difflib.SequenceMatcher(None, mid_a, mid_b).get_opcodes()
    else:
        middle = [("replace", 0, len(mid_a), 0, len(mid_b))]
    ops = [("equal", 0, head, 0, head)] if head else []
    ops += [(t, i1 + head, i2 + head, j1 + head, j2 + head) for t, i1, i2, j1, j2 in middle]
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def _span(start: int, stop: int) -> str:
    """A unified diff hunk range, as difflib writes it."""
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


class _Grouper(difflib.SequenceMatcher[str]):
    """difflib's hunk grouping, over opcodes we computed ourselves."""

    def __init__(self, ops: list[tuple[str, int, int, int, int]]) -> None:
        super().__init__(None, [], [])
        self._ops = ops

    def get_opcodes(self) -> list[tuple[str, int, int, int, int]]:  # type: ignore[override]
        return self._ops


def _unified(a: list[str], b: list[str], ops: list[tuple[str, int, int, int, int]]) -> list[str]:
    matcher = _Grouper(ops)
    lines = ["--- old", "+++ new"]
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_span(first[1], last[2])} +{_span(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + line for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                lines += ["-" + line for line in a[i1:i2]]
            if tag in ("replace", "insert"):
                lines += ["+" + line for line in b[j1:j2]]
    return lines


def _one_line_summary(old: str, new: str) -> str:
    if max(len(old), len(new)) <= 60:
        return f"{short_repr(old)} → {short_repr(new)}"
    # Long lines: show where they part, not two identical-looking prefixes.
    at = len(os.path.commonprefix([old, new]))
    start = max(0, at - 10)
    return f"differ at char {at:,}: {old[start : at + 40]!r} → {new[start : at + 40]!r}"


def diff_texts(old: str, new: str, ctx: Context) -> ValueDiff:
    a, b = old.splitlines(), new.splitlines()
    detail: dict[str, Any] = {
        "chars": [len(old), len(new)],
        "lines": [len(a), len(b)],
        "added": 0,
        "removed": 0,
        "diff": [],
        "approximate": False,
    }
    one_line = len(a) <= 1 and len(b) <= 1
    if old == new:
        shown = short_repr(old) if one_line else count(len(a), "line")
        return ValueDiff(False, "text", clip(f"unchanged ({shown})"), detail)
    ops = _opcodes(a, b)
    if a == b:  # only line endings differ: show them
        ops = [("replace", 0, len(a), 0, len(b))]
        a, b = (
            [repr(line) for line in old.splitlines(True)],
            [repr(line) for line in new.splitlines(True)],
        )
    # One block for the whole changed middle: counts are upper bounds.
    detail["approximate"] = any(
        t == "replace" and max(i2 - i1, j2 - j1) > SEQUENCE_MATCH_LIMIT for t, i1, i2, j1, j2 in ops
    )
    detail["removed"] = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag != "equal")
    detail["added"] = sum(j2 - j1 for tag, _, _, j1, j2 in ops if tag != "equal")
    lines = _unified(a, b, ops)
    cap = ctx.limits.max_text_lines
    detail["diff"] = [clip(line) for line in lines[:cap]]
    if one_line:
        summary = _one_line_summary(old, new)
    else:
        summary = f"+{detail['added']:,} -{detail['removed']:,} lines ({len(a):,} → {len(b):,})"
    return ValueDiff(True, "text", clip(summary), detail, truncated=len(lines) > cap)
