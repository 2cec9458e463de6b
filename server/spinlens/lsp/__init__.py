"""The Spinlens language server (``spinlens lsp``); docs/protocol.md, "Language server"."""

from .server import SpinlensServer, build_server, main

__all__ = ["SpinlensServer", "build_server", "main"]
