"""A cold spin of a wide join whose inputs are in S3, over a network's latency.

    python bench/s3_join_bench.py [--width 100] [--latencies-ms 0,20] [--out bench/RESULTS.md]

Runs scale_bench's flow with ``--datastore s3`` against moto's server on
127.0.0.1, then spins its join cold (an empty client cache, a new kernel) through
a proxy that holds every request for the round trip (tests/python/latency_proxy.py),
beside Metaflow's own ``python flow.py spin`` of the same task through the same
proxy. moto answers in well under a millisecond, so only the latency shows how
many round trips each waits for in turn. Needs the dev extras (moto).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from results_file import machine, write_section
from scale_bench import FLOW, HERE, Case, _env, _ints, _run_flow, _s3_server

from spinlens import SpinSession
from spinlens.engine.metaflow_env import ensure_user

sys.path.insert(0, str(HERE.parent / "tests" / "python"))
from latency_proxy import LatencyProxy  # noqa: E402 - beside the tests' S3 helper

if TYPE_CHECKING:
    from s3server import S3Server

SECTION = "## S3 join"


@dataclass
class Row:
    latency_ms: float
    spinlens_s: float
    spinlens_requests: int
    spinlens_peak: int
    metaflow_s: float
    metaflow_requests: int
    metaflow_peak: int
    metaflow_error: str = ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--latencies-ms", type=_ints, default=[0, 20])
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    rows: list[Row] = []
    with _s3_server() as server:
        folder = Path(tempfile.mkdtemp(prefix="spinlens-s3-join-"))
        try:
            flow = folder / "scale_flow.py"
            flow.write_text(FLOW.format(size=1, artifacts=10, width=args.width))
            env = _env(folder, server)
            case = Case(f"S3 join of {args.width}", 1, 10, args.width, datastore="s3")
            _run_flow(case, folder, env, args.max_workers)
            print(f"run: {case.run_s:.0f} s", flush=True)
            for latency in args.latencies_ms:
                proxy = LatencyProxy(server.port, latency / 1000).start()
                try:
                    via = dict(env, METAFLOW_S3_ENDPOINT_URL=proxy.endpoint)
                    row = Row(latency, 0.0, 0, 0, 0.0, 0, 0)
                    row.spinlens_s, row.spinlens_requests, row.spinlens_peak, _ = _measure(
                        server, proxy, folder, partial(_spinlens, flow, via, args.width)
                    )
                    measured = _measure(server, proxy, folder, partial(_metaflow, flow, via))
                    row.metaflow_s, row.metaflow_requests, row.metaflow_peak = measured[:3]
                    row.metaflow_error = measured[3] or ""
                finally:
                    proxy.stop()
                print(row, flush=True)
                rows.append(row)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    write_section(args.out, SECTION, report(args.width, rows))
    print(f"wrote {args.out}")


def _measure(
    server: S3Server, proxy: LatencyProxy, folder: Path, spin: Callable[[], str | None]
) -> tuple[float, int, int, str | None]:
    """Seconds, S3 requests, the most in flight at once from a cold cache, and
    what the spin returned."""
    shutil.rmtree(folder / "client-cache", ignore_errors=True)
    mark = len(server.requests())
    proxy.peak_in_flight = 0
    started = time.perf_counter()
    returned = spin()
    seconds = time.perf_counter() - started
    return seconds, len(server.requests()) - mark, proxy.peak_in_flight, returned


def _spinlens(flow: Path, env: dict[str, str], width: int) -> None:
    with SpinSession(flow, env=env, keep_history=0) as session:
        result = session.spin("join")
        if not result.ok or result.artifacts["total"] != sum(2 * i for i in range(width)):
            sys.exit(f"the Spinlens spin failed: {result.error}")


def _metaflow(flow: Path, env: dict[str, str]) -> str:
    """Metaflow's spin of the join: "" if it worked, else the error it printed."""
    # The join's task, from the run's local metadata (one run in this folder).
    (task,) = (flow.parent / ".metaflow" / "ScaleFlow").glob("[0-9]*/join/[0-9]*")
    pathspec = "/".join(task.parts[-3:])
    done = subprocess.run(
        [sys.executable, flow.name, "spin", pathspec],
        cwd=flow.parent,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        return ""
    # Metaflow's task log lines: "<time> [<pathspec> (pid N)] <message>"
    output = (done.stdout + done.stderr).splitlines()
    logged = [line.split("] ", 1)[-1] for line in output if "] " in line]
    missing = [line for line in logged if "missing" in line.lower()]
    return max(missing, key=len) if missing else (logged or ["no output"])[-1]


def report(width: int, rows: list[Row]) -> str:
    lines = [
        SECTION,
        "",
        f"Written by `bench/s3_join_bench.py --width {width}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}. A cold spin "
        f"(new kernel, empty client cache) of the join over {width:,} foreach tasks whose "
        "inputs are in S3 (moto on 127.0.0.1), through a proxy that holds each request "
        "for the round trip; beside it, Metaflow's `python flow.py spin` of "
        "the same task through the same proxy. *in flight*: the most requests awaiting "
        "their answers at once.",
        "",
        *machine(("metaflow", "boto3", "moto")),
        "",
        "| round trip | Spinlens cold | requests | in flight | Metaflow spin | requests "
        "| in flight | ratio |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r.metaflow_s / r.spinlens_s:.1f}x" if not r.metaflow_error else "-"
        metaflow = (
            f"failed after {r.metaflow_s:.1f} s" if r.metaflow_error else f"{r.metaflow_s:.1f} s"
        )
        lines.append(
            f"| {r.latency_ms:.0f} ms | {r.spinlens_s:.1f} s | {r.spinlens_requests:,} "
            f"| {r.spinlens_peak} | {metaflow} | {r.metaflow_requests:,} "
            f"| {r.metaflow_peak} | {ratio} |"
        )
    errors = sorted({r.metaflow_error for r in rows if r.metaflow_error})
    lines += ["", *(f"Metaflow's spin failed: `{error}`" for error in errors)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
