"""Foreach children on a real foreach run: ``listTasks`` (split values and indexes),
``setTask`` (the child a step's spins use, shown by its lens), then a spin of it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from lsprotocol import types

from lspclient import SPIN, SpinlensClient
from spinlens.lsp.methods import LIST_TASKS, SET_TASK

ALPHA_FLOW = """\
from metaflow import FlowSpec, step


class AlphaFlow(FlowSpec):
    @step
    def start(self):
        self.alphas = [0.1, 0.01, 0.001, "x" * 500]
        self.next(self.tune, foreach="alphas")

    @step
    def tune(self):
        self.alpha = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.count = len(list(inputs))
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AlphaFlow()
"""
TUNE_LINE = 9  # 0-based line of tune's @step


def child_lenses(lenses: list[types.CodeLens]) -> list[tuple[int, str, list[object]]]:
    return [
        (lens.range.start.line, lens.command.title, list(lens.command.arguments or []))
        for lens in lenses
        if lens.command is not None and lens.command.command == "spinlens.chooseTask"
    ]


def test_foreach_children_listed_chosen_and_spun(tmp_path: Path) -> None:
    flow_file = tmp_path / "alpha_flow.py"
    flow_file.write_text(ALPHA_FLOW)
    completed = subprocess.run(
        [sys.executable, flow_file.name, "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        try:
            uri = client.open(flow_file, ALPHA_FLOW)
            # Only the step inside the foreach has a child lens.
            assert child_lenses(await client.lenses(uri)) == [
                (TUNE_LINE, "foreach child: index 0", [uri, "tune", "AlphaFlow"])
            ]

            listed = await client.command(LIST_TASKS, {"uri": uri, "step": "tune"})
            run_id = listed["runId"]
            assert run_id.isdigit()
            assert (listed["chosen"], listed["truncated"]) == (None, False)
            tasks = listed["tasks"]
            assert [(t["index"], t["var"], t["value"]) for t in tasks[:3]] == [
                (0, "alphas", "0.1"),
                (1, "alphas", "0.01"),
                (2, "alphas", "0.001"),
            ]
            # A long value comes as a short repr (Metaflow cuts it first, here).
            assert tasks[3]["index"] == 3 and tasks[3]["value"].startswith("xxx")
            assert len(tasks[3]["value"]) <= 80
            assert len({t["taskId"] for t in tasks}) == 4
            # A step outside a foreach: one task, no index.
            start = await client.command(LIST_TASKS, {"uri": uri, "step": "start"})
            assert [(t["index"], t["value"]) for t in start["tasks"]] == [(None, None)]

            chose = {"uri": uri, "step": "tune", "flow": "AlphaFlow", "index": 2}
            assert await client.command(SET_TASK, chose) == {"index": 2}
            assert child_lenses(await client.lenses(uri))[0][1] == "foreach child: index 2"
            listed = await client.command(LIST_TASKS, {"uri": uri, "step": "tune"})
            assert listed["chosen"] == 2

            # A spin that names no index takes the choice (as the lens's spin does).
            spun = await client.command(SPIN, {"uri": uri, "step": "tune", "flow": "AlphaFlow"})
            assert spun["status"] == "ok", (spun, client.stderr_text)
            events = client.spin_events(spun["spinId"])
            started = next(e for e in events if e["event"] == "started")
            assert (started["source"]["run_id"], started["source"]["index"]) == (run_id, 2)
            alpha = next(e for e in events if e["event"] == "artifact" and e["name"] == "alpha")
            assert alpha["summary"] == "0.001"
            # An index in the request wins.
            other = await client.command(SPIN, {"uri": uri, "step": "tune", "index": 1})
            assert other["status"] == "ok"
            started = next(
                e for e in client.spin_events(other["spinId"]) if e["event"] == "started"
            )
            assert started["source"]["index"] == 1

            # Clearing the choice: index 0 again.
            clear = {"uri": uri, "step": "tune", "index": None}
            assert await client.command(SET_TASK, clear) == {"index": None}
            assert child_lenses(await client.lenses(uri))[0][1] == "foreach child: index 0"
        finally:
            await client.stop()

    asyncio.run(scenario())
