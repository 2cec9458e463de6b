"""The server's two kinds of threads: the event loop (pygls' writer and request
table are not thread-safe) and a pool for the blocking engine calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, TypeVar

T = TypeVar("T")


class Workers:
    def __init__(self, max_workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="spinlens-spin")
        self._running: set[Future[Any]] = set()  # blocking engine calls in flight
        self.loop: asyncio.AbstractEventLoop | None = None  # set once the server initializes

    def in_loop(self, fn: Callable[..., object], *args: Any) -> None:
        """Call ``fn`` on the event loop: now if this is the loop's thread, else soon."""
        loop = self.loop
        if loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn(*args)
            return
        try:
            loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop has closed: the client is gone
            pass

    def in_worker(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run a blocking engine call in the pool; awaitable, and tracked so that
        stopping the server can wait for it."""
        future = self._pool.submit(fn, *args)
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        return asyncio.wrap_future(future)

    def wait(self, timeout: float) -> None:
        """Let the calls in flight end, for at most ``timeout`` seconds."""
        running = [future for future in self._running if not future.done()]
        if running:
            wait_futures(running, timeout=timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
