"""pygls' protocol, plus: ``$/cancelRequest`` of a spin request cancels the spin.

pygls answers a cancelled ``workspace/executeCommand`` at once, but the command's
coroutine keeps running (the request's future is not the handler's task), so
the spin would go on in the kernel; this hands the cancel to the server.
"""

from __future__ import annotations

from typing import Any

from pygls.protocol import LanguageServerProtocol


class SpinlensProtocol(LanguageServerProtocol):
    def _handle_cancel_notification(self, msg_id: Any) -> None:
        super()._handle_cancel_notification(msg_id)
        on_cancel = getattr(self._server, "request_cancelled", None)
        if on_cancel is not None:
            on_cancel(msg_id)
