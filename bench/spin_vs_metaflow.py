"""Spinlens vs Metaflow's own ``spin``: re-running one step on a past run's inputs.

    python bench/spin_vs_metaflow.py [--rounds N] [--out bench/RESULTS.md]

In a temporary folder it runs bench/flows/bench_flow.py once (``start`` makes a
160 MB DataFrame), then, for ``train`` (~0.5-1 s of NumPy) and for the foreach
child ``tune`` (index 1, tiny compute), times in every round, in a rotating order:

* Metaflow: ``python bench_flow.py spin RUN/STEP/TASK`` (after one untimed spin
  that warms the client and page caches); wall is the subprocess's;
* Spinlens cold: a new ``SpinSession`` (new kernel) and one spin; wall runs from
  creating the session to the spin's return (closing it is timed apart);
* Spinlens warm: one session kept for all rounds; wall is the ``spin()`` call.

Before every timed spin it edits the ``SCALE`` literal in the step, and checks
that the spin ran the edited code. Each step prints ``COMPUTE_S=`` (its own
timing of the compute, after the input is in hand); overhead = wall - compute.
Finally it reads the warm kernel's VmRSS/VmHWM and writes the tables into the
"## Spin vs Metaflow spin" section of the results file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from results_file import machine, write_section

from spinlens import SpinResult, SpinSession
from spinlens.wire import events

HERE = Path(__file__).resolve().parent
FLOW_SOURCE = HERE / "flows" / "bench_flow.py"
FLOW_NAME = "BenchFlow"
SECTION = "## Spin vs Metaflow spin"
MODES = ("Metaflow spin", "Spinlens cold", "Spinlens warm")
COMPUTE_RE = re.compile(r"COMPUTE_S=([0-9.]+) SCALE=([0-9.]+)")
WARM_OVERHEAD_TARGET_S = 0.050
# Issue 15: the foreach child's warm overhead, and its ratio to Metaflow's.
FOREACH_OVERHEAD_TARGET_S = 0.010
FOREACH_RATIO_TARGET = 100.0
MEMORY_FACTOR = 1.5

FIND_TASKS = """
import json, sys
from metaflow import Run, namespace
namespace(None)
run = Run(f"{sys.argv[1]}/{sys.argv[2]}")
df = run["start"].task.data.df
tune = {}
for task in run["tune"]:
    tune[task["_foreach_stack"].data[-1].index] = task.id
print(json.dumps({
    "train": run["train"].task.id,
    "tune": tune,
    "input_bytes": int(df.memory_usage(deep=True).sum()),
}))
"""

BASELINE = """
import sys
import metaflow, numpy, pandas  # noqa
print("ready", flush=True)
sys.stdin.read()
"""


@dataclass
class Sample:
    wall: float
    compute: float
    timings: dict[str, float] = field(default_factory=dict)
    close: float | None = None

    @property
    def overhead(self) -> float:
        return self.wall - self.compute


@dataclass
class StepCase:
    step: str
    index: int | None  # spinlens index
    task: str  # Metaflow task id of that split
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {m: [] for m in MODES})
    memory: dict[str, int] = field(default_factory=dict)
    first_warm_spin_s: float = 0.0


class Bench:
    def __init__(self, folder: Path, rounds: int) -> None:
        self.folder = folder
        self.rounds = rounds
        self.flow_file = folder / "bench_flow.py"
        self.env = dict(os.environ)
        names = [self.env.get(v) for v in ("METAFLOW_USER", "SUDO_USER", "USERNAME", "USER")]
        if not any(name and name != "root" for name in names):  # Metaflow refuses "root"
            self.env["USERNAME"] = "spinlens-bench"
        self.env["METAFLOW_DATASTORE_SYSROOT_LOCAL"] = str(folder)
        self.scale_counter = 0
        self.run_id = ""
        self.run_s = 0.0
        self.input_bytes = 0

    # -- set-up ---------------------------------------------------------------
    def python(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def run_flow(self) -> dict[str, object]:
        shutil.copy(FLOW_SOURCE, self.flow_file)
        started = time.perf_counter()
        done = self.python("bench_flow.py", "run")
        self.run_s = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"The flow run failed:\n{done.stdout}\n{done.stderr}")
        found = re.search(r"run-id (\w+)", done.stdout + done.stderr)
        if not found:
            sys.exit(f"No run id in the flow's output:\n{done.stdout}\n{done.stderr}")
        self.run_id = found.group(1)
        tasks = self.python("-c", FIND_TASKS, FLOW_NAME, self.run_id)
        if tasks.returncode != 0:
            sys.exit(f"Could not list the run's tasks:\n{tasks.stderr}")
        info = json.loads(tasks.stdout.strip().splitlines()[-1])
        self.input_bytes = int(info["input_bytes"])
        return info

    # -- the edited literal -----------------------------------------------------
    def next_scale(self, step: str) -> float:
        """Give the step's SCALE literal a new value; return it."""
        self.scale_counter += 1
        value = round(1.0 + self.scale_counter / 1000, 6)
        text = self.flow_file.read_text()
        start = text.index(f"    def {step}(self")
        literal = re.compile(r"SCALE = [0-9.]+")
        found = literal.search(text, start)
        assert found is not None, f"no SCALE literal in {step}"
        text = text[: found.start()] + f"SCALE = {value!r}" + text[found.end() :]
        self.flow_file.write_text(text)
        return value

    @staticmethod
    def parse_compute(output: str, scale: float, what: str) -> float:
        found = COMPUTE_RE.findall(output)
        if not found:
            sys.exit(f"{what}: no COMPUTE_S line in its output:\n{output[-3000:]}")
        compute, seen = found[-1]
        if float(seen) != scale:
            sys.exit(f"{what}: ran SCALE={seen}, not the edited {scale}: the old code ran.")
        return float(compute)

    # -- the three ways to spin ---------------------------------------------------
    def metaflow_spin(self, case: StepCase, scale: float | None = None) -> Sample:
        pathspec = f"{self.run_id}/{case.step}/{case.task}"
        started = time.perf_counter()
        done = self.python("bench_flow.py", "spin", pathspec)
        wall = time.perf_counter() - started
        output = done.stdout + done.stderr
        if done.returncode != 0:
            sys.exit(f"Metaflow spin {pathspec} failed:\n{output[-3000:]}")
        compute = self.parse_compute(output, scale, "Metaflow spin") if scale else 0.0
        return Sample(wall, compute)

    def check_spin(self, result: SpinResult, case: StepCase, scale: float, what: str) -> float:
        """The step's own compute time, once sure the spin ran the edited code."""
        if not result.ok:
            failure = result.failure
            assert failure is not None
            sys.exit(f"{what} failed: {failure.error}\n{failure.traceback or ''}")
        source = result.source
        assert source is not None
        if source.run_id != self.run_id or source.task_id != case.task:
            sys.exit(f"{what} spun {source.run_id}/{source.task_id}, not {self.run_id}/{case.task}")
        compute = self.parse_compute(result.stdout, scale, what)
        if result.artifacts["scale"] != scale:
            sys.exit(f"{what}: artifact scale is {result.artifacts['scale']}, not {scale}.")
        return compute

    def cold_spin(self, case: StepCase, scale: float) -> Sample:
        started = time.perf_counter()
        session = SpinSession(self.flow_file, env=self.env)
        try:
            result = session.spin(case.step, run=self.run_id, index=case.index)
            wall = time.perf_counter() - started
            compute = self.check_spin(result, case, scale, "Spinlens cold spin")
        finally:
            closing = time.perf_counter()
            session.close()
            close = time.perf_counter() - closing
        return Sample(wall, compute, dict(result.timings), close)

    def warm_spin(self, session: SpinSession, case: StepCase, scale: float) -> Sample:
        started = time.perf_counter()
        result = session.spin(case.step, run=self.run_id, index=case.index)
        wall = time.perf_counter() - started
        compute = self.check_spin(result, case, scale, "Spinlens warm spin")
        begun = next(e for e in result.events if isinstance(e, events.Started))
        if not begun.warm:
            sys.exit("A warm spin reloaded its inputs (Started.warm is False).")
        return Sample(wall, compute, dict(result.timings))

    # -- the benchmark --------------------------------------------------------------
    def measure(self, case: StepCase, session: SpinSession) -> None:
        print(f"[{case.step}] untimed Metaflow spin (warms the client cache)", flush=True)
        self.metaflow_spin(case)
        print(f"[{case.step}] untimed first spin of the warm session (loads inputs)", flush=True)
        scale = self.next_scale(case.step)
        started = time.perf_counter()
        self.check_spin(
            session.spin(case.step, run=self.run_id, index=case.index), case, scale, "first spin"
        )
        case.first_warm_spin_s = time.perf_counter() - started
        for round_no in range(self.rounds):
            order = MODES[round_no % 3 :] + MODES[: round_no % 3]
            for mode in order:
                scale = self.next_scale(case.step)
                if mode == "Metaflow spin":
                    sample = self.metaflow_spin(case, scale)
                elif mode == "Spinlens cold":
                    sample = self.cold_spin(case, scale)
                else:
                    sample = self.warm_spin(session, case, scale)
                case.samples[mode].append(sample)
                print(
                    f"[{case.step}] round {round_no + 1}/{self.rounds} {mode:<14} "
                    f"wall {sample.wall:7.3f} s  compute {sample.compute:6.3f} s  "
                    f"overhead {sample.overhead * 1e3:7.1f} ms",
                    flush=True,
                )
        case.memory = read_memory(session.kernel_pid)


def read_memory(pid: int | None) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    if pid is None:
        sys.exit("The warm kernel is gone.")
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) * 1024
    return found


def baseline_memory(env: dict[str, str]) -> dict[str, int]:
    """RSS of a bare interpreter that imported metaflow, pandas and numpy."""
    proc = subprocess.Popen(
        [sys.executable, "-c", BASELINE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()
    try:
        return read_memory(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait()


# -- reporting --------------------------------------------------------------------
def ms(seconds: float) -> str:
    value = seconds * 1e3
    return f"{value:,.0f} ms" if abs(value) >= 100 else f"{value:.1f} ms"


def mib(size: float) -> str:
    return f"{size / 2**20:,.0f} MiB"


def step_table(case: StepCase) -> list[str]:
    medians = {
        mode: (
            statistics.median(s.wall for s in samples),
            statistics.median(s.compute for s in samples),
            statistics.median(s.overhead for s in samples),
        )
        for mode, samples in case.samples.items()
    }
    metaflow_overhead = medians["Metaflow spin"][2]
    lines = [
        "| | wall (median) | step compute (median) | overhead (median) "
        "| Metaflow overhead / this overhead |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, (wall, compute, overhead) in medians.items():
        ratio = metaflow_overhead / overhead if overhead > 0 else float("inf")
        lines.append(f"| {mode} | {ms(wall)} | {ms(compute)} | {ms(overhead)} | {ratio:.1f}× |")
    warm = case.samples["Spinlens warm"]
    parts = ("prepare_s", "load_s", "step_s", "outputs_s")
    breakdown = {p: statistics.median(s.timings.get(p, 0.0) for s in warm) for p in parts}
    other = statistics.median(s.wall - sum(s.timings.get(p, 0.0) for p in parts) for s in warm)
    step_extra = statistics.median(s.timings.get("step_s", 0.0) - s.compute for s in warm)
    closes = [s.close for s in case.samples["Spinlens cold"] if s.close is not None]
    ahead = [s.timings["ahead_s"] for s in warm if "ahead_s" in s.timings]
    built_ahead = (
        f"{len(ahead)} of {len(warm)} warm spins were taken by the spare that had built "
        f"the flow ahead (median {ms(statistics.median(ahead))} of set-up done before the "
        "spin was asked for; not in the wall). "
        if ahead
        else f"None of the {len(warm)} warm spins was taken by a spare that built the flow ahead. "
    )
    lines += [
        "",
        built_ahead + f"Warm spin breakdown (medians): prepare {ms(breakdown['prepare_s'])}, "
        f"load flow file {ms(breakdown['load_s'])}, step function {ms(breakdown['step_s'])} "
        f"(of which outside the step's own compute timer {ms(step_extra)}), "
        f"outputs {ms(breakdown['outputs_s'])}, IPC/fork/rest {ms(other)}. "
        f"Cold wall excludes closing the session (median {ms(statistics.median(closes))}). "
        f"First spin of the warm session, loading the inputs: {case.first_warm_spin_s:.2f} s.",
    ]
    return lines


def verdicts(cases: list[StepCase], baseline: dict[str, int], input_bytes: int) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    for case in cases:
        warm = statistics.median(s.overhead for s in case.samples["Spinlens warm"])
        ok = warm <= WARM_OVERHEAD_TARGET_S
        lines.append(
            f"| `{case.step}` warm overhead ≤ {ms(WARM_OVERHEAD_TARGET_S)} | {ms(warm)} "
            f"| {'met' if ok else 'MISSED'} |"
        )
    for case in cases:
        if case.index is None:
            continue
        warm = statistics.median(s.overhead for s in case.samples["Spinlens warm"])
        metaflow = statistics.median(s.overhead for s in case.samples["Metaflow spin"])
        ok = warm <= FOREACH_OVERHEAD_TARGET_S
        lines.append(
            f"| `{case.step}` (foreach child) warm overhead ≤ {ms(FOREACH_OVERHEAD_TARGET_S)} "
            f"| {ms(warm)} | {'met' if ok else 'MISSED'} |"
        )
        ratio = metaflow / warm if warm > 0 else float("inf")
        ok = ratio >= FOREACH_RATIO_TARGET
        lines.append(
            f"| `{case.step}` Metaflow overhead / warm overhead ≥ {FOREACH_RATIO_TARGET:.0f}× "
            f"| {ratio:.1f}× | {'met' if ok else 'MISSED'} |"
        )
    for case in cases:
        cold = statistics.median(s.wall for s in case.samples["Spinlens cold"])
        metaflow = statistics.median(s.wall for s in case.samples["Metaflow spin"])
        ok = cold <= metaflow
        lines.append(
            f"| `{case.step}` cold wall ≤ Metaflow wall | {ms(cold)} vs {ms(metaflow)} "
            f"| {'met' if ok else 'MISSED'} |"
        )
    budget = MEMORY_FACTOR * input_bytes + baseline["VmRSS"]
    for case in cases:
        rss = case.memory["VmRSS"]
        ok = rss <= budget
        lines.append(
            f"| kernel VmRSS after the `{case.step}` warm spins ≤ {MEMORY_FACTOR} × inputs "
            f"+ baseline ({mib(budget)}) | {mib(rss)} (VmHWM {mib(case.memory['VmHWM'])}) "
            f"| {'met' if ok else 'MISSED'} |"
        )
    lines += [
        "",
        f"Inputs: the DataFrame's `memory_usage(deep=True).sum()` = {mib(input_bytes)} "
        f"({input_bytes:,} B). Baseline: VmRSS of `python -c 'import metaflow, pandas, numpy'` "
        f"= {mib(baseline['VmRSS'])} (VmHWM {mib(baseline['VmHWM'])}). The parked spin child "
        f"(copy-on-write) is not counted.",
    ]
    return lines


def report(
    bench: Bench, cases: list[StepCase], baseline: dict[str, int], loads: tuple[float, float]
) -> str:
    lines = [
        SECTION,
        "",
        f"Generated by `bench/spin_vs_metaflow.py --rounds {bench.rounds}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Flow `bench/flows/bench_flow.py`: `start` makes "
        f"a 2,000,000 × 10 float64 DataFrame; `train` does 0.5-1 s of NumPy on it; `tune` "
        f"(foreach child, index 1) reads it and computes for a few ms. The flow run took "
        f"{bench.run_s:.1f} s. Each timed spin ran freshly edited code (checked). Medians "
        f"of {bench.rounds} rounds, modes in rotating order. Compute is the step's own "
        f"`COMPUTE_S` timing, taken after it has the input in hand; overhead = wall - compute, "
        f"so it includes loading the 160 MB input where a mode has to. 1-minute load "
        f"average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end (2 cores: above ~1, "
        f"other processes competed for them).",
        "",
        *machine(("metaflow", "numpy", "pandas")),
        "",
    ]
    for case in cases:
        label = f"`{case.step}`" + (f" (foreach index {case.index})" if case.index else "")
        lines += [f"### {label}", "", *step_table(case), ""]
    lines += [
        "### Targets",
        "",
        *verdicts(cases, baseline, bench.input_bytes),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="spinlens-bench-"))
    bench = Bench(folder, args.rounds)
    load_at_start = os.getloadavg()[0]
    try:
        print(f"Running the flow once in {folder}", flush=True)
        info = bench.run_flow()
        print(f"run {bench.run_id} took {bench.run_s:.1f} s; tasks {info}", flush=True)
        cases = [
            StepCase("train", None, str(info["train"])),
            StepCase("tune", 1, str(info["tune"]["1"])),  # type: ignore[index]
        ]
        with SpinSession(bench.flow_file, env=bench.env) as session:
            for case in cases:
                bench.measure(case, session)
        baseline = baseline_memory(bench.env)
        section = report(bench, cases, baseline, (load_at_start, os.getloadavg()[0]))
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print()
    print(section)
    write_section(args.out, SECTION, section)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
