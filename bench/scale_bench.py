"""How warm overhead, cold load and kernel memory grow with the inputs, local and S3.

    python bench/scale_bench.py [--sizes 16,160] [--artifacts 10,1000] [--widths 10,50]
                                [--datastores local,s3] [--s3-widths 50] [--max-workers 4]
                                [--rounds N] [--notes FILE] [--out bench/RESULTS.md]

One dimension at a time from a base case (the first of each list: a 16 MB
DataFrame, 10 small artifacts, a foreach of 10): for each case a generated flow
runs once in a temporary folder (``start`` makes the frame and the artifacts, a
foreach ``work`` passes them on, ``join`` sums the children), then a
``SpinSession`` spins ``join`` (its parents: every foreach task, each with every
artifact, loaded once per content key): the first spin's ``prepare_s`` is the
cold load (with an empty client cache of its own, so no earlier case's blobs
help), then ``rounds`` spins of freshly edited code give the warm overhead
(wall - the step's own time), and the kernel's VmRSS and peak (VmHWM) follow.
Each row also gives the Metaflow run's time and its largest process's peak RSS.

With ``s3`` in ``--datastores``, the base case and each join width (or those
of ``--s3-widths``) run again with ``--datastore s3`` against moto's server on 127.0.0.1
(tests/python/s3server.py, as tests/python/test_s3.py starts it), and the
kernel reads the inputs from there. Cases run cheapest first (the widest
joins last); the table keeps the order above. Writes the "## Scale" section of the
results file after every case; the analysis paragraph under the table comes
from ``--notes FILE``, and without it the section's last one (the paragraph
starting "Written by hand") is kept. The issue's full grid is ``--sizes
16,160,1600 --widths 10,2000 --datastores local,s3``: on 2 cores Metaflow's local
run of 2,000 tasks took 19 min, and against moto a task took 4x as long.
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from results_file import machine, write_section

from spinlens import SpinSession
from spinlens.engine.metaflow_env import ensure_user

if TYPE_CHECKING:
    from s3server import S3Server

HERE = Path(__file__).resolve().parent
SECTION = "## Scale"
NOTES_MARK = "Written by hand"

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
        # copy=False: the frame is a view of `data`, so the step holds the bytes
        # once (pandas 3 copies an array by default); Metaflow's pickle and gzip
        # of it are the run's own cost.
        self.df = pd.DataFrame(data, columns=[f"c{{i}}" for i in range(10)], copy=False)
        del data
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

# Runs the flow as its child and prints, last on stderr, the largest peak RSS
# (KiB) of any process below it: Metaflow's runtime waits for every task.
_PEAK = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class Case:
    label: str
    size: int
    artifacts: int
    width: int
    datastore: str = "local"
    run_s: float = 0.0
    run_peak_mib: float = 0.0
    cold_s: float = 0.0
    warm_ms: float = 0.0
    rss_mib: float = 0.0
    peak_mib: float = 0.0

    @property
    def cost(self) -> float:
        """Rough minutes of Metaflow run: one process per foreach task (slower
        against moto), and the frame's pickle and gzip."""
        return self.width * (1.7 if self.datastore == "s3" else 1.0) + self.size / 20


def _status_mib(pid: int | None, field: str) -> float:
    """A /proc/PID/status figure (VmRSS, VmHWM) in MiB; 0 if the process is gone."""
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def _s3_server() -> Iterator[S3Server]:
    """moto's server on loopback, started by the tests' own helper."""
    sys.path.insert(0, str(HERE.parent / "tests" / "python"))
    from s3server import start_server  # needs the dev extras (moto, pytest)

    folder = Path(tempfile.mkdtemp(prefix="spinlens-scale-s3-"))
    server = start_server(folder)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _env(folder: Path, server: S3Server | None) -> dict[str, str]:
    """The run's and the kernel's environment: a client cache of the case's own,
    and for S3 nothing but the test server (a developer's METAFLOW_*/AWS_*
    settings could send Metaflow elsewhere)."""
    env = dict(os.environ)
    if server is not None:
        env = {k: v for k, v in env.items() if not k.startswith(("METAFLOW_", "AWS_"))}
        home = folder / "metaflow-home"
        home.mkdir()
        env.update(server.metaflow_env(home))
    env["METAFLOW_CLIENT_CACHE_PATH"] = str(folder / "client-cache")
    return env


def _run_flow(case: Case, folder: Path, env: dict[str, str], max_workers: int) -> None:
    command = [sys.executable, "-c", _PEAK, sys.executable, "scale_flow.py"]
    if case.datastore != "local":
        command += ["--datastore", case.datastore]
    command += ["run", "--max-workers", str(max_workers), "--max-num-splits", str(case.width)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    case.run_s = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{case.label}: the run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    case.run_peak_mib = int(done.stderr.strip().splitlines()[-1]) / 1024


def measure(case: Case, rounds: int, max_workers: int, server: S3Server | None) -> None:
    folder = Path(tempfile.mkdtemp(prefix="spinlens-scale-bench-"))
    try:
        flow = folder / "scale_flow.py"
        text = FLOW.format(size=case.size, artifacts=case.artifacts, width=case.width)
        flow.write_text(text)
        env = _env(folder, server)
        _run_flow(case, folder, env, max_workers)
        with SpinSession(flow, env=env, keep_history=0) as session:
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
            case.rss_mib = _status_mib(session.kernel_pid, "VmRSS")
            case.peak_mib = _status_mib(session.kernel_pid, "VmHWM")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(case, flush=True)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _names(text: str) -> list[str]:
    names = [part for part in text.split(",") if part]
    unknown = set(names) - {"local", "s3"}
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown datastore(s): {', '.join(sorted(unknown))}")
    return names


def cases_for(args: argparse.Namespace) -> list[Case]:
    base = (args.sizes[0], args.artifacts[0], args.widths[0])
    cases: list[Case] = []
    if "local" in args.datastores:
        cases.append(Case("base", *base))
        cases += [Case(f"input {s:,} MB", s, base[1], base[2]) for s in args.sizes[1:]]
        cases += [Case(f"{a:,} artifacts", base[0], a, base[2]) for a in args.artifacts[1:]]
        cases += [Case(f"join of {w:,}", base[0], base[1], w) for w in args.widths[1:]]
    if "s3" in args.datastores:  # the issue asks S3 for the join widths
        widths = args.widths[1:] if args.s3_widths is None else args.s3_widths
        cases.append(Case("S3 base", *base, datastore="s3"))
        cases += [Case(f"S3 join of {w:,}", *base[:2], w, datastore="s3") for w in widths]
    return cases


def kept_notes(path: Path) -> str:
    """The hand-written analysis under the section's table, kept across reruns."""
    if not path.exists():
        return ""
    match = re.search(rf"^{re.escape(SECTION)}\n(.*?)(?=^## |\Z)", path.read_text(), re.M | re.S)
    if not match:
        return ""
    start = match[1].find(NOTES_MARK)
    return match[1][start:].strip() if start >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_ints, default=[16, 160])
    parser.add_argument("--artifacts", type=_ints, default=[10, 1000])
    parser.add_argument("--widths", type=_ints, default=[10, 50])
    parser.add_argument("--datastores", type=_names, default=["local"])
    parser.add_argument("--s3-widths", type=_ints, help="S3 join widths (default: --widths)")
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--notes", type=Path, help="markdown for the analysis under the table")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    notes = args.notes.read_text().strip() if args.notes else kept_notes(args.out)
    if notes and not notes.startswith(NOTES_MARK):
        sys.exit(f"--notes: the analysis must start with {NOTES_MARK!r}, so a rerun keeps it")
    cases = cases_for(args)
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    done: list[Case] = []
    with _s3_server() if "s3" in args.datastores else _no_server() as server:
        # Cheapest first: a grid cut short keeps the most rows.
        for case in sorted(cases, key=lambda c: c.cost):
            measure(case, args.rounds, args.max_workers, server if case.datastore == "s3" else None)
            done = [c for c in cases if any(c is d for d in [*done, case])]
            # Every case is recorded as it ends, so an interrupted grid keeps what it measured.
            loads = (load_at_start, os.getloadavg()[0])
            section = report(done, args, loads, time.perf_counter() - started, notes)
            write_section(args.out, SECTION, section)
    print(section)
    print(f"\nwrote {args.out}")


@contextmanager
def _no_server() -> Iterator[None]:
    yield None


def report(
    cases: list[Case],
    args: argparse.Namespace,
    loads: tuple[float, float],
    wall_s: float,
    notes: str,
) -> str:
    rows = [
        f"| {c.label} | {c.datastore} | {c.size:,} MB | {c.artifacts:,} | {c.width:,} "
        f"| {c.run_s:,.0f} s | {c.run_peak_mib:,.0f} MiB | {c.cold_s * 1000:,.0f} ms "
        f"| {c.warm_ms:,.1f} ms | {c.rss_mib:,.0f} MiB | {c.peak_mib:,.0f} MiB |"
        for c in cases
    ]
    command = re.sub(r"\s+", " ", " ".join(sys.argv[1:])).strip()
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `bench/scale_bench.py {command}` on {time.strftime('%Y-%m-%d %H:%M')} "
            f"({wall_s / 60:.0f} min). Each row changes one dimension of the base case; the spin "
            "is `join` (every foreach task a parent, each carrying the frame and the "
            "artifacts). Flow run: Metaflow's `run` (`--max-workers "
            f"{args.max_workers}`), with its largest process's peak RSS. Cold load: the first "
            "spin's `prepare_s` (resolve and load, empty client cache); warm overhead: median "
            f"of {args.rounds} spins of edited code, wall - the step's own time; kernel VmRSS "
            "after them, and its peak (VmHWM). S3: moto's server on 127.0.0.1. "
            f"1-minute load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end.",
            "",
            *machine(("metaflow", "numpy", "pandas")),
            "",
            "| case | datastore | input | artifacts | join width | flow run | run peak RSS "
            "| cold load | warm overhead | kernel VmRSS | kernel peak |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            *(["", notes] if notes else []),
        ]
    )


if __name__ == "__main__":
    main()
