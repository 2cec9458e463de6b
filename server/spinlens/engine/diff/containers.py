"""Mappings, sequences and sets: recursive, capped, located by key or position."""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from .context import Context
from .digest import digest
from .jsonsafe import clip, count, jsonable, key_of, names
from .model import ValueDiff

_TEXTLIKE = (str, bytes, bytearray, memoryview)
_SCALARS = (type(None), bool, int, float, str, bytes)
# Longer sequences of unequal length are aligned by common prefix and suffix only
# (difflib's matching grows quadratically with the number of changed blocks).
MATCH_LIMIT = 2000


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_set(value: Any) -> bool:
    return isinstance(value, Set)


def is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, _TEXTLIKE)


def _trivially_equal(old: Any, new: Any) -> bool:
    """Equal without a nested diff: the same object, or equal plain scalars."""
    if old is new:
        return True
    if type(old) is type(new) and type(old) in _SCALARS:
        return bool(old == new)
    return False


@dataclass
class Entries:
    """Outcome of comparing entries matched by key (or position)."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    )
    changed_keys: list[Any] = field(default_factory=list)  # for the summary
    truncated: bool = False
    error: str | None = None

    @property
    def any_change(self) -> bool:
        c = self.counts
        return bool(c["added"] or c["removed"] or c["changed"] or self.error)

    def note(self, kind: str, entry: dict[str, Any], ctx: Context) -> None:
        self.counts[kind] += 1
        target = getattr(self, kind)
        if len(target) < ctx.limits.max_entries and ctx.take_report_slot():
            target.append(entry)
        else:
            self.truncated = True

    def compare(self, old: Any, new: Any, entry: dict[str, Any], ctx: Context) -> None:
        if _trivially_equal(old, new):
            self.counts["unchanged"] += 1
            return
        result = ctx.diff(old, new)
        if not result.changed:
            self.counts["unchanged"] += 1
            return
        if len(self.changed_keys) < 3:
            self.changed_keys.append(entry.get("key", entry.get("index")))
        self.truncated = self.truncated or result.truncated
        self.note("changed", {**entry, "diff": result.to_dict()}, ctx)

    def detail(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "counts": self.counts,
        }

    def summary(self, noun: str, total: int) -> str:
        c = self.counts
        parts = []
        if c["changed"]:
            shown = names(self.changed_keys) + ("…" if c["changed"] > 3 else "")
            parts.append(f"{c['changed']:,} of {count(total, noun)} changed ({shown})")
        for kind in ("added", "removed"):
            if c[kind]:
                listed = [e.get("key", e.get("index", e.get("value"))) for e in getattr(self, kind)]
                parts.append(f"{c[kind]:,} {kind} ({names(listed)})")
        if self.error:
            parts.append("comparison incomplete")
        return "; ".join(parts)


def diff_entries(old: Mapping[Any, Any], new: Mapping[Any, Any], ctx: Context) -> Entries:
    """Added, removed and changed keys between two mappings (recursive on values)."""
    entries = Entries()
    seen = 0
    for key in old:
        if ctx.expired():
            entries.error = ctx.timed_out(f"compared {seen:,} of {len(old):,} keys")
            entries.truncated = True
            return entries
        seen += 1
        if key in new:
            entries.compare(old[key], new[key], {"key": key_of(key)}, ctx)
        else:
            entries.note("removed", {"key": key_of(key), "value": jsonable(old[key])}, ctx)
    for key in new:
        if key not in old:
            entries.note("added", {"key": key_of(key), "value": jsonable(new[key])}, ctx)
    return entries


def diff_mappings(old: Any, new: Any, ctx: Context) -> ValueDiff:
    entries = diff_entries(old, new, ctx)
    detail = {"size": [len(old), len(new)], **entries.detail()}
    summary = entries.summary("key", len(old)) or f"unchanged ({count(len(old), 'key')})"
    return ValueDiff(
        entries.any_change, "mapping", clip(summary), detail, entries.truncated, entries.error
    )


# --- sequences ----------------------------------------------------------------------------


def _tokens(items: Sequence[Any], ctx: Context) -> list[Hashable]:
    """Per-item tokens for aligning two sequences: equal tokens mean equal items."""
    tokens: list[Hashable] = []
    for item in items:
        try:
            token: Hashable = (type(item).__qualname__, item)
            hash(token)
        except TypeError:  # unhashable: its pickle's hash, while there is time
            try:
                token = ("digest", digest(item).sha1) if not ctx.expired() else object()
            except Exception:  # neither picklable nor repr-able: matches nothing
                token = object()
        tokens.append(token)
    return tokens


def _opcodes(
    old: Sequence[Any], new: Sequence[Any], ctx: Context
) -> Iterable[tuple[str, int, int, int, int]]:
    if len(old) == len(new):
        return [("replace", 0, len(old), 0, len(new))]
    a, b = _tokens(old, ctx), _tokens(new, ctx)
    if max(len(a), len(b)) <= MATCH_LIMIT:
        return difflib.SequenceMatcher(None, a, b).get_opcodes()
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(a), len(b)) - prefix and a[-1 - suffix] == b[-1 - suffix]:
        suffix += 1
    return [
        ("equal", 0, prefix, 0, prefix),
        ("replace", prefix, len(a) - suffix, prefix, len(b) - suffix),
        ("equal", len(a) - suffix, len(a), len(b) - suffix, len(b)),
    ]


def diff_sequences(old: Any, new: Any, ctx: Context) -> ValueDiff:
    entries = Entries()
    for tag, i1, i2, j1, j2 in _opcodes(old, new, ctx):
        if tag == "equal":
            entries.counts["unchanged"] += i2 - i1
            continue
        paired = min(i2 - i1, j2 - j1)  # a replaced block: pair items up, the rest moved
        for k in range(paired):
            if ctx.expired():
                entries.error = ctx.timed_out(f"compared up to position {i1 + k:,}")
                entries.truncated = True
                break
            entries.compare(old[i1 + k], new[j1 + k], {"index": i1 + k, "new_index": j1 + k}, ctx)
        if entries.error:
            break
        for i in range(i1 + paired, i2):
            entries.note("removed", {"index": i, "value": jsonable(old[i])}, ctx)
        for j in range(j1 + paired, j2):
            entries.note("added", {"index": j, "value": jsonable(new[j])}, ctx)
    detail = {"length": [len(old), len(new)], **entries.detail()}
    summary = entries.summary("item", len(old)) or f"unchanged ({count(len(old), 'item')})"
    return ValueDiff(
        entries.any_change, "sequence", clip(summary), detail, entries.truncated, entries.error
    )


# --- sets ---------------------------------------------------------------------------------


def _listed(items: Iterable[Any], cap: int) -> list[Any]:
    """Up to cap items as JSON, in a stable order."""
    shown = [jsonable(i) for i in items]
    shown.sort(key=lambda v: (type(v).__name__, repr(v)))
    return shown[:cap]


def diff_sets(old: Any, new: Any, ctx: Context) -> ValueDiff:
    cap = ctx.limits.max_entries
    added = [i for i in new if i not in old]
    removed = [i for i in old if i not in new]
    listed = {"added": _listed(added, cap), "removed": _listed(removed, cap)}
    detail: dict[str, Any] = {
        "size": [len(old), len(new)],
        **listed,
        "counts": {
            "added": len(added),
            "removed": len(removed),
            "unchanged": len(old) - len(removed),
        },
    }
    parts = [
        f"{len(items):,} {verb} ({names(listed[verb])})"
        for items, verb in ((added, "added"), (removed, "removed"))
        if items
    ]
    summary = "; ".join(parts) or f"unchanged ({count(len(old), 'item')})"
    truncated = max(len(added), len(removed)) > cap
    return ValueDiff(bool(parts), "set", clip(summary), detail, truncated)


def equal_containers(old: Any, new: Any) -> bool:
    """Equality for containers nested deeper than the diff goes."""
    if old is new:
        return True
    try:
        if (old == new) is True:
            return True
    except Exception:  # ambiguous truth values of nested arrays, broken __eq__
        pass
    # Not equal by ==, which also says so for NaNs: the pickles decide.
    return digest(old).sha1 == digest(new).sha1
