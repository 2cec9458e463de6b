"""Whether each flow has a successful run yet, for its "no run yet" lens.

Asking Metaflow takes a subprocess (``runs.list_runs``, about a second), and
lenses are asked for on every edit: a lens request reads this cache and, when
it knows nothing yet or its "no run" answer is old, has the server check in the
background and refresh the lenses. A spin or a ``runFlow`` that ends says what
it learnt at once (a run exists, or ``no-successful-run``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

RECHECK_S = 20.0  # a "no run yet" (or failed check) is asked again after this long


@dataclass(frozen=True)
class _Known:
    has_run: bool | None  # None: the check failed (no Metaflow, say): no lens
    at: float  # time.monotonic()


class RunStatuses:
    """By (flow file, flow)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], _Known] = {}
        self._checking: set[tuple[str, str]] = set()

    def has_run(self, flow_file: str, flow: str) -> bool | None:
        """True or False when known; None when unknown (the lens says nothing)."""
        known = self._known.get((flow_file, flow))
        return known.has_run if known is not None else None

    def to_check(self, flow_file: str, flow: str, now: float | None = None) -> bool:
        """Whether a check should start now; if so it counts as started."""
        key = (flow_file, flow)
        if key in self._checking:
            return False
        known = self._known.get(key)
        now = time.monotonic() if now is None else now
        if known is not None and (known.has_run or now - known.at < RECHECK_S):
            return False  # a successful run stays; "none" is asked again later
        self._checking.add(key)
        return True

    def learnt(self, flow_file: str, flow: str, has_run: bool | None) -> bool:
        """Record an answer; True if it changes what the lens says."""
        key = (flow_file, flow)
        self._checking.discard(key)
        before = self.has_run(flow_file, flow)
        self._known[key] = _Known(has_run, time.monotonic())
        return before != has_run

    def forget(self, flow_file: str) -> None:
        for key in [key for key in self._known if key[0] == flow_file]:
            del self._known[key]
