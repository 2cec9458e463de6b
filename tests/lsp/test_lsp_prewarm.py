"""Prewarm through ``spinlens.server.prewarm`` with a real client: the kernel loads
the inputs of the step at the cursor, so the first spin of it is warm."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flowruns import FlowRun, run_flow
from lspclient import SPIN, SpinlensClient, kernel_pids
from spinlens.lsp.methods import PREWARM


@pytest.fixture(scope="module")
def prewarm_run(tmp_path_factory: pytest.TempPathFactory) -> FlowRun:
    return run_flow(tmp_path_factory.mktemp("prewarm"), "prewarm_flow.py")


def _line_of(run: FlowRun, text: str) -> int:
    return run.file.read_text().splitlines().index(text)


def _started(client: SpinlensClient, reply: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in client.spin_events(reply["spinId"]) if e["event"] == "started")


def test_a_prewarmed_step_spins_warm_first(prewarm_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(prewarm_run.folder)
        await client.start({})
        try:
            uri = client.open(prewarm_run.file, prewarm_run.file.read_text())
            line = _line_of(prewarm_run, "        self.total = len(self.big) + sum(self.small)")
            reply = await client.command(PREWARM, {"uri": uri, "line": line})
            assert reply["status"] == "done" and reply["step"] == "work", client.stderr_text
            assert {"big", "small"} <= set(reply["loaded"]) and reply["skipped"] == []
            pids = kernel_pids(prewarm_run.file.resolve())
            assert pids  # the kernel runs before any spin
            spun = await client.command(SPIN, {"uri": uri, "step": "work"})
            assert spun["status"] == "ok", spun
            assert _started(client, spun)["warm"] is True  # no input was loaded for it
            again = await client.command(PREWARM, {"uri": uri, "line": line})
            assert again["status"] == "done" and again["warm"] is True
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_the_budget_skips_a_large_input_and_zero_turns_prewarm_off(prewarm_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(prewarm_run.folder)
        await client.start({"prewarmMemoryMB": 1})
        flow_file = prewarm_run.file.resolve()
        try:
            uri = client.open(prewarm_run.file, prewarm_run.file.read_text())
            line = _line_of(prewarm_run, "    def work(self):")
            reply = await client.command(PREWARM, {"uri": uri, "line": line})
            assert reply["status"] == "done", (reply, client.stderr_text)
            assert "big" in reply["skipped"] and "small" in reply["loaded"]
            spun = await client.command(SPIN, {"uri": uri, "step": "work"})
            assert spun["status"] == "ok" and _started(client, spun)["warm"] is False
        finally:
            assert await client.stop() == 0
        await client.wait_for(lambda: not kernel_pids(flow_file), timeout=10)

        off = SpinlensClient(prewarm_run.folder)
        await off.start({"prewarmMemoryMB": 0})
        try:
            uri = off.open(prewarm_run.file, prewarm_run.file.read_text())
            reply = await off.command(PREWARM, {"uri": uri, "line": 0})
            assert reply == {"status": "off", "loaded": [], "skipped": [], "warm": False}
            assert not kernel_pids(flow_file)  # nothing was started
        finally:
            assert await off.stop() == 0

    asyncio.run(scenario())


def test_a_line_outside_every_step_prewarms_the_first_one(tmp_path: Path) -> None:
    from spinlens.lsp.prewarm import step_at

    flow = tmp_path / "f.py"
    text = (
        "from metaflow import FlowSpec, step\n\n\nclass F(FlowSpec):\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    assert step_at(text, str(flow), 0) == ("F", "start")
    assert step_at(text, str(flow), 9) == ("F", "end")
    assert step_at("not python (", str(flow), 0) is None


def test_another_step_or_a_spin_cuts_a_prewarm_short(prewarm_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(prewarm_run.folder)
        await client.start({})
        try:
            uri = client.open(prewarm_run.file, prewarm_run.file.read_text())
            work = _line_of(prewarm_run, "    def work(self):")
            end = _line_of(prewarm_run, "    def end(self):")
            # The cursor moves on before the first prewarm is done: the last step wins.
            first, second = await asyncio.gather(
                client.command(PREWARM, {"uri": uri, "line": work}),
                client.command(PREWARM, {"uri": uri, "line": end}),
            )
            assert first["status"] in ("done", "superseded"), first
            assert second["status"] == "done" and second["step"] == "end", second
            # A spin asked during a prewarm waits for it (cut short), never beside it.
            prewarmed, spun = await asyncio.gather(
                client.command(PREWARM, {"uri": uri, "line": work}),
                client.command(SPIN, {"uri": uri, "step": "work"}),
            )
            assert spun["status"] == "ok", (spun, client.stderr_text)
            assert prewarmed["status"] in ("done", "busy", "superseded"), prewarmed
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
