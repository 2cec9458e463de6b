"""One page of a 2M-row DataFrame for the value viewer, as the editor asks for it.

    python bench/value_bench.py [--rounds N] [--out bench/RESULTS.md]

* in the engine (``engine/value_pages.py``, the function the parked child and
  the kernel call): the first page of 100 rows, and a page sorted by a float
  column; "first" is the first request of a value (its column statistics, or
  its sort order, computed then), "next" a later one (kept);
* through ``SpinSession.value_page`` on a spun step's output (the frame paged
  by the spin's parked child: the socket hops session -> kernel -> child and
  back, JSON only, never the value).

Prints a table and writes the "## Value viewer pages" section of the results file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from results_file import machine, write_section

from spinlens import SpinSession
from spinlens.engine.metaflow_env import ensure_user
from spinlens.engine.value_pages import PageRequest, ValuePages

SECTION = "## Value viewer pages"
ROWS = 2_000_000

FLOW = """\
import numpy as np
import pandas as pd
from metaflow import FlowSpec, step


class ValueBenchFlow(FlowSpec):
    @step
    def start(self):
        self.size = 2_000_000
        self.next(self.build)

    @step
    def build(self):
        rng = np.random.default_rng(1)
        self.frame = pd.DataFrame(
            {
                "id": np.arange(self.size),
                "x": rng.random(self.size),
                "y": rng.normal(size=self.size),
                "group": rng.integers(0, 50, self.size),
                "label": np.where(rng.random(self.size) < 0.5, "a", "b"),
            }
        )
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ValueBenchFlow()
"""


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "id": np.arange(ROWS),
            "x": rng.random(ROWS),
            "y": rng.normal(size=ROWS),
            "group": rng.integers(0, 50, ROWS),
            "label": np.where(rng.random(ROWS) < 0.5, "a", "b"),
        }
    )


def ms(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    return statistics.median(ms(fn) for _ in range(rounds))


def engine_rows(rounds: int) -> list[tuple[str, float]]:
    value = frame()
    first = PageRequest(limit=100)
    by_x = PageRequest(limit=100, offset=1000, sort="x", descending=True)
    cold_first = statistics.median(
        ms(lambda: ValuePages().page("k", value, first)) for _ in range(max(3, rounds // 4))
    )
    cold_sorted = statistics.median(
        ms(lambda: ValuePages().page("k", value, by_x)) for _ in range(max(3, rounds // 4))
    )
    pages = ValuePages()
    pages.page("k", value, by_x)
    warm_first = median_ms(lambda: pages.page("k", value, first), rounds)
    warm_sorted = median_ms(lambda: pages.page("k", value, by_x), rounds)
    return [
        ("engine: first page, first request (statistics computed)", cold_first),
        ("engine: first page, next requests", warm_first),
        ("engine: sorted page, first request (sort order computed)", cold_sorted),
        ("engine: sorted page, next requests", warm_sorted),
    ]


def session_rows(rounds: int, root: Path) -> list[tuple[str, float]]:
    flow = root / "value_bench_flow.py"
    flow.write_text(FLOW)
    subprocess.run(
        [sys.executable, flow.name, "run"], cwd=root, check=True, capture_output=True, timeout=900
    )
    with SpinSession(flow) as session:
        result = session.spin("build")
        assert result.ok, result.error
        spin = result.spin_id
        first_ms = ms(lambda: session.value_page("frame", spin_id=spin))
        warm = median_ms(lambda: session.value_page("frame", spin_id=spin), rounds)
        sorted_first = ms(lambda: session.value_page("frame", spin_id=spin, sort="x", offset=1000))
        sorted_warm = median_ms(
            lambda: session.value_page("frame", spin_id=spin, sort="x", offset=1000), rounds
        )
    return [
        ("session -> parked child: first page, first request", first_ms),
        ("session -> parked child: first page, next requests", warm),
        ("session -> parked child: sorted page, first request", sorted_first),
        ("session -> parked child: sorted page, next requests", sorted_warm),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    args = parser.parse_args()
    ensure_user()
    rows = engine_rows(args.rounds)
    with tempfile.TemporaryDirectory(prefix="spinlens-value-bench-") as tmp:
        os.environ.setdefault("METAFLOW_CLIENT_CACHE_PATH", str(Path(tmp) / "client-cache"))
        rows += session_rows(args.rounds, Path(tmp))
    table = "\n".join(
        ["| page of a 2,000,000 x 5 DataFrame (100 rows) | ms |", "| --- | ---: |"]
        + [f"| {label} | {value:.1f} |" for label, value in rows]
    )
    section = "\n".join(
        [
            SECTION,
            "",
            "`python bench/value_bench.py`: one page (100 rows as text, the columns' "
            "dtypes and statistics) of a 2M-row frame of ints, floats and strings. "
            f'Medians of {args.rounds} requests for "next"; a first request is the '
            "median of fresh caches in the engine, one request through the session. "
            "The sorted page is rows 1001-1100 by a float column, descending.",
            "",
            *machine(("metaflow", "pandas", "numpy")),
            "",
            table,
        ]
    )
    write_section(args.out, SECTION, section)
    print(table)


if __name__ == "__main__":
    main()
