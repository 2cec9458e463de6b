"""The editor server (``spinlens lsp``) as the editor sees it: a real client over stdio.

    python bench/lsp_bench.py [--rounds N] [--out bench/RESULTS.md]

* ``textDocument/codeLens`` on a generated 3,000-line flow file: the median of
  20 requests on unchanged text (the analysis is cached), of 20 requests each
  right after an unsaved edit in a step's body (that step is re-parsed alone)
  and of 20 after an edit between steps (a fresh analysis of the whole file);
* a spin through ``workspace/executeCommand`` ``spinlens.server.spin`` on a warm
  kernel (after one untimed spin), the buffer edited before each round: time
  from sending the request to the first ``spinlens/event``, to ``finished``, and
  to the reply.

Prints a table and writes the "## Editor server" section of the results file.
The client is the tests' (tests/lsp/lspclient.py, pygls' BaseLanguageClient).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

from results_file import machine, write_section

from spinlens.engine.metaflow_env import ensure_user
from spinlens.flow_analysis import analyze_source

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "lsp"))

from lspclient import SPIN, SpinlensClient  # noqa: E402

SECTION = "## Editor server"
LENS_TARGET_MS = 30.0
FIRST_EVENT_TARGET_MS = 300.0
LENS_LINES = 3000
LENS_REQUESTS = 20

SPIN_FLOW = """\
from metaflow import FlowSpec, step


class LspBenchFlow(FlowSpec):
    @step
    def start(self):
        self.values = list(range(100_000))
        self.next(self.work)

    @step
    def work(self):
        factor = 1
        self.total = sum(v * factor for v in self.values[:1000])
        print("factor", factor, "total", self.total)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    LspBenchFlow()
"""
FACTOR_LINE = "        factor = 1\n"


def big_flow(lines: int) -> str:
    """A flow file of about ``lines`` lines: many steps with realistic bodies."""
    head = ["from metaflow import FlowSpec, Parameter, card, retry, step", "", ""]
    head += ["class BigFlow(FlowSpec):", '    alpha = Parameter("alpha", default=0.5)', ""]
    body: list[str] = []
    count = 0
    while len(head) + len(body) < lines - 4:
        name = "start" if count == 0 else f"step_{count}"
        following = f"step_{count + 1}"
        body += [
            "    @card" if count % 3 == 0 else "    @retry(times=2)",
            "    @step",
            f"    def {name}(self):",
            f'        """Step {count}: transform the data a little."""',
            "        rows = [dict(i=i, v=i * self.alpha) for i in range(100)]",
            "        total = 0.0",
            "        for row in rows:",
            "            if row['i'] % 2:",
            "                total += row['v']",
            "            else:",
            "                total -= row['v'] / 2",
            "        def helper(x):",
            "            return x * 2",
            f"        self.result_{count} = helper(total)",
            "        self.names = sorted({str(r['i']) for r in rows})",
            "        try:",
            "            self.ratio = total / len(rows)",
            "        except ZeroDivisionError:",
            "            self.ratio = None",
            "        with open(__file__) as handle:",
            "            self.size = len(handle.read())",
            "        self.mapping = {k: v for k, v in zip(self.names, range(10))}",
            "        self.tags = [t.upper() for t in ('a', 'b', 'c') if t]",
            f"        self.next(self.{following})",
            "",
        ]
        count += 1
    body += ["    @step", f"    def step_{count}(self):", "        pass", ""]
    text = "\n".join(head + body)
    return text.replace(f"self.next(self.step_{count})", "self.next(self.end)").replace(
        f"def step_{count}(self)", "def end(self)"
    )


@dataclass
class Stats:
    label: str
    samples: list[float]  # seconds
    target_ms: float | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    def row(self) -> str:
        ms = [s * 1000 for s in self.samples]
        target, verdict = "", ""
        if self.target_ms is not None:
            target = f"≤ {self.target_ms:.0f} ms"
            verdict = "met" if self.median_ms <= self.target_ms else "missed"
        return (
            f"| {self.label} | {fmt(self.median_ms)} | {fmt(min(ms))} | {fmt(max(ms))} | "
            f"{target} | {verdict} |"
        )


def fmt(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms >= 100 else f"{ms:.1f} ms"


async def lens_bench(folder: Path) -> tuple[list[Stats], int, int]:
    text = big_flow(LENS_LINES)
    path = folder / "big_flow.py"
    path.write_text(text)
    lines = text.split("\n")
    middle = lines.index(f"    def step_{len(lines) // 50}(self):")  # a step mid-file
    client = SpinlensClient(folder)
    await client.start()
    try:
        uri = client.open(path, text)
        lenses = await client.lenses(uri)  # warm-up, untimed
        cached = [await timed(client.lenses(uri)) for _ in range(LENS_REQUESTS)]
        in_body = []
        for i in range(LENS_REQUESTS):
            # A new statement typed in a step's body (what most edits are).
            client.insert(uri, middle + 1, f"        probe_{i} = {i}\n")
            in_body.append(await timed(client.lenses(uri)))
        between = []
        for i in range(LENS_REQUESTS):
            # A line between two steps: the whole file is analysed again.
            client.insert(uri, middle - 2, f"    # note {i}\n")
            between.append(await timed(client.lenses(uri)))
    finally:
        await client.stop()
    count = f"{len(lines):,}-line file"
    return (
        [
            Stats(f"codeLens, {count}, unchanged text", cached, LENS_TARGET_MS),
            Stats(f"codeLens, {count}, after an edit in a step's body", in_body, LENS_TARGET_MS),
            Stats(f"codeLens, {count}, after an edit between steps", between),
            Stats("(in-process `analyze_source` of such a text)", parse_times(text)),
        ],
        len(lines),
        len(lenses),
    )


async def timed(request: Awaitable[object]) -> float:
    started = time.perf_counter()
    await request
    return time.perf_counter() - started


def parse_times(text: str) -> list[float]:
    """What a fresh analysis costs without the server: the floor of the after-edit case."""
    times = []
    for i in range(LENS_REQUESTS):
        edited = text.replace("\n\n", f"\n    # edit {i}\n\n", 1)  # new text: no cache hit
        started = time.perf_counter()
        analyze_source(edited, "big_flow.py")
        times.append(time.perf_counter() - started)
    return times


async def spin_bench(folder: Path, rounds: int) -> list[Stats]:
    flow_file = folder / "lsp_bench_flow.py"
    flow_file.write_text(SPIN_FLOW)
    subprocess.run(
        [sys.executable, flow_file.name, "run"], cwd=folder, check=True, capture_output=True
    )
    client = SpinlensClient(folder)
    await client.start()
    try:
        uri = client.open(flow_file, SPIN_FLOW)
        first = await client.command(SPIN, {"uri": uri, "step": "work"})  # cold, untimed
        assert first["status"] == "ok", first
        to_first: list[float] = []
        to_finished: list[float] = []
        to_reply: list[float] = []
        for i in range(rounds):
            factor = i + 2
            client.replace(uri, SPIN_FLOW.replace(FACTOR_LINE, f"        factor = {factor}\n"))
            await asyncio.sleep(0.05)  # the edit reaches the server as it would while typing
            sent = time.perf_counter()
            reply = await client.command(SPIN, {"uri": uri, "step": "work"})
            replied = time.perf_counter()
            assert reply["status"] == "ok", reply
            received = [r for r in client.events if r.params["event"]["spin_id"] == reply["spinId"]]
            logs = "".join(r.params["event"].get("text", "") for r in received)
            assert f"factor {factor} " in logs, "the spin did not run the edited buffer"
            assert any(r.params["event"].get("warm") for r in received), "the kernel was cold"
            finished = next(r for r in received if r.params["event"]["event"] == "finished")
            to_first.append(received[0].at - sent)
            to_finished.append(finished.at - sent)
            to_reply.append(replied - sent)
    finally:
        await client.stop()
    return [
        Stats("spin → first `spinlens/event` (warm)", to_first, FIRST_EVENT_TARGET_MS),
        Stats("spin → `finished` event (warm)", to_finished),
        Stats("spin → executeCommand reply (warm)", to_reply),
    ]


def report(stats: list[Stats], rounds: int, lines: int, lenses: int) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `bench/lsp_bench.py --rounds {rounds}` on "
            f"{time.strftime('%Y-%m-%d %H:%M')}. A real client (pygls `BaseLanguageClient`) "
            "drives `spinlens lsp` over stdio; times are taken in the client, so they include "
            "JSON-RPC and the pipes. codeLens: a generated flow file of "
            f"{lines:,} lines ({lenses} lenses), {LENS_REQUESTS} requests on unchanged text "
            f"(`flow_analysis` caches the analysis of a text), {LENS_REQUESTS} each right "
            "after an unsaved edit inside a step's body (the server re-parses that step "
            "alone: `lsp/step_index.py`) and "
            f"{LENS_REQUESTS} each after an edit between two steps, which pays for a fresh "
            "`ast.parse` of the whole file (its in-process cost is the next row). Spin: a "
            "small flow's `work` step on a warm kernel (after one untimed spin), the buffer "
            f"edited before each of {rounds} rounds (checked in the step's output).",
            "",
            *machine(("pygls", "lsprotocol", "metaflow")),
            "",
            "| | median | min | max | target | |",
            "|---|---:|---:|---:|---:|---|",
            *[s.row() for s in stats],
        ]
    )


async def run(rounds: int) -> tuple[list[Stats], int, int]:
    folder = Path(tempfile.mkdtemp(prefix="spinlens-lsp-bench-"))
    try:
        lens_stats, lines, lenses = await lens_bench(folder)
        spin_stats = await spin_bench(folder, rounds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return lens_stats + spin_stats, lines, lenses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    os.environ.setdefault("METAFLOW_CLIENT_CACHE_PATH", tempfile.mkdtemp(prefix="mf-cache-"))
    stats, lines, lenses = asyncio.run(run(args.rounds))
    section = report(stats, args.rounds, lines, lenses)
    print(section)
    write_section(args.out, SECTION, section)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
