"""Faults through the language server: a flood of output, ten spins at once, and
an interpreter without Metaflow. Real server, real kernels, a real Metaflow run."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from flowruns import FlowRun, python_without_metaflow, run_flow, tree_digest
from lspclient import SPIN, SpinlensClient
from spinlens.engine.limits import LOG_LIMIT_BYTES
from spinlens.lsp.settings import Settings

MARKER_LINE = '        print("marker", self.marker)\n'


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowRun]:
    """The module's source run; nothing here may change its datastore."""
    run = run_flow(tmp_path_factory.mktemp("lsp-faults"), "fault_flow.py")
    before = tree_digest(run.datastore)
    yield run
    assert tree_digest(run.datastore) == before, "a fault changed the source run's datastore"


def work_with(run: FlowRun, *lines: str) -> str:
    """The flow's text with ``lines`` at the top of its ``work`` step."""
    text = run.file.read_text()
    assert MARKER_LINE in text
    return text.replace(MARKER_LINE, MARKER_LINE + "".join(f"        {line}\n" for line in lines))


def logs_of(client: SpinlensClient, spin_id: str) -> list[dict[str, Any]]:
    return [e for e in client.spin_events(spin_id) if e["event"] == "log"]


def test_flood_of_output_is_truncated_and_the_server_keeps_answering(
    fault_run: FlowRun, record_property: Any
) -> None:
    """100 MB of stdout, written over about two seconds: lens requests made
    meanwhile are answered while the flood goes on (their latency is logged, not
    bounded: two busy cores make any bound flaky), and the client receives at
    most the spin's budget."""

    async def scenario() -> None:
        client = SpinlensClient(fault_run.folder)
        await client.start()
        try:
            text = work_with(
                fault_run,
                "import sys, time",
                "for _ in range(100):",
                "    sys.stdout.write('x' * (2**20 - 1) + '\\n')",
                "    time.sleep(0.02)",
            )
            uri = client.open(fault_run.file, text)
            pending = asyncio.ensure_future(client.command(SPIN, {"uri": uri, "step": "work"}))
            await client.wait_for(
                lambda: any("xxxx" in r.params["event"].get("text", "") for r in client.events),
                timeout=60,
            )
            latencies = []  # of the lens requests answered while the spin still ran
            while not pending.done():
                asked = time.perf_counter()
                lenses = await client.lenses(uri)
                if not pending.done():
                    latencies.append(time.perf_counter() - asked)
                assert any(lens.command and "Spin" in lens.command.title for lens in lenses)
                await asyncio.sleep(0.05)
            reply = await pending
            record_property("lens_latency_max_s", round(max(latencies), 3))
            print(
                f"{len(latencies)} lens requests during the flood, slowest {max(latencies):.3f} s"
            )
            assert reply["status"] == "ok", (reply, client.stderr_text)
            # Each lens request was answered before the spin ended: the flood did
            # not hold up the server.
            assert len(latencies) >= 5, "the flood ended before the lens requests could test it"
            logs = logs_of(client, reply["spinId"])
            assert sum(len(e["text"]) for e in logs) <= LOG_LIMIT_BYTES + 400
            assert "output truncated after 4 MB" in "".join(e["text"] for e in logs)
            assert logs[-1]["stream"] == "stderr" and "MB more not shown" in logs[-1]["text"]
            assert client.spin_events(reply["spinId"])[-1]["event"] == "finished"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_ten_spins_at_once_are_queued_and_keep_their_own_output(fault_run: FlowRun) -> None:
    async def scenario() -> None:
        client = SpinlensClient(fault_run.folder)
        await client.start()
        try:
            uri = client.open(fault_run.file, fault_run.file.read_text())
            replies = await asyncio.gather(
                *(
                    client.command(
                        SPIN,
                        {"uri": uri, "step": "work", "overrides": {"marker": repr(f"spin-{i}")}},
                    )
                    for i in range(10)
                )
            )
            assert [r["status"] for r in replies] == ["ok"] * 10, client.stderr_text
            spin_ids = [r["spinId"] for r in replies]
            assert len(set(spin_ids)) == 10
            for i, spin_id in enumerate(spin_ids):
                output = "".join(e["text"] for e in logs_of(client, spin_id))
                assert re.findall(r"spin-\d+", output) == [f"spin-{i}"], output
                events = client.spin_events(spin_id)
                marker = next(e for e in events if e.get("name") == "marker")
                assert marker["summary"] == repr(f"spin-{i}")
                assert [e["event"] for e in events].count("finished") == 1
            # One at a time, in the order asked: no spin's events among another's.
            order = [
                r.params["event"]["spin_id"]
                for r in client.events
                if r.params["event"]["spin_id"] in spin_ids
            ]
            assert order == sorted(order, key=spin_ids.index)
            warm = [e["warm"] for s in spin_ids for e in client.spin_events(s) if "warm" in e]
            assert warm == [False] + [True] * 9  # one kernel served them all
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_memory_limit_setting_parses() -> None:
    settings = Settings().updated({"spinlens": {"memoryLimitMB": 512}})
    assert settings.memory_limit_mb == 512 and settings.to_dict()["memoryLimitMB"] == 512
    assert settings.updated({"memoryLimitMB": 0}).memory_limit_mb is None  # 0: no limit
    assert settings.updated({"memoryLimitMB": 100.7}).memory_limit_mb == 100
    for bad in (-1, "lots", True, None, float("inf"), float("nan")):
        assert settings.updated({"memoryLimitMB": bad}) == settings


def test_memory_limit_setting_reaches_the_step(fault_run: FlowRun) -> None:
    """spinlens.memoryLimitMB, from the editor's settings to the spin's child."""

    async def scenario() -> None:
        client = SpinlensClient(fault_run.folder)
        await client.start({"memoryLimitMB": 64})
        try:
            uri = client.open(fault_run.file, fault_run.file.read_text())
            greedy = {"uri": uri, "step": "work", "overrides": {"alloc_mb": "256"}}
            reply = await client.command(SPIN, greedy)
            failed = client.spin_events(reply["spinId"])[-1]
            assert (failed["event"], failed["kind"], failed["code"]) == (
                "failed",
                "memory",
                "memory-limit",
            )
            assert "64 MB memory limit" in failed["error"]
            assert "spinlens.memoryLimitMB" in failed["error"]
            client.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings={"spinlens": {"memoryLimitMB": 0}})
            )
            assert (await client.command(SPIN, greedy))["status"] == "ok"
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def test_server_in_a_python_without_metaflow_says_so(fault_run: FlowRun, tmp_path: Path) -> None:
    python = python_without_metaflow(tmp_path / "venv")

    async def scenario() -> None:
        client = SpinlensClient(fault_run.folder, python=str(python))
        await client.start()
        try:
            uri = client.open(fault_run.file, fault_run.file.read_text())
            reply = await client.command(SPIN, {"uri": uri, "step": "work"})
            assert reply["status"] == "failed"
            failed = client.spin_events(reply["spinId"])[-1]
            assert failed["event"] == "failed" and failed["code"] == "metaflow-missing"
            assert f"Metaflow is not installed in {python}" in failed["error"]
            assert "-m pip install metaflow" in failed["error"]
            # The server is still there, and says the same again.
            again = await client.command(SPIN, {"uri": uri, "step": "work"})
            assert again["status"] == "failed" and "Metaflow is not installed" in again["error"]
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
