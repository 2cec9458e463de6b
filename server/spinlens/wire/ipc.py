"""Length-prefixed frames between the session, the kernel and spin children.

A frame is a JSON header plus an optional binary payload (a pickled value). JSON
keeps the control channel readable from any interpreter; payloads are only
unpickled by a caller who asked for a value.
"""

from __future__ import annotations

import json
import os
import socket
import struct
from collections.abc import Sequence
from typing import Any

_PREFIX = struct.Struct("!II")  # header length, payload length


class ChannelClosed(EOFError):
    """The other end of a channel went away."""


_MAX_FDS = 3


def send_frame(
    sock: socket.socket, header: dict[str, Any], payload: bytes = b"", fds: Sequence[int] = ()
) -> None:
    """Send one frame; ``fds`` (a terminal, for pdb) travel with its first bytes."""
    data = json.dumps(header, separators=(",", ":"), default=str).encode()
    prefix = _PREFIX.pack(len(data), len(payload))
    if fds:
        sent = socket.send_fds(sock, [prefix], list(fds)[:_MAX_FDS])
        sock.sendall(prefix[sent:] + data + payload)
    else:
        sock.sendall(prefix + data + payload)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks += chunk
    return bytes(chunks)


def recv_frame(sock: socket.socket) -> tuple[dict[str, Any], bytes]:
    header, payload, fds = recv_frame_with_fds(sock)
    for fd in fds:  # not expected here: do not leak them
        os.close(fd)
    return header, payload


def recv_frame_with_fds(sock: socket.socket) -> tuple[dict[str, Any], bytes, list[int]]:
    first, fds, _, _ = socket.recv_fds(sock, _PREFIX.size, _MAX_FDS)
    if not first:
        raise ChannelClosed("channel closed")
    prefix = first + _recv_exact(sock, _PREFIX.size - len(first))
    header_len, payload_len = _PREFIX.unpack(prefix)
    header = json.loads(_recv_exact(sock, header_len))
    payload = _recv_exact(sock, payload_len) if payload_len else b""
    return header, payload, list(fds)
