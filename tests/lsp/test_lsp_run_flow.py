"""A flow that never ran: its "no run yet" lens, its Parameters, ``runFlow`` running it
through Metaflow into the folder's datastore, then a spin from that run."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

from flowruns import FLOWS
from lspclient import CANCEL, SPIN, SpinlensClient
from spinlens.lsp.methods import FLOW_PARAMETERS, RUN_FLOW, RUN_LOG

NO_RUN = "spinlens.runFlow"
SLOW_START = "        self.numbers = list(range(5))\n"


def titles(lenses: list[types.CodeLens], command: str) -> list[tuple[int, str]]:
    return [
        (lens.range.start.line, lens.command.title)
        for lens in lenses
        if lens.command is not None and lens.command.command == command
    ]


def listen(client: SpinlensClient, received: list[Any]) -> None:
    @client.client.feature(RUN_LOG)
    def on_run_log(params: Any) -> None:
        received.append(params)


def run_logs(received: list[Any], request_id: str) -> str:
    return "".join(p.text for p in received if p.requestId == request_id)


def test_run_flow_then_spin(tmp_path: Path) -> None:
    shutil.copy(FLOWS / "linear_flow.py", tmp_path / "flow.py")
    flow_file = tmp_path / "flow.py"

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        received: list[Any] = []
        listen(client, received)
        await client.start()
        try:
            uri = client.open(flow_file, flow_file.read_text())
            # The first lens request starts the check; its answer refreshes the lenses.
            await client.lenses(uri)
            await client.wait_for(lambda: client.refreshes >= 1, timeout=120)
            assert titles(await client.lenses(uri), NO_RUN) == [
                (8, "no run yet: Run the flow"),
                (14, "no run yet: Run the flow"),
                (22, "no run yet: Run the flow"),
            ]
            # A spin says why it cannot run.
            refused = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert refused["status"] == "failed" and "no successful run" in refused["error"]

            parameters = await client.command(FLOW_PARAMETERS, {"uri": uri})
            assert parameters == {
                "flow": "LinearFlow",
                "parameters": [{"name": "scale", "default": "2", "help": None, "required": False}],
            }

            asked = time.perf_counter()
            ran = await client.command(
                RUN_FLOW, {"uri": uri, "parameters": {"scale": "3"}, "requestId": "run-1"}
            )
            print(f"runFlow took {time.perf_counter() - asked:.1f} s")
            assert ran["status"] == "ok", (ran, run_logs(received, "run-1"), client.stderr_text)
            run_id = ran["runId"]
            assert (tmp_path / ".metaflow" / "LinearFlow" / run_id).is_dir()
            log = run_logs(received, "run-1")
            assert "Workflow starting" in log and "Done!" in log
            assert all(p.uri == uri for p in received)
            begun = [r.params for r in client.progress if r.params.value.get("kind") == "begin"]
            token = next(p.token for p in begun if p.value["title"] == "Running LinearFlow")
            values = [r.params.value for r in client.progress if r.params.token == token]
            assert values[0]["cancellable"] is True
            assert values[-1] == {"kind": "end", "message": f"ok: run {run_id}"}
            # The lens goes at once (no second check needed).
            assert titles(await client.lenses(uri), NO_RUN) == []

            # Then a spin runs on that run, with the Parameter the run was given.
            spun = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert spun["status"] == "ok", (spun, client.stderr_text)
            events = client.spin_events(spun["spinId"])
            started = next(e for e in events if e["event"] == "started")
            assert started["source"]["run_id"] == run_id
            text = "".join(e["text"] for e in events if e["event"] == "log")
            assert "scaled [0, 3, 6, 9, 12]" in text
        finally:
            await client.stop()

    asyncio.run(scenario())


def test_run_flow_is_cancelled_by_its_request_id(tmp_path: Path) -> None:
    text = (FLOWS / "linear_flow.py").read_text()
    assert SLOW_START in text
    flow_file = tmp_path / "flow.py"
    flow_file.write_text(
        text.replace(
            SLOW_START,
            SLOW_START + '        print("sleeping", flush=True)\n'
            "        import time; time.sleep(120)\n",
        )
    )

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        received: list[Any] = []
        listen(client, received)
        await client.start()
        try:
            uri = client.open(flow_file, flow_file.read_text())
            pending = asyncio.ensure_future(
                client.command(RUN_FLOW, {"uri": uri, "requestId": "run-2"})
            )
            await client.wait_for(lambda: "sleeping" in run_logs(received, "run-2"), timeout=120)
            # A second run of the same file is refused while the first goes on.
            second = await client.command(RUN_FLOW, {"uri": uri, "requestId": "run-3"})
            assert second["status"] == "failed" and "already under way" in second["error"]
            assert await client.command(CANCEL, {"uri": uri, "requestId": "run-2"}) == {
                "cancelled": True
            }
            reply = await pending
            assert reply["status"] == "cancelled"
            assert await client.command(CANCEL, {"uri": uri, "requestId": "run-2"}) == {
                "cancelled": False
            }
        finally:
            await client.stop()

    asyncio.run(scenario())
