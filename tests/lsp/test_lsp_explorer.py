"""The runs explorer's commands through a real client and server on real runs:
the workspace's flows, runs (paged), steps, tasks, artifacts, a comparison, and
``spinlens/runsChanged`` once a new run appears."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from lspclient import SpinlensClient, file_uri
from procs import children, cmdline, still_running
from spinlens.lsp.methods import (
    EXPLORER_ARTIFACTS,
    EXPLORER_COMPARE,
    EXPLORER_FLOWS,
    EXPLORER_RUNS,
    EXPLORER_STEPS,
    EXPLORER_TASKS,
    RUNS_CHANGED,
)
from test_client_reader import run_param_flow


def readers(server_pid: int) -> list[int]:
    return [p for p in children(server_pid) if "spinlens.client_reader" in cmdline(p)]


def test_explorer_commands_and_runs_changed(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    ids = run_param_flow(folder, 0.5, 0.7)
    (folder / "helpers.py").write_text("def helper():\n    return 1\n")  # not a flow

    async def scenario() -> None:
        client = SpinlensClient(folder)
        changed: list[Any] = []
        client.client.feature(RUNS_CHANGED)(lambda params: changed.append(params))
        await client.start()
        restarted = 0
        try:
            flows = (await client.command(EXPLORER_FLOWS, {}))["flows"]
            uri = file_uri(folder / "param_flow.py")
            assert [(f["flow"], f["uri"]) for f in flows] == [("ParamFlow", uri)]

            page = await client.command(
                EXPLORER_RUNS, {"uri": uri, "flow": "ParamFlow", "limit": 1}
            )
            assert (page["total"], page["more"]) == (2, True)
            run = page["runs"][0]
            assert (run["runId"], run["status"]) == (ids[1], "ok")
            assert run["parameters"]["alpha"] == "0.7"
            rest = await client.command(
                EXPLORER_RUNS, {"uri": uri, "flow": "ParamFlow", "offset": 1, "limit": 1}
            )
            assert [r["runId"] for r in rest["runs"]] == [ids[0]]

            steps = await client.command(
                EXPLORER_STEPS, {"uri": uri, "flow": "ParamFlow", "run": ids[0]}
            )
            assert [s["name"] for s in steps["steps"]] == ["start", "fan", "join", "end"]

            tasks = await client.command(
                EXPLORER_TASKS, {"uri": uri, "flow": "ParamFlow", "run": ids[0], "step": "fan"}
            )
            values = [(t["index"], t["value"]) for t in tasks["tasks"]]
            assert values == [(0, "a"), (1, "b"), (2, "c")]

            end = await client.command(
                EXPLORER_TASKS, {"uri": uri, "flow": "ParamFlow", "run": ids[0], "step": "end"}
            )
            pathspec = f"ParamFlow/{ids[0]}/end/{end['tasks'][0]['taskId']}"
            found = await client.command(EXPLORER_ARTIFACTS, {"uri": uri, "pathspec": pathspec})
            rows = {a["name"]: a for a in found["artifacts"]}
            assert (rows["score"]["type"], rows["score"]["value"]) == ("float", "5.0")

            compared = await client.command(
                EXPLORER_COMPARE,
                {"uri": uri, "a": f"ParamFlow/{ids[0]}", "b": f"ParamFlow/{ids[1]}"},
            )
            assert [(p["name"], p["a"], p["b"]) for p in compared["parameters"]][0] == (
                "alpha",
                "0.5",
                "0.7",
            )
            statuses = {a["name"]: a["status"] for a in compared["artifacts"]}
            assert statuses["end.score"] == "changed"
            assert {m["name"] for m in compared["metrics"]} == {"end.score"}

            # A malformed request is refused; a reader error is a JSON-RPC error.
            for bad in ({"uri": uri, "flow": "ParamFlow", "offset": -1}, {"uri": uri}):
                try:
                    await client.command(EXPLORER_RUNS, bad)
                except Exception as exc:
                    assert "ParamFlow" in str(exc) or "offset" in str(exc) or "flow" in str(exc)
                else:
                    raise AssertionError(f"{bad} was accepted")

            # A new run of a flow the client listed: the server says so.
            assert changed == []
            await asyncio.to_thread(run_param_flow, folder, 0.9)
            await client.wait_for(lambda: changed, timeout=60)
            assert changed[0].flow == "ParamFlow" and changed[0].uri == uri
            again = await client.command(EXPLORER_RUNS, {"uri": uri, "flow": "ParamFlow"})
            assert again["total"] == 3

            # One reader for the folder; killed, the next request starts another.
            (reader,) = readers(client.pid)
            os.kill(reader, signal.SIGKILL)
            await client.wait_for(lambda: reader not in readers(client.pid))
            after = await client.command(EXPLORER_RUNS, {"uri": uri, "flow": "ParamFlow"})
            assert after["total"] == 3
            (restarted,) = readers(client.pid)
            assert restarted != reader
        finally:
            await client.stop()
        # The server's shutdown ends its readers (0: the test failed before).
        assert restarted == 0 or still_running({restarted}) == set()

    asyncio.run(scenario())
