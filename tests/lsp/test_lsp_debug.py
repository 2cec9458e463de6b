"""Debug spins through the language server: ``spinlens.server.debug``, a real
client, and a real DAP client attached where the ``debug`` event says."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dapclient import DapClient
from flowruns import FlowRun
from lspclient import CANCEL, DEBUG, SPIN, SpinlensClient

PRINT_LINE = '        print("scaled", self.scaled)'


def _debug_event(client: SpinlensClient) -> dict[str, Any] | None:
    found = [r.params["event"] for r in client.events if r.params["event"]["event"] == "debug"]
    return found[-1] if found else None


def _attach(event: dict[str, Any], breakpoint_file: str, line: int) -> tuple[DapClient, int]:
    """Attach as an editor does; return the client and the stopped thread."""
    dap = DapClient(event["host"], event["port"])
    dap.attach({"justMyCode": True}, {Path(breakpoint_file): [line]})
    stopped = dap.event("stopped")
    return dap, stopped["body"]["threadId"]


def test_debug_command_waits_for_the_debugger_then_reports_like_a_spin(
    linear_run: FlowRun,
) -> None:
    line = linear_run.file.read_text().splitlines().index(PRINT_LINE) + 1

    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            uri = client.open(linear_run.file, linear_run.file.read_text())
            request = asyncio.ensure_future(client.command(DEBUG, {"uri": uri, "step": "middle"}))
            event = await client.wait_for(lambda: _debug_event(client), timeout=120)
            assert event["host"] == "127.0.0.1"
            assert not request.done()  # the step waits for the debugger
            dap, thread = await asyncio.to_thread(
                _attach, event, str(linear_run.file.resolve()), line
            )
            try:
                await asyncio.to_thread(dap.request, "continue", {"threadId": thread})
                reply = await asyncio.wait_for(request, 120)
            finally:
                dap.close()
            assert reply["status"] == "ok", (reply, client.stderr_text)
            events = client.spin_events(reply["spinId"])
            kinds = [e["event"] for e in events]
            printed = next(i for i, e in enumerate(events) if "scaled" in e.get("text", ""))
            assert kinds.index("debug") < printed < kinds.index("finished"), events[:5]
            begun = [r.params.value for r in client.progress if r.params.value["kind"] == "begin"]
            assert [value["title"] for value in begun] == ["Debugging middle"]

            # The kernel stays warm for plain spins after a debug spin.
            plain = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert plain["status"] == "ok"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_cancel_by_spin_id_ends_only_that_spin(linear_run: FlowRun) -> None:
    line = linear_run.file.read_text().splitlines().index(PRINT_LINE) + 1

    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            uri = client.open(linear_run.file, linear_run.file.read_text())
            request = asyncio.ensure_future(client.command(DEBUG, {"uri": uri, "step": "middle"}))
            event = await client.wait_for(lambda: _debug_event(client), timeout=120)
            dap, _ = await asyncio.to_thread(_attach, event, str(linear_run.file.resolve()), line)
            try:
                other = await client.command(CANCEL, {"uri": uri, "spinId": "not-this-one"})
                assert other == {"cancelled": False}
                assert not request.done()
                # What the extension does when the user stops the debug session.
                mine = await client.command(CANCEL, {"uri": uri, "spinId": event["spin_id"]})
                assert mine == {"cancelled": True}
                reply = await asyncio.wait_for(request, 60)
            finally:
                dap.close()
            assert reply["status"] == "failed"
            assert client.spin_events(reply["spinId"])[-1]["kind"] == "cancelled"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
