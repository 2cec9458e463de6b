"""The result of comparing two values, and the caps that keep it small."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal[
    "table",
    "array",
    "mapping",
    "sequence",
    "set",
    "text",
    "number",
    "bool",
    "none",
    "params",
    "object",
    "type",
    "error",
]


@dataclass(frozen=True)
class ValueDiff:
    """What changed between an artifact's old and new value.

    ``detail`` is kind-specific and JSON-serialisable (NaN and infinities are
    written as strings); pairs are ``[old, new]``.
    """

    changed: bool
    kind: Kind
    summary: str  # one readable line, at most 200 characters
    detail: dict[str, Any] = field(default_factory=dict)
    truncated: bool = False  # a cap cut something out of the detail
    error: str | None = None  # a handler failed or ran out of time

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "kind": self.kind,
            "summary": self.summary,
            "detail": self.detail,
            "truncated": self.truncated,
            "error": self.error,
        }


@dataclass(frozen=True)
class DiffLimits:
    max_rows: int = 20  # sample of changed rows / elements
    max_entries: int = 50  # mapping keys / sequence positions / columns reported
    max_depth: int = 4  # levels of recursion into nested values
    max_text_lines: int = 200  # unified diff lines
    time_budget_s: float = 2.0  # per diff_values call
