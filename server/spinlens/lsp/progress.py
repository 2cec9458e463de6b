"""A spin's ``$/progress``: server-created, cancellable, and never in the spin's way.

The spin starts at once; the ``window/workDoneProgress/create`` round trip runs
beside it, and ``begin`` goes out when the client has answered (with the latest
message). Used from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

logger = logging.getLogger(__name__)

REPORT_INTERVAL_S = 0.1  # logs can come in thousands of chunks; the UI needs a few


class SpinProgress:
    def __init__(self, server: LanguageServer, title: str, on_cancel: Callable[[], object]) -> None:
        self._server = server
        self._title = title
        self._on_cancel = on_cancel
        self.token = f"spinlens-{uuid.uuid4().hex}"
        self._message: str | None = None
        self._begun = False
        self._ended: str | None = None  # the end message, once the spin ended
        self._last_report = 0.0
        self._task: asyncio.Task[None] | None = None

    @property
    def supported(self) -> bool:
        window = self._server.client_capabilities.window
        return bool(window and window.work_done_progress)

    def start(self, message: str | None = None) -> None:
        self._message = message
        if self.supported:
            self._task = asyncio.ensure_future(self._create())

    async def _create(self) -> None:
        progress = self._server.work_done_progress
        try:
            await progress.create_async(self.token)
        except Exception as exc:  # the client refused: spin without a progress bar
            logger.info("no progress for the spin: %s", exc)
            return
        progress.begin(
            self.token,
            types.WorkDoneProgressBegin(title=self._title, cancellable=True, message=self._message),
        )
        self._begun = True
        cancelled = progress.tokens.get(self.token)
        if cancelled is not None:
            # window/workDoneProgress/cancel cancels this future.
            cancelled.add_done_callback(self._cancelled)
        if self._ended is not None:
            self._finish()

    def _cancelled(self, future: Future[object]) -> None:
        if future.cancelled() and self._ended is None:
            self._on_cancel()

    def report(self, message: str, force: bool = False) -> None:
        self._message = message
        now = time.monotonic()
        if not self._begun or self._ended is not None:
            return
        if not force and now - self._last_report < REPORT_INTERVAL_S:
            return
        self._last_report = now
        self._server.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=message)
        )

    def end(self, message: str) -> None:
        self._ended = message
        if self._begun:
            self._finish()
        # else: _create sends the end once the client answered (or never begins).

    def _finish(self) -> None:
        progress = self._server.work_done_progress
        progress.end(self.token, types.WorkDoneProgressEnd(message=self._ended))
        progress.tokens.pop(self.token, None)  # a late cancel of an ended spin is ignored
