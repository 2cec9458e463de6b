"""One warm spin kernel (``SpinSession``) per flow file, and the queue in front of it."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from ..session import SpinSession
from ..wire.frames import PrewarmReply
from .jobs import SpinJob

logger = logging.getLogger(__name__)


class KernelLock(asyncio.Lock):
    """A file's lock (FIFO, as asyncio's). Whoever has to wait for it while a
    prewarm holds it cuts that prewarm short: a prewarm never delays a spin, a
    hover's preview or a value page by more than one batch of inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.on_wait: Callable[[], None] = _nothing
        self.waiting = 0  # callers waiting for it now

    async def acquire(self) -> Literal[True]:
        if self.locked():
            self.on_wait()
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


def _nothing() -> None:
    pass


@dataclass(eq=False)
class FlowKernel:
    """A flow file's session, created on its first spin and reused by every later one.

    ``lock`` (asyncio, FIFO) queues the spins, prewarms, previews and restarts of
    the file: the engine serves one request at a time per kernel, and a session
    must not be used by two worker threads at once. ``jobs`` holds the queued and
    running spins, oldest first, so a cancel can reach them.
    """

    flow_file: str
    lock: KernelLock = field(default_factory=KernelLock)
    jobs: list[SpinJob] = field(default_factory=list)
    session: SpinSession | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)
    # The prewarm holding the lock, if any (its step), and whether it was asked
    # to stop (before its request went out, it then sends none).
    prewarm_step: str | None = None
    _prewarm_stop: bool = False
    prewarm_wanted: str | None = None  # the step the cursor rests in now (event loop)

    def __post_init__(self) -> None:
        self.lock.on_wait = self.preempt_prewarm

    def open_session(self) -> SpinSession:
        """The session, created now if this is the file's first spin (worker thread)."""
        with self._guard:
            if self.session is None:
                self.session = SpinSession(self.flow_file)
            return self.session

    # -- prewarm (lsp/prewarm.py holds the lock around these) ----------------------
    def begin_prewarm(self, step: str) -> None:
        """The lock is the prewarm's now (event loop)."""
        with self._guard:
            self.prewarm_step = step
            self._prewarm_stop = False

    def prewarm(
        self,
        step: str,
        flow: str | None,
        run: str | None,
        index: int | None,
        budget_mb: int,
    ) -> PrewarmReply | None:
        """The prewarm (worker thread, after ``begin_prewarm``): starts the kernel
        if needed; None if it was asked to stop before its request went out."""
        try:
            with self._guard:  # sent under the guard: a preempt comes after it
                if self._prewarm_stop:
                    return None
                if self.session is None:
                    self.session = SpinSession(self.flow_file)
                session = self.session
                request_id = session.send_prewarm(
                    step, run=run, index=index, flow=flow, budget_mb=budget_mb
                )
            return session.prewarm_reply(request_id)
        finally:
            with self._guard:
                self.prewarm_step = None

    def preempt_prewarm(self) -> None:
        """Cut the prewarm holding the lock short (any thread), if there is one."""
        with self._guard:
            if self.prewarm_step is None or self._prewarm_stop:
                return
            self._prewarm_stop = True
            if self.session is not None:
                self.session.preempt_prewarm()

    @property
    def prewarming(self) -> bool:
        return self.prewarm_step is not None

    def cancel(self) -> bool:
        """Cancel the running spin and every queued one; True if there was any."""
        return any([job.cancel() for job in list(self.jobs)])

    def close(self) -> None:
        """Stop the kernel (blocking: it waits for the process to end)."""
        with self._guard:
            session, self.session = self.session, None
        if session is not None:
            try:
                session.close()
            except OSError:
                logger.exception("closing the kernel of %s", self.flow_file)


class Kernels:
    """Every flow file's kernel, by absolute path."""

    def __init__(self) -> None:
        self._by_path: dict[str, FlowKernel] = {}

    def get(self, flow_file: str) -> FlowKernel | None:
        return self._by_path.get(flow_file)

    def for_file(self, flow_file: str) -> FlowKernel:
        kernel = self._by_path.get(flow_file)
        if kernel is None:
            kernel = self._by_path[flow_file] = FlowKernel(flow_file)
        return kernel

    def all(self) -> list[FlowKernel]:
        return list(self._by_path.values())

    def find(
        self,
        request_id: str | None = None,
        spin_id: str | None = None,
        message_id: object = None,
    ) -> SpinJob | None:
        """The queued or running spin with that client request id, spin id or
        JSON-RPC message id (whichever are given), in any file."""
        for kernel in self.all():
            for job in list(kernel.jobs):
                if (
                    (request_id is not None and job.request_id == request_id)
                    or (spin_id is not None and job.spin_id == spin_id)
                    or (message_id is not None and job.message_id == message_id)
                ):
                    return job
        return None

    def cancel_all(self) -> None:
        for kernel in self.all():
            kernel.cancel()

    def close_all(self) -> None:
        for kernel in self.all():
            kernel.close()
