"""One warm spin kernel (``SpinSession``) per flow file, and the queue in front of it."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from ..session import SpinSession
from .jobs import SpinJob

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class FlowKernel:
    """A flow file's session, created on its first spin and reused by every later one.

    ``lock`` (asyncio, FIFO) queues the spins and restarts of the file: the engine
    serves one spin at a time per kernel, and a session must not be used by two
    worker threads at once. ``jobs`` holds the queued and running spins, oldest
    first, so a cancel can reach them.
    """

    flow_file: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    jobs: list[SpinJob] = field(default_factory=list)
    session: SpinSession | None = None
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def open_session(self) -> SpinSession:
        """The session, created now if this is the file's first spin (worker thread)."""
        with self._guard:
            if self.session is None:
                self.session = SpinSession(self.flow_file)
            return self.session

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
