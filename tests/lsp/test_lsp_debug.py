"""Debug spins through the language server: ``spinlens.server.debug``, a real
client, and a real DAP client attached where the ``debug`` event says."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dapclient import DapClient
from flowruns import FlowRun
from lspclient import CANCEL, DEBUG, SPIN, SpinlensClient

PRINT_LINE = '        print("scaled", self.scaled)'


@dataclass
class DebugSpin:
    """``spinlens.server.debug`` of LinearFlow.middle, stopped at a breakpoint."""

    uri: str
    request: asyncio.Future[Any]  # the command's reply, once the spin ends
    event: dict[str, Any]  # its ``debug`` event
    dap: DapClient
    thread: int  # the stopped thread


def _debug_event(client: SpinlensClient) -> dict[str, Any] | None:
    found = [r.params["event"] for r in client.events if r.params["event"]["event"] == "debug"]
    return found[-1] if found else None


def _attach(event: dict[str, Any], flow_file: Path, line: int) -> tuple[DapClient, int]:
    """Attach as an editor does; return the client and the stopped thread."""
    dap = DapClient(event["host"], event["port"])
    dap.attach({"justMyCode": True}, {flow_file: [line]})
    stopped = dap.event("stopped")
    return dap, stopped["body"]["threadId"]


async def debug_middle(client: SpinlensClient, run: FlowRun) -> DebugSpin:
    uri = client.open(run.file, run.file.read_text())
    request = asyncio.ensure_future(client.command(DEBUG, {"uri": uri, "step": "middle"}))
    event = await client.wait_for(lambda: _debug_event(client), timeout=120)
    assert event["host"] == "127.0.0.1"
    assert not request.done()  # the step waits for the debugger
    line = run.file.read_text().splitlines().index(PRINT_LINE) + 1
    dap, thread = await asyncio.to_thread(_attach, event, run.file.resolve(), line)
    return DebugSpin(uri, request, event, dap, thread)


def test_debug_command_waits_for_the_debugger_then_reports_like_a_spin(
    linear_run: FlowRun,
) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            spin = await debug_middle(client, linear_run)
            try:
                await asyncio.to_thread(spin.dap.request, "continue", {"threadId": spin.thread})
                reply = await asyncio.wait_for(spin.request, 120)
            finally:
                spin.dap.close()
            assert reply["status"] == "ok", (reply, client.stderr_text)
            events = client.spin_events(reply["spinId"])
            kinds = [e["event"] for e in events]
            printed = next(i for i, e in enumerate(events) if "scaled" in e.get("text", ""))
            assert kinds.index("debug") < printed < kinds.index("finished"), events[:5]
            # Stopped at the breakpoint, then continued: where, and for how long.
            paused = next(e for e in events if e["event"] == "paused")
            line = linear_run.file.read_text().splitlines().index(PRINT_LINE) + 1
            assert (Path(paused["file"]), paused["line"], paused["function"]) == (
                linear_run.file.resolve(),
                line,
                "middle",
            )
            # Output comes through its own pipe, so a line printed just after the
            # debugger resumed may arrive before `resumed` does (docs/protocol.md).
            assert kinds.index("debug") < kinds.index("paused") < kinds.index("resumed")
            assert kinds.index("paused") < printed < kinds.index("finished")
            assert events[-1]["timings"]["paused_s"] > 0, events[-1]
            begun = [r.params.value for r in client.progress if r.params.value["kind"] == "begin"]
            assert [value["title"] for value in begun] == ["Debugging middle"]

            # The kernel stays warm for plain spins after a debug spin.
            plain = await client.command(SPIN, {"uri": spin.uri, "step": "middle"})
            assert plain["status"] == "ok"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_cancel_by_spin_id_ends_only_that_spin(linear_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            spin = await debug_middle(client, linear_run)
            try:
                other = await client.command(CANCEL, {"uri": spin.uri, "spinId": "not-this-one"})
                assert other == {"cancelled": False}
                assert not spin.request.done()
                # What the extension does when the user stops the debug session.
                mine = await client.command(
                    CANCEL, {"uri": spin.uri, "spinId": spin.event["spin_id"]}
                )
                assert mine == {"cancelled": True}
                reply = await asyncio.wait_for(spin.request, 60)
            finally:
                spin.dap.close()
            assert reply["status"] == "cancelled"
            assert client.spin_events(reply["spinId"])[-1]["kind"] == "cancelled"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
