"""The first click after opening a flow file: prewarmed, not prewarmed, and Metaflow.

    python bench/prewarm_bench.py [--rounds N] [--rows N] [--out bench/RESULTS.md]

In a temporary folder it runs bench/flows/bench_flow.py once (``start`` makes a
``rows`` x 10 float64 DataFrame, 160 MB by default), then in every round, in a
rotating order, times the first spin of the foreach child ``tune`` (index 1)
right after a fresh editor server opens the file, through a real LSP client
(tests/lsp/lspclient.py) as the editor drives it:

* not prewarmed (``prewarmMemoryMB`` 0; the foreach child chosen with
  ``setTask`` first, in every mode): from the spin request to the first
  ``artifact`` event; the server starts the kernel, which loads the inputs;
* prewarmed: the client sends ``spinlens.server.prewarm`` for the step's line as
  the extension does when the file opens (its time to done is reported apart:
  the user reads the code meanwhile), then the same spin request;
* Metaflow: ``python bench_flow.py spin RUN/tune/TASK``, wall time to exit (its
  artifacts exist only then).

Writes the "## Prewarm: the first click" section of the results file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from results_file import machine, write_section

from spinlens.engine.metaflow_env import ensure_user
from spinlens.lsp.methods import PREWARM, SET_TASK

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "lsp"))

from lspclient import SPIN, SpinlensClient  # noqa: E402

SECTION = "## Prewarm: the first click"
FLOW_SOURCE = HERE / "flows" / "bench_flow.py"
MODES = ("not prewarmed", "prewarmed", "Metaflow spin")
FIND_TUNE = """
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(f"BenchFlow/{sys.argv[1]}")
print(json.dumps({t["_foreach_stack"].data[-1].index: t.id for t in run["tune"]}))
"""


def _flow(folder: Path, rows: int) -> Path:
    text = FLOW_SOURCE.read_text().replace("ROWS = 2_000_000", f"ROWS = {rows:_}")
    path = folder / "bench_flow.py"
    path.write_text(text)
    return path


def _python(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, timeout=900
    )


async def _first_click(folder: Path, flow: Path, prewarm: bool) -> dict[str, float]:
    """One fresh server: (prewarm,) spin; the times in ms."""
    client = SpinlensClient(folder)
    await client.start({"prewarmMemoryMB": 2048 if prewarm else 0})
    times: dict[str, float] = {}
    try:
        text = flow.read_text()
        uri = client.open(flow, text)
        line = text.splitlines().index("    def tune(self):")
        # The foreach child chosen (Choose foreach child): what spins and prewarms use.
        await client.command(SET_TASK, {"uri": uri, "step": "tune", "index": 1})
        if prewarm:
            started = time.perf_counter()
            reply = await client.command(PREWARM, {"uri": uri, "line": line})
            times["prewarm"] = (time.perf_counter() - started) * 1000
            if reply["status"] != "done":
                sys.exit(f"prewarm: {reply}\n{client.stderr_text}")
        sent = time.perf_counter()
        request = f"bench-{time.monotonic_ns()}"
        spin = {"uri": uri, "step": "tune", "requestId": request}
        reply = await client.command(SPIN, spin)
        replied = time.perf_counter()
        if reply["status"] != "ok":
            sys.exit(f"spin: {reply}\n{client.stderr_text}")
        first = next(
            r.at
            for r in client.events
            if r.params["requestId"] == request and r.params["event"]["event"] == "artifact"
        )
        started_event = next(
            r.params["event"]
            for r in client.events
            if r.params["requestId"] == request and r.params["event"]["event"] == "started"
        )
        if started_event["warm"] != prewarm:
            sys.exit(f"expected warm={prewarm}: {started_event}")
        times["first artifact"] = (first - sent) * 1000
        times["reply"] = (replied - sent) * 1000
    finally:
        await client.stop()
    return times


def _metaflow_spin(folder: Path, run_id: str, task: str) -> float:
    started = time.perf_counter()
    done = _python(folder, "bench_flow.py", "spin", f"{run_id}/tune/{task}")
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        sys.exit(f"metaflow spin failed:\n{done.stdout}\n{done.stderr}")
    return wall


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ms" if values else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    folder = Path(tempfile.mkdtemp(prefix="spinlens-prewarm-bench-"))
    os.environ.setdefault("METAFLOW_CLIENT_CACHE_PATH", str(folder / "client-cache"))
    try:
        flow = _flow(folder, args.rows)
        started = time.perf_counter()
        done = _python(folder, "bench_flow.py", "run")
        run_s = time.perf_counter() - started
        found = re.search(r"run-id (\w+)", done.stdout + done.stderr)
        if done.returncode != 0 or not found:
            sys.exit(f"The flow run failed:\n{done.stdout}\n{done.stderr}")
        run_id = found.group(1)
        tasks = json.loads(_python(folder, "-c", FIND_TUNE, run_id).stdout.strip().splitlines()[-1])
        task = tasks["1"]
        _metaflow_spin(folder, run_id, task)  # untimed: warms the client and page caches
        samples: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        for round_ in range(args.rounds):
            for mode in MODES[round_ % 3 :] + MODES[: round_ % 3]:
                if mode == "Metaflow spin":
                    wall = _metaflow_spin(folder, run_id, task)
                    samples[mode].append({"first artifact": wall, "reply": wall})
                else:
                    result = asyncio.run(_first_click(folder, flow, mode == "prewarmed"))
                    samples[mode].append(result)
                print(mode, samples[mode][-1], flush=True)
        section = report(samples, args, run_s)
        print(section)
        write_section(args.out, SECTION, section)
        print(f"\nwrote {args.out}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(samples: dict[str, list[dict[str, Any]]], args: argparse.Namespace, run_s: float) -> str:
    def col(mode: str, key: str) -> list[float]:
        return [s[key] for s in samples[mode] if key in s]

    rows = [
        f"| {mode} | {_median(col(mode, 'first artifact'))} | {_median(col(mode, 'reply'))} "
        f"| {_median(col(mode, 'prewarm'))} |"
        for mode in MODES
    ]
    cold = statistics.median(col("not prewarmed", "first artifact"))
    warm = statistics.median(col("prewarmed", "first artifact"))
    metaflow = statistics.median(col("Metaflow spin", "first artifact"))
    load = os.getloadavg()[0]
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `bench/prewarm_bench.py --rounds {args.rounds} --rows {args.rows:,}` on "
            f"{time.strftime('%Y-%m-%d %H:%M')}. The first spin of `tune` (foreach child, "
            f"index 1) of `bench/flows/bench_flow.py` ({args.rows:,} x 10 float64 input; the "
            f"flow run took {run_s:.1f} s) right after a fresh `spinlens lsp` opens the file, "
            "through a real LSP client: from the spin request to the first `artifact` event "
            "and to the reply. Prewarmed: the client first sends `spinlens.server.prewarm` for "
            "the step's line, as the extension does when the file opens or the cursor rests "
            "(its time to done in the last column: the user reads the code meanwhile). "
            "Metaflow: `python bench_flow.py spin RUN/tune/TASK`, wall time (artifacts exist "
            f"only at its end). Medians of {args.rounds} rounds, modes in rotating order; "
            f"1-minute load average at the end {load:.1f}.",
            "",
            *machine(("metaflow", "pygls", "pandas")),
            "",
            "| | click → first artifact | click → reply | prewarm → done |",
            "|---|---:|---:|---:|",
            *rows,
            "",
            f"Prewarmed, the first click reaches its first artifact **{cold / warm:.1f}x** "
            f"sooner than without prewarm and **{metaflow / warm:.1f}x** sooner than "
            "`python flow.py spin` finishes.",
        ]
    )


if __name__ == "__main__":
    main()
