"""Length-prefixed frames between the session, the kernel and spin children.

A frame is a JSON header plus an optional binary payload (a pickled value). JSON
keeps the control channel readable from any interpreter; payloads are only
unpickled by a caller who asked for a value.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_PREFIX = struct.Struct("!II")  # header length, payload length


class ChannelClosed(EOFError):
    """The other end of a channel went away."""


def send_frame(sock: socket.socket, header: dict[str, Any], payload: bytes = b"") -> None:
    data = json.dumps(header, separators=(",", ":"), default=str).encode()
    sock.sendall(_PREFIX.pack(len(data), len(payload)) + data + payload)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks += chunk
    return bytes(chunks)


def recv_frame(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    header_len, payload_len = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size))
    header = json.loads(_recv_exact(sock, header_len))
    payload = _recv_exact(sock, payload_len) if payload_len else b""
    return header, payload
