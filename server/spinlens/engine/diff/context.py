"""State shared by one diff_values call: limits, the deadline, how deep we are."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .model import DiffLimits, ValueDiff

# Nested entries reported across the whole result; per-level caps alone would
# still allow max_entries ** max_depth of them.
REPORT_BUDGET_PER_ENTRY = 20


@dataclass
class _Shared:
    deadline: float
    started: float
    reported: int = 0


@dataclass(frozen=True)
class Context:
    limits: DiffLimits
    recurse: Callable[[Any, Any, Context], ValueDiff]
    shared: _Shared = field(compare=False)
    depth: int = 0

    @staticmethod
    def start(limits: DiffLimits, recurse: Callable[[Any, Any, Context], ValueDiff]) -> Context:
        now = time.perf_counter()
        return Context(limits, recurse, _Shared(deadline=now + limits.time_budget_s, started=now))

    @property
    def deadline(self) -> float:
        return self.shared.deadline

    def expired(self) -> bool:
        return time.perf_counter() > self.shared.deadline

    def timed_out(self, progress: str) -> str:
        """The error text of a handler that ran out of time."""
        return f"timed out after {self.limits.time_budget_s:g} s; {progress}"

    def diff(self, old: Any, new: Any) -> ValueDiff:
        """Diff nested values one level deeper."""
        return self.recurse(old, new, replace(self, depth=self.depth + 1))

    def take_report_slot(self) -> bool:
        """Whether one more nested entry may go into the result."""
        if self.shared.reported >= self.limits.max_entries * REPORT_BUDGET_PER_ENTRY:
            return False
        self.shared.reported += 1
        return True
