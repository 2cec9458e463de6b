"""Spins through ``workspace/executeCommand`` on a real Metaflow run, with a real client."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from flowruns import FlowRun
from lspclient import (
    CANCEL,
    LIST_RUNS,
    RESTART_KERNEL,
    SET_SOURCE_RUN,
    SPIN,
    SpinlensClient,
    kernel_pids,
)

PRINT_LINE = '        print("scaled", self.scaled)\n'
EDITED = (
    PRINT_LINE + '        self.extra = "from the buffer"\n        print("edited in the buffer")\n'
)
SLEEPING = (
    PRINT_LINE + '        print("sleeping", flush=True)\n        import time; time.sleep(60)\n'
)
BOOM = "boom from the buffer, with a long explanation"
RAISE_LINE = f'        raise ValueError("{BOOM}")'
RAISING = PRINT_LINE + RAISE_LINE + "\n"
MIDDLE_LINE = 14  # 0-based line of middle's @step


def edited(run: FlowRun, replacement: str) -> str:
    text = run.file.read_text()
    assert PRINT_LINE in text
    return text.replace(PRINT_LINE, replacement)


def kinds(events: list[dict[str, Any]]) -> str:
    return " ".join(e["event"] for e in events)


def status_lens(lenses: list[Any]) -> str | None:
    titles = [
        lens.command.title
        for lens in lenses
        if lens.command.command == "spinlens.showResults" and lens.range.start.line == MIDDLE_LINE
    ]
    return titles[0] if titles else None


def test_spin_streams_events_and_reuses_the_kernel(linear_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start({"historySize": 3, "diffRows": 7, "defaultSourceRun": None})
        flow_file = linear_run.file.resolve()
        try:
            uri = client.open(linear_run.file, linear_run.file.read_text())
            assert status_lens(await client.lenses(uri)) is None
            # The unsaved buffer is what runs.
            client.replace(uri, edited(linear_run, EDITED))
            first = await client.command(SPIN, {"uri": uri, "step": "middle", "requestId": "r-1"})
            assert first["status"] == "ok", (first, client.stderr_text)
            assert "error" not in first
            events = client.spin_events(first["spinId"])
            assert re.fullmatch(r"(progress )*started (log )+(artifact )+finished", kinds(events))
            assert all(r.params["uri"] == uri for r in client.events)
            # Every event carries the request's id.
            assert client.request_events("r-1") == events
            logs = "".join(e["text"] for e in events if e["event"] == "log")
            assert "edited in the buffer" in logs
            artifacts = {e["name"]: e for e in events if e["event"] == "artifact"}
            assert artifacts["extra"]["vs_source"] == "new"
            assert [e["warm"] for e in events if e["event"] == "started"] == [False]

            # Progress: created by the server, begun, reported, ended.
            assert client.progress_tokens
            values = [r.params.value for r in client.progress]
            assert values[0]["kind"] == "begin" and values[0]["title"] == "Spinning middle"
            assert values[0]["cancellable"] is True
            assert values[-1]["kind"] == "end" and values[-1]["message"] == "ok: 1 changed"

            # The status lens appears; the client was asked to refresh lenses.
            assert re.fullmatch(
                r"spun \d+ s ago: 1 changed", status_lens(await client.lenses(uri)) or ""
            )
            assert client.refreshes >= 1
            assert any("LinearFlow.middle: ok" in line for line in client.logs)

            # Second spin: same kernel, warm.
            pids = kernel_pids(flow_file)
            assert pids
            second = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert second["status"] == "ok"
            started = client.spin_events(second["spinId"])
            started = [e for e in started if e["event"] == "started"]
            assert started[0]["warm"] is True
            assert started[0]["source"]["run_id"] == linear_run.run_id
            assert set(kernel_pids(flow_file)) & set(pids)

            # Queued spins: test_lsp_faults' ten spins at once.

            # historySize (here from initializationOptions, then changed) bounds the records.
            records = linear_run.folder / ".spinlens" / "LinearFlow" / "middle"
            # The spin's process prunes the history right after its result.
            await client.wait_for(lambda: 1 < len(list(records.iterdir())) <= 3)
            client.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"spinlens": {"historySize": 1}})
            )
            assert (await client.command(SPIN, {"uri": uri, "step": "middle"}))["status"] == "ok"
            await client.wait_for(lambda: len(list(records.iterdir())) == 1)

            # Runs, and the per-file source run.
            listed = await client.command(LIST_RUNS, {"uri": uri})
            runs = listed["runs"]
            assert [(r["runId"], r["status"]) for r in runs] == [(linear_run.run_id, "ok")]
            assert abs(runs[0]["created"] - time.time()) < 3600
            assert (listed["chosen"], listed["defaultRun"]) == (None, None)
            assert await client.command(SET_SOURCE_RUN, {"uri": uri, "runId": "424242"}) == {
                "runId": "424242"
            }
            # The server keeps the choice; listRuns says which run is chosen.
            assert (await client.command(LIST_RUNS, {"uri": uri}))["chosen"] == "424242"
            missing = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert missing["status"] == "failed" and "424242" in missing["error"]
            assert re.fullmatch(
                r"failed \d+ s ago: .+", status_lens(await client.lenses(uri)) or ""
            )
            await client.command(SET_SOURCE_RUN, {"uri": uri, "runId": None})
            again = await client.command(
                SPIN, {"uri": uri, "step": "middle", "run": linear_run.run_id}
            )
            assert again["status"] == "ok"

            assert await client.command(RESTART_KERNEL, {"uri": uri}) == {"restarted": True}
            assert not set(kernel_pids(flow_file)) & set(pids)
            assert await client.command(CANCEL, {"uri": uri}) == {"cancelled": False}
        finally:
            assert await client.stop() == 0
        # Shutdown leaves no kernel behind.
        await client.wait_for(lambda: not kernel_pids(flow_file), timeout=5)

    asyncio.run(scenario())


def test_cancel_then_spin_again(linear_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            uri = client.open(linear_run.file, edited(linear_run, SLEEPING))
            # Cancelled with spinlens.server.cancel.
            pending = asyncio.ensure_future(client.command(SPIN, {"uri": uri, "step": "middle"}))
            await client.wait_for(lambda: _logged(client, "sleeping"), timeout=30)
            asked = time.monotonic()
            assert await client.command(CANCEL, {"uri": uri}) == {"cancelled": True}
            reply = await asyncio.wait_for(pending, 30)
            print(f"cancelled {time.monotonic() - asked:.3f} s after the cancel")
            assert reply["status"] == "cancelled"
            failed = client.spin_events(reply["spinId"])[-1]
            assert failed["event"] == "failed" and failed["kind"] == "cancelled"
            assert status_lens(await client.lenses(uri)) is not None

            # Cancelled from the progress bar (window/workDoneProgress/cancel).
            tokens = len(client.progress_tokens)
            pending = asyncio.ensure_future(client.command(SPIN, {"uri": uri, "step": "middle"}))
            await client.wait_for(lambda: _logged(client, "sleeping", count=2), timeout=30)
            await client.wait_for(lambda: len(client.progress_tokens) > tokens)
            client.client.window_work_done_progress_cancel(
                types.WorkDoneProgressCancelParams(token=client.progress_tokens[-1])
            )
            reply = await asyncio.wait_for(pending, 30)
            assert reply["status"] == "cancelled"
            assert client.spin_events(reply["spinId"])[-1]["kind"] == "cancelled"

            # Cancelled by cancelling the request ($/cancelRequest).
            params = types.ExecuteCommandParams(SPIN, arguments=[{"uri": uri, "step": "middle"}])
            request = client.client.protocol.send_request(
                types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="spin-to-cancel"
            )
            await client.wait_for(lambda: _logged(client, "sleeping", count=3), timeout=30)
            cancel = types.CancelParams(id="spin-to-cancel")
            client.client.protocol.notify(types.CANCEL_REQUEST, cancel)
            await client.wait_for(lambda: request.done(), timeout=10)
            assert request.exception() is not None  # answered with "request cancelled"
            last = await client.wait_for(
                lambda: [e for e in [client.events[-1].params["event"]] if e["event"] == "failed"],
                timeout=5,
            )
            assert last[0]["kind"] == "cancelled"

            # The next spin works (the buffer fixed, unsaved).
            client.replace(uri, linear_run.file.read_text())
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "ok", reply
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_a_queued_spin_cancelled_by_its_request_id_ends_alone(
    linear_run: FlowRun, tmp_path: Path
) -> None:
    """Two spins of one file: the second waits behind the first; cancelling it by
    its requestId ends it alone (it never starts), and the first finishes ok."""
    release = tmp_path / "release"
    waiting = (
        PRINT_LINE + '        print("waiting", flush=True)\n'
        "        import os, time\n"
        f"        while not os.path.exists({str(release)!r}):\n"
        "            time.sleep(0.01)\n"
    )

    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            uri = client.open(linear_run.file, edited(linear_run, waiting))
            first = asyncio.ensure_future(
                client.command(SPIN, {"uri": uri, "step": "middle", "requestId": "first"})
            )
            await client.wait_for(lambda: _logged(client, "waiting"), timeout=60)
            second = asyncio.ensure_future(
                client.command(SPIN, {"uri": uri, "step": "middle", "requestId": "second"})
            )
            # Its progress is created once it is queued behind the first.
            await client.wait_for(lambda: len(client.progress_tokens) == 2)
            assert await client.command(CANCEL, {"requestId": "second"}) == {"cancelled": True}
            cancelled = await asyncio.wait_for(second, 30)
            assert cancelled["status"] == "cancelled", cancelled
            events = client.request_events("second")
            assert [(e["event"], e.get("kind")) for e in events] == [("failed", "cancelled")]
            assert events[0]["spin_id"] == cancelled["spinId"]
            assert not first.done()  # the first is still running, untouched

            # Cancelling it again, or an id nobody gave, cancels nothing.
            assert await client.command(CANCEL, {"requestId": "second"}) == {"cancelled": False}
            assert await client.command(CANCEL, {"requestId": "nobody"}) == {"cancelled": False}
            release.touch()
            done = await asyncio.wait_for(first, 60)
            assert done["status"] == "ok", (done, client.stderr_text)
            assert kinds(client.request_events("first")).endswith("finished")
            assert "started" in kinds(client.request_events("first"))
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_failing_step_reports_where_and_server_keeps_serving(linear_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        try:
            text = edited(linear_run, RAISING)
            uri = client.open(linear_run.file, text)
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "failed"
            assert BOOM in reply["error"]
            failed = client.spin_events(reply["spinId"])[-1]
            assert failed["kind"] == "exception"
            assert failed["file"] == str(linear_run.file.resolve())
            assert failed["line"] == text.splitlines().index(RAISE_LINE) + 1
            title = status_lens(await client.lenses(uri)) or ""
            # One line: the error is cut to at most 40 characters.
            match = re.fullmatch(r"failed \d+ s ago: (ValueError: boom from .*…)", title)
            assert match and len(match.group(1)) <= 40, title
            assert any("failed (exception)" in line for line in client.logs)

            # Bad requests are errors, not crashes; an unknown step is a failed spin.
            unknown = await client.command(SPIN, {"uri": uri, "step": "nope"})
            assert unknown["status"] == "failed" and "no step 'nope'" in unknown["error"]
            try:
                await client.command(SPIN, {"step": "middle"})
            except Exception as exc:  # the server answers with an InvalidParams error
                assert "uri" in str(exc)
            else:
                raise AssertionError("a spin without a uri was accepted")

            client.replace(uri, linear_run.file.read_text())
            assert (await client.command(SPIN, {"uri": uri, "step": "middle"}))["status"] == "ok"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


@pytest.mark.parametrize("how", ["stdin-eof", "sigterm"])
def test_server_going_away_stops_the_kernel(linear_run: FlowRun, how: str) -> None:
    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        uri = client.open(linear_run.file, linear_run.file.read_text())
        flow_file = linear_run.file.resolve()
        assert (await client.command(SPIN, {"uri": uri, "step": "start"}))["status"] == "ok"
        assert kernel_pids(flow_file)
        server = client.client._server
        assert server is not None and server.stdin is not None
        if how == "stdin-eof":
            server.stdin.close()  # the editor went away without shutdown/exit
        else:
            server.terminate()
        assert await client.wait_exit() == 1
        await client.wait_for(lambda: not kernel_pids(flow_file), timeout=5)

    asyncio.run(scenario())


def _logged(client: SpinlensClient, text: str, count: int = 1) -> bool:
    found = [
        r
        for r in client.events
        if r.params["event"]["event"] == "log" and text in r.params["event"]["text"]
    ]
    return len(found) >= count
