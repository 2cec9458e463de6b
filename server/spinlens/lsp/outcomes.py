"""The last spin of each step, as shown by its status CodeLens."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..units import age_text
from ..wire.events import Artifact, Event, Failed, Finished

ERROR_CHARS = 40  # a lens is one line; the full error is in the results view


@dataclass(frozen=True)
class SpinOutcome:
    spin_id: str
    flow: str | None
    step: str
    ended: float  # unix seconds
    status: str  # "ok" or "failed" (a cancelled spin is failed, kind "cancelled")
    changed: int = 0  # artifacts new or changed against the source run's outputs
    artifacts: int = 0
    error: str | None = None
    kind: str | None = None  # the failure kind when failed
    elapsed_s: float | None = None

    @staticmethod
    def from_events(
        flow: str | None, step: str, events: Iterable[Event], elapsed_s: float | None = None
    ) -> SpinOutcome | None:
        """The outcome told by a spin's events; None if it never ended."""
        artifacts = changed = 0
        for event in events:
            if isinstance(event, Artifact) and not (event.internal or event.partial):
                artifacts += 1
                changed += event.vs_source != "unchanged"
            elif isinstance(event, (Finished, Failed)):
                failed = event if isinstance(event, Failed) else None
                return SpinOutcome(
                    spin_id=event.spin_id,
                    flow=flow,
                    step=step,
                    ended=time.time(),
                    status=event.status,
                    changed=changed,
                    artifacts=artifacts,
                    error=failed.error if failed else None,
                    kind=failed.kind if failed else None,
                    elapsed_s=elapsed_s,
                )
        return None

    def title(self, now: float | None = None) -> str:
        """``spun 12 s ago: 3 changed``, ``failed 5 s ago: ValueError: bad…``."""
        ago = age_text((now if now is not None else time.time()) - self.ended)
        if self.status == "ok":
            return f"spun {ago}: {self.changed} changed"
        if self.kind == "cancelled":
            return f"cancelled {ago}"
        return f"failed {ago}: {shorten(self.error or self.kind or 'failed')}"

    def summary(self) -> str:
        """One line for the client's log."""
        name = f"{self.flow}.{self.step}" if self.flow else self.step
        took = f" in {self.elapsed_s:.2f} s" if self.elapsed_s is not None else ""
        if self.status == "ok":
            return (
                f"{name}: ok{took}, {self.changed} of {self.artifacts} artifacts changed "
                f"vs the source run (spin {self.spin_id})"
            )
        error = shorten(self.error or "", limit=300)
        return f"{name}: failed ({self.kind}){took}: {error} (spin {self.spin_id})"


OutcomeLookup = Callable[[str, str], SpinOutcome | None]  # (flow, step) -> last outcome


class Outcomes:
    """The last spin of each (flow file, flow, step), by the file's absolute path;
    a file's outcomes go when its document closes."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None, str], SpinOutcome] = {}

    def record(self, flow_file: str, outcome: SpinOutcome) -> None:
        self._by_key[(flow_file, outcome.flow, outcome.step)] = outcome

    def lookup(self, flow_file: str) -> OutcomeLookup:
        def last(flow: str, step: str) -> SpinOutcome | None:
            # A spin whose flow could not be told (the text did not parse) is keyed
            # without one; show whichever of the two is newer.
            found = [
                self._by_key.get((flow_file, flow, step)),
                self._by_key.get((flow_file, None, step)),
            ]
            return max((o for o in found if o is not None), key=lambda o: o.ended, default=None)

        return last

    def forget(self, flow_file: str) -> None:
        for key in [key for key in self._by_key if key[0] == flow_file]:
            del self._by_key[key]

    def __len__(self) -> int:
        return len(self._by_key)


def shorten(text: str, limit: int = ERROR_CHARS) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
