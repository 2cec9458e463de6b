"""How warm overhead, cold load and kernel memory grow with the inputs (local datastore).

    python bench/scale_bench.py [--sizes 16,160] [--artifacts 10,1000] [--widths 10,50]
                                [--rounds N] [--out bench/RESULTS.md]

One dimension at a time from a base case (a 16 MB DataFrame, 10 small
artifacts, a foreach of 10): for each case a generated flow runs once in a
temporary folder (``start`` makes the frame and the artifacts, a foreach
``work`` passes them on, ``join`` sums the children), then a ``SpinSession``
spins ``join`` (its parents: every foreach task, each with every artifact,
loaded once per content key): the first spin's ``prepare_s`` is the cold load,
then ``rounds`` spins of freshly edited code give the warm overhead (wall -
the step's own time), and the kernel's VmRSS follows. Writes the "## Scale"
section of the results file. The issue's full grid (1.6 GB, 2,000 tasks, S3)
takes ``--sizes 16,160,1600 --widths 10,2000``: hours of Metaflow runs on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from results_file import machine, write_section

from spinlens import SpinSession
from spinlens.engine.metaflow_env import ensure_user

HERE = Path(__file__).resolve().parent
SECTION = "## Scale"

FLOW = """\
import numpy as np
import pandas as pd
from metaflow import FlowSpec, step

SIZE_MB = {size}
ARTIFACTS = {artifacts}
WIDTH = {width}


class ScaleFlow(FlowSpec):
    @step
    def start(self):
        rows = SIZE_MB * 2**20 // 80
        data = np.random.default_rng(0).standard_normal((rows, 10))
        self.df = pd.DataFrame(data, columns=[f"c{{i}}" for i in range(10)])
        for i in range(ARTIFACTS):
            setattr(self, f"a{{i}}", i)
        self.items = list(range(WIDTH))
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        SCALE = 1.0
        self.total = sum(i.value for i in inputs) * SCALE
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ScaleFlow()
"""


@dataclass
class Case:
    label: str
    size: int
    artifacts: int
    width: int
    run_s: float = 0.0
    cold_s: float = 0.0
    warm_ms: float = 0.0
    rss_mib: float = 0.0


def _rss_mib(pid: int | None) -> float:
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(case: Case, rounds: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spinlens-scale-bench-"))
    try:
        flow = folder / "scale_flow.py"
        text = FLOW.format(size=case.size, artifacts=case.artifacts, width=case.width)
        flow.write_text(text)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, flow.name, "run", "--max-workers", "4"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=7200,
        )
        case.run_s = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{case.label}: the run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        with SpinSession(flow, keep_history=0) as session:
            first = session.spin("join")
            if not first.ok:
                sys.exit(f"{case.label}: {first.error}")
            case.cold_s = first.timings["prepare_s"]
            overheads = []
            for n in range(rounds):
                source = text.replace("SCALE = 1.0", f"SCALE = {2.0 + n}")
                began = time.perf_counter()
                result = session.spin("join", source=source)
                wall = time.perf_counter() - began
                if not result.ok or result.artifacts["total"] != sum(
                    2 * i for i in range(case.width)
                ) * (2.0 + n):
                    sys.exit(f"{case.label}: the edited code did not run: {result.error}")
                overheads.append((wall - result.timings["step_s"]) * 1000)
            case.warm_ms = statistics.median(overheads)
            case.rss_mib = _rss_mib(session.kernel_pid)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(case, flush=True)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_ints, default=[16, 160])
    parser.add_argument("--artifacts", type=_ints, default=[10, 1000])
    parser.add_argument("--widths", type=_ints, default=[10, 50])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    base = (args.sizes[0], args.artifacts[0], args.widths[0])
    cases = [Case("base", *base)]
    cases += [Case(f"input {s} MB", s, base[1], base[2]) for s in args.sizes[1:]]
    cases += [Case(f"{a:,} artifacts", base[0], a, base[2]) for a in args.artifacts[1:]]
    cases += [Case(f"join of {w:,}", base[0], base[1], w) for w in args.widths[1:]]
    load_at_start = os.getloadavg()[0]
    for case in cases:
        measure(case, args.rounds)
    section = report(cases, args.rounds, (load_at_start, os.getloadavg()[0]))
    print(section)
    write_section(args.out, SECTION, section)
    print(f"\nwrote {args.out}")


def report(cases: list[Case], rounds: int, loads: tuple[float, float]) -> str:
    rows = [
        f"| {c.label} | {c.size} MB | {c.artifacts:,} | {c.width:,} | {c.run_s:.0f} s "
        f"| {c.cold_s * 1000:,.0f} ms | {c.warm_ms:,.1f} ms | {c.rss_mib:,.0f} MiB |"
        for c in cases
    ]
    command = re.sub(r"\s+", " ", " ".join(sys.argv[1:])).strip()
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `bench/scale_bench.py {command}` on {time.strftime('%Y-%m-%d %H:%M')}, "
            "local datastore. Each row changes one dimension of the base case; the spin is "
            "`join` (every foreach task a parent, each carrying the frame and the artifacts). "
            f"Cold load: the first spin's `prepare_s`; warm overhead: median of {rounds} spins "
            "of edited code, wall - the step's own time; VmRSS: the kernel after them. "
            f"1-minute load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end.",
            "",
            *machine(("metaflow", "numpy", "pandas")),
            "",
            "| case | input | artifacts | join width | flow run | cold load | warm overhead "
            "| kernel VmRSS |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
        ]
    )


if __name__ == "__main__":
    main()
