"""Debug spins: a real DAP client against debugpy in the spin child."""

from __future__ import annotations

import json
import os
import pty
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flowruns import FlowRun
from spinlens import SpinSession
from spinlens.events import DebugReady, Event
from spinlens.session import SpinResult


class DapClient:
    """Just enough of the Debug Adapter Protocol to drive a debugpy session."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buffer = b""
        self.seq = 0
        self.events: list[dict[str, Any]] = []

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
        while True:
            message = self._read()
            if message["type"] == "event":
                self.events.append(message)
            elif message["type"] == "response" and message["request_seq"] == seq:
                assert message["success"], message
                return message

    def request(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.response(self.send(command, arguments))

    def event(self, name: str) -> dict[str, Any]:
        for index, message in enumerate(self.events):
            if message["event"] == name:
                return self.events.pop(index)
        while True:
            message = self._read()
            if message["type"] == "event" and message["event"] == name:
                return message
            if message["type"] == "event":
                self.events.append(message)

    def close(self) -> None:
        self.sock.close()


def _debugpy_processes() -> set[int]:
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes()
                status = (proc / "status").read_text()
            except OSError:
                continue
            if b"debugpy" in cmdline and "zombie" not in status:
                found.add(int(proc.name))
    return found


def test_breakpoint_stops_in_the_step_and_sees_its_inputs(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("foreach_flow.py")
    line = run.file.read_text().splitlines().index("        self.mean = float(part.x.mean())") + 1
    before = _debugpy_processes()
    ready: queue.Queue[DebugReady] = queue.Queue()
    results: list[SpinResult] = []

    def on_event(event: Event) -> None:
        if isinstance(event, DebugReady):
            ready.put(event)

    with SpinSession(run.file) as session:
        spinning = threading.Thread(
            target=lambda: results.append(
                session.spin("per_group", index=1, debug_port=0, on_event=on_event)
            )
        )
        spinning.start()
        where = ready.get(timeout=120)
        assert where.host == "127.0.0.1"  # debug ports listen on loopback only
        dap = DapClient(where.host, where.port)
        try:
            dap.request(
                "initialize",
                {"adapterID": "debugpy", "linesStartAt1": True, "columnsStartAt1": True},
            )
            attach = dap.send("attach", {"justMyCode": False})
            dap.event("initialized")
            dap.request(
                "setBreakpoints",
                {"source": {"path": str(run.file)}, "breakpoints": [{"line": line}]},
            )
            dap.request("configurationDone")
            dap.response(attach)
            stopped = dap.event("stopped")
            thread = stopped["body"]["threadId"]
            frames = dap.request("stackTrace", {"threadId": thread})["body"]["stackFrames"]
            assert frames[0]["line"] == line
            assert Path(frames[0]["source"]["path"]) == run.file

            def evaluate(expression: str) -> str:
                body = dap.request(
                    "evaluate",
                    {"expression": expression, "frameId": frames[0]["id"], "context": "repl"},
                )["body"]
                return str(body["result"])

            assert evaluate("self.table.shape") == "(1000, 2)"
            assert evaluate("self.input") == "1"
            dap.request("continue", {"threadId": thread})
            spinning.join(timeout=120)
        finally:
            dap.close()
        assert results and results[0].ok, results and results[0].error
        assert results[0].artifacts["group"] == 1
    deadline = time.monotonic() + 10
    while _debugpy_processes() - before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _debugpy_processes() - before == set(), "a debug adapter outlived its session"


def test_cli_debug_prints_an_attach_configuration_and_waits(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "spinlens.cli", "spin", run.file.name, "middle", "--debug"],
        cwd=run.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        lines = []
        while not any(line.startswith("}") for line in lines):
            line = proc.stderr.readline()
            assert line, "the CLI ended before printing an attach configuration:\n" + "".join(lines)
            lines.append(line)
        config = json.loads("".join(lines[lines.index("{\n") :]))
        assert config["type"] == "debugpy" and config["request"] == "attach"
        assert config["connect"]["host"] == "127.0.0.1"
        assert proc.poll() is None  # waiting for the debugger, the step not run yet
        dap = DapClient(config["connect"]["host"], config["connect"]["port"])
        try:
            dap.request("initialize", {"adapterID": "debugpy"})
            attach = dap.send("attach", {"justMyCode": False})
            dap.event("initialized")
            dap.request("configurationDone")
            dap.response(attach)
            out, _ = proc.communicate(timeout=120)
        finally:
            dap.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "scaled [0, 3, 6, 9, 12]" in out


class Terminal:
    """The CLI on a pseudo-terminal, read and typed into like a person would."""

    def __init__(self, run: FlowRun, *args: str) -> None:
        self.main, secondary = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spinlens.cli", *args],
            cwd=run.folder,
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
        )
        os.close(secondary)
        self.seen = bytearray()

    def expect(self, marker: bytes, limit_s: float = 90) -> None:
        deadline = time.monotonic() + limit_s
        while marker not in self.seen and time.monotonic() < deadline:
            if select.select([self.main], [], [], 0.5)[0]:
                try:
                    self.seen += os.read(self.main, 65536)
                except OSError:  # the terminal closed: the process ended
                    break
        assert marker in self.seen, f"no {marker!r} in:\n{self.seen.decode(errors='replace')}"

    def type(self, line: str) -> None:
        os.write(self.main, line.encode() + b"\n")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        os.close(self.main)


def test_pdb_works_at_the_terminal(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    run.file.write_text(
        text.replace(
            "        self.where = (current.flow_name, current.step_name)\n",
            "        self.where = (current.flow_name, current.step_name)\n        breakpoint()\n",
        )
    )
    terminal = Terminal(run, "spin", run.file.name, "middle", "--pdb")
    try:
        terminal.expect(b"(Pdb)")
        terminal.type("p self.scaled")
        terminal.expect(b"[0, 2, 4, 6, 8]")
        terminal.type("c")
        terminal.expect(b"next: end")
        assert terminal.proc.wait(timeout=60) == 0
    finally:
        terminal.close()


def test_pdb_opens_post_mortem_on_an_exception(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    run.file.write_text(text.replace("sum(self.scaled)", "sum(self.scaled) / 0"))
    terminal = Terminal(run, "spin", run.file.name, "end", "--pdb")
    try:
        terminal.expect(b"(Pdb)")
        terminal.type("p self.scaled")
        terminal.expect(b"[0, 2, 4, 6, 8]")
        terminal.type("q")
        terminal.expect(b"ZeroDivisionError")
        assert terminal.proc.wait(timeout=60) == 1
    finally:
        terminal.close()
