"""The pygls internals Spinlens relies on, checked in the installed pygls: pyproject
pins the range they were tested in (pygls>=2.1,<2.2), and this fails first when
a new release moves them."""

from __future__ import annotations

import inspect

from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol


def test_the_cancel_notification_hook_takes_the_request_id() -> None:
    # lsp/protocol.py: a $/cancelRequest of a spin request also cancels the spin.
    hook = getattr(LanguageServerProtocol, "_handle_cancel_notification", None)
    assert callable(hook)
    assert list(inspect.signature(hook).parameters) == ["self", "msg_id"]


def test_the_server_keeps_its_stop_event_and_thread_pool() -> None:
    # lsp/server.py: shutdown sets the one and stops the other without waiting.
    server = LanguageServer("spinlens-probe", "0")
    assert hasattr(server, "_stop_event") and hasattr(server, "_thread_pool")
