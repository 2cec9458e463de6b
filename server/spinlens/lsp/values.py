"""Artifact values the editor can show without ever starting a kernel.

- ``LastSpins``: each step's last spin as its events told it (type, size and
  summary of every artifact, the failure), kept per flow file until its
  document closes: nothing is read to show them.
- ``SourceValues``: previews of the source run's values, asked of the flow
  file's kernel (``SpinSession.preview``) only when one is running and free,
  and kept until the file's next spin. A hover waits for one at most
  ``WAIT_S``; a slower answer is kept for the next hover.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import SpinError
from ..wire.events import Artifact, Event, Failed, Finished
from ..wire.frames import BadFrame
from .kernels import FlowKernel
from .workers import Workers

logger = logging.getLogger(__name__)

WAIT_S = 0.2  # how long a hover waits for the kernel's preview


@dataclass(frozen=True)
class LastSpin:
    spin_id: str
    flow: str | None
    step: str
    status: str  # "ok" or "failed"
    ended: float  # unix seconds
    artifacts: Mapping[str, Artifact]  # public ones (partial ones of a failed spin too)
    failure: Failed | None = None

    @property
    def kind(self) -> str | None:
        return self.failure.kind if self.failure is not None else None


class LastSpins:
    """The last spin of each (flow file, flow, step)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None, str], LastSpin] = {}

    def record(self, flow_file: str, flow: str | None, step: str, events: Iterable[Event]) -> None:
        artifacts: dict[str, Artifact] = {}
        for event in events:
            if isinstance(event, Artifact) and not event.internal:
                artifacts[event.name] = event
            elif isinstance(event, (Finished, Failed)):
                failure = event if isinstance(event, Failed) else None
                if failure is not None and failure.kind == "cancelled":
                    return  # a cancelled spin tells nothing about the step's values
                self._by_key[(flow_file, flow, step)] = LastSpin(
                    spin_id=event.spin_id,
                    flow=flow,
                    step=step,
                    status=event.status,
                    ended=time.time(),
                    artifacts=artifacts,
                    failure=failure,
                )
                return

    def get(self, flow_file: str, flow: str, step: str) -> LastSpin | None:
        """The newer of the spins keyed with this flow and without one (a spin
        whose text did not parse could not tell its flow)."""
        found = [
            self._by_key.get((flow_file, flow, step)),
            self._by_key.get((flow_file, None, step)),
        ]
        return max((s for s in found if s is not None), key=lambda s: s.ended, default=None)

    def of_file(self, flow_file: str) -> list[LastSpin]:
        return [spin for key, spin in self._by_key.items() if key[0] == flow_file]

    def forget(self, flow_file: str) -> None:
        for key in [key for key in self._by_key if key[0] == flow_file]:
            del self._by_key[key]


@dataclass(frozen=True)
class SourceValue:
    """One source-run artifact as the kernel described it, or why it could not."""

    type: str | None = None
    size: int | None = None
    text: str | None = None
    task: str | None = None  # Flow/run/step/task
    error: str | None = None


# (flow, step, name, run, parent): run None is "the latest successful run"
ValueKey = tuple[str, str, str, str | None, str | None]


@dataclass
class _FileValues:
    found: dict[ValueKey, SourceValue] = field(default_factory=dict)
    pending: dict[ValueKey, asyncio.Future[SourceValue | None]] = field(default_factory=dict)


class SourceValues:
    """Previews of source-run values per flow file, from its running kernel."""

    def __init__(self, workers: Workers) -> None:
        self._workers = workers
        self._files: dict[str, _FileValues] = {}

    def known(self, flow_file: str, key: ValueKey) -> SourceValue | None:
        """What is known already, without asking anything."""
        values = self._files.get(flow_file)
        return values.found.get(key) if values is not None else None

    def items(self, flow_file: str) -> list[tuple[ValueKey, SourceValue]]:
        values = self._files.get(flow_file)
        return list(values.found.items()) if values is not None else []

    async def get(
        self, kernel: FlowKernel | None, key: ValueKey, wait_s: float = WAIT_S
    ) -> SourceValue | None:
        """The preview for ``key``: known, or asked of the kernel if one runs (waiting
        at most ``wait_s``); None when there is no kernel or it is slow."""
        if kernel is None:
            return None
        values = self._files.setdefault(kernel.flow_file, _FileValues())
        if key in values.found:
            return values.found[key]
        session = kernel.session
        if session is None or session.kernel_pid is None:
            return None  # never start a kernel for a hover
        pending = values.pending.get(key)
        if pending is None:
            pending = values.pending[key] = asyncio.ensure_future(self._ask(kernel, key, values))
        try:
            return await asyncio.wait_for(asyncio.shield(pending), wait_s)
        except asyncio.TimeoutError:
            return None

    async def _ask(
        self, kernel: FlowKernel, key: ValueKey, values: _FileValues
    ) -> SourceValue | None:
        """One preview under the file's lock (a session serves one caller at a
        time), after the spins queued before it."""
        flow, step, name, run, parent = key
        try:
            async with kernel.lock:
                session = kernel.session
                if session is None or session.kernel_pid is None:
                    return None
                try:
                    reply = await self._workers.in_worker(
                        session.preview, step, name, run, parent, flow
                    )
                except SpinError as exc:
                    found = SourceValue(error=str(exc))
                except (OSError, EOFError, BadFrame) as exc:  # the kernel went away meanwhile
                    logger.info("preview of %s in %s: %s", name, kernel.flow_file, exc)
                    return None
                else:
                    found = SourceValue(reply.type, reply.size, reply.text, reply.task)
                if values is self._files.get(kernel.flow_file):  # not forgotten meanwhile
                    values.found[key] = found
                return found
        finally:
            values.pending.pop(key, None)

    def forget(self, flow_file: str) -> None:
        """After a spin (a new run may be the latest now) or when the document closes."""
        self._files.pop(flow_file, None)
