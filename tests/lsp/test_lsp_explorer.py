"""The runs explorer's commands through a real client and server on real runs:
the workspace's flows, runs (paged), steps, tasks, artifacts, a comparison, and
``spinlens/runsChanged`` once a new run appears; a task compared with a spin of
the server's history (and a folder outside it refused); a past task's cards."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from compat_cases import card_text
from lspclient import SpinlensClient, file_uri
from procs import children, cmdline, still_running
from spinlens import SpinSession
from spinlens.lsp.methods import (
    EXPLORER_ARTIFACTS,
    EXPLORER_CARDS,
    EXPLORER_COMPARE,
    EXPLORER_FLOWS,
    EXPLORER_RUNS,
    EXPLORER_STEPS,
    EXPLORER_TASKS,
    RUNS_CHANGED,
)
from spinlens.wire.events import Finished
from test_client_reader import CARD_FLOW, PARAM_FLOW, run_param_flow


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


def test_compare_a_task_and_a_spin_of_the_servers_history(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    (run_id,) = run_param_flow(folder, 0.5)
    flow = folder / "param_flow.py"
    edited = PARAM_FLOW.replace("self.score = self.alpha * 10", "self.score = self.alpha * 100")
    # Recorded where the server records the folder's spins: its .spinlens.
    with SpinSession(flow, history_dir=folder / ".spinlens") as session:
        result = session.spin("end", source=edited)
    assert result.ok, result.error
    record = next(e.record for e in result.events if isinstance(e, Finished))
    assert record is not None and result.source is not None
    task = f"ParamFlow/{run_id}/end/{result.source.task_id}"
    elsewhere = tmp_path / "elsewhere" / "ParamFlow" / "end" / "x"
    elsewhere.mkdir(parents=True)
    (elsewhere / "manifest.json").write_text("{}")

    async def scenario() -> None:
        client = SpinlensClient(folder)
        await client.start()
        try:
            uri = file_uri(flow)
            compared = await client.command(EXPLORER_COMPARE, {"uri": uri, "a": task, "b": record})
            rows = {a["name"]: a for a in compared["artifacts"]}
            assert rows["score"]["status"] == "changed" and "5 → 50" in rows["score"]["summary"]
            for bad in (
                {"a": task, "b": str(elsewhere)},
                {"a": f"ParamFlow/{run_id}", "b": record},
            ):
                try:
                    await client.command(EXPLORER_COMPARE, {"uri": uri, **bad})
                except Exception as exc:
                    assert "spin record" in str(exc) or "runs (Flow/run)" in str(exc), exc
                else:
                    raise AssertionError(f"{bad} was accepted")
        finally:
            await client.stop()

    asyncio.run(scenario())


def test_cards_of_a_past_task(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "flow.py").write_text(CARD_FLOW.read_text())
    completed = subprocess.run(
        [sys.executable, "flow.py", "run", "--run-id-file", "run-id"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run_id = (folder / "run-id").read_text().strip()

    async def scenario() -> None:
        client = SpinlensClient(folder)
        await client.start()
        try:
            uri = file_uri(folder / "flow.py")
            tasks = await client.command(
                EXPLORER_TASKS, {"uri": uri, "flow": "CardFlow", "run": run_id, "step": "report"}
            )
            pathspec = f"CardFlow/{run_id}/report/{tasks['tasks'][0]['taskId']}"
            found = await client.command(EXPLORER_CARDS, {"uri": uri, "pathspec": pathspec})
            assert found["pathspec"] == pathspec and found["truncated"] is False
            (card,) = found["cards"]
            assert (card["type"], card["id"], card["note"]) == ("blank", None, None)
            assert "Model report" in card_text(card["html"])
            try:
                await client.command(EXPLORER_CARDS, {"uri": uri, "pathspec": "CardFlow/1"})
            except Exception as exc:
                assert "Flow/run/step/task" in str(exc)
            else:
                raise AssertionError("a run pathspec was accepted")
        finally:
            await client.stop()

    asyncio.run(scenario())
