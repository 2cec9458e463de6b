"""A minimal Debug Adapter Protocol client over TCP, for tests against debugpy."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any


class DapClient:
    """Just enough of the Debug Adapter Protocol to drive a debugpy session."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buffer = b""
        self.seq = 0
        self.events: list[dict[str, Any]] = []
        self.responses: dict[int, dict[str, Any]] = {}

    def send(self, command: str, arguments: dict[str, Any] | None = None) -> int:
        self.seq += 1
        body = json.dumps(
            {"seq": self.seq, "type": "request", "command": command, "arguments": arguments or {}}
        ).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def _read(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        header, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        length = int(header.split(b":")[1])
        while len(self.buffer) < length:
            self.buffer += self._recv()
        message, self.buffer = self.buffer[:length], self.buffer[length:]
        return json.loads(message)

    def _recv(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        return chunk

    def response(self, seq: int) -> dict[str, Any]:
        message = self.responses.pop(seq, None)
        while message is None:
            self._take(self._read())
            message = self.responses.pop(seq, None)
        assert message["success"], message
        return message

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.response(self.send(command, arguments))

    def event(self, name: str) -> dict[str, Any]:
        while True:
            for index, message in enumerate(self.events):
                if message["event"] == name:
                    return self.events.pop(index)
            self._take(self._read())

    def _take(self, message: dict[str, Any]) -> None:
        """Keep what arrives for whoever waits for it: an adapter may answer a
        request before or after the events it causes."""
        if message["type"] == "event":
            self.events.append(message)
        elif message["type"] == "response":
            self.responses[message["request_seq"]] = message

    def attach(
        self,
        config: dict[str, Any],
        breakpoints: Mapping[Path, Iterable[int]] | None = None,
        exceptions: Sequence[str] | None = None,
    ) -> None:
        """An editor's handshake with a waiting debuggee: breakpoints (and which
        exceptions stop) go in before ``configurationDone`` lets the step run."""
        self.request(
            "initialize", {"adapterID": "debugpy", "linesStartAt1": True, "columnsStartAt1": True}
        )
        attach = self.send("attach", config)
        self.event("initialized")
        for path, lines in (breakpoints or {}).items():
            self.request(
                "setBreakpoints",
                {"source": {"path": str(path)}, "breakpoints": [{"line": n} for n in lines]},
            )
        if exceptions is not None:
            self.request("setExceptionBreakpoints", {"filters": list(exceptions)})
        self.request("configurationDone")
        self.response(attach)

    def close(self) -> None:
        self.sock.close()


def read_attach_configuration(stream: IO[str]) -> dict[str, Any]:
    """The attach configuration ``spinlens spin --debug`` prints (on stderr) before
    it waits for a debugger."""
    lines: list[str] = []
    while not any(line.startswith("}") for line in lines):
        line = stream.readline()
        assert line, "the CLI ended before printing an attach configuration:\n" + "".join(lines)
        lines.append(line)
    return json.loads("".join(lines[lines.index("{\n") :]))
