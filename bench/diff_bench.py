"""Artifact diffs and spin-history storage, on a 2,000,000 × 10 float64 DataFrame.

    python bench/diff_bench.py [--rounds 5] [--out bench/RESULTS.md]

1. ``spinlens.engine.diff.diff_values`` on two such frames that differ in 0.1% of their
   cells (random positions, fixed seed): median of the rounds, against the
   300 ms target.
2. Storing one such frame (~160 MB) the Spinlens way,
   ``spinlens.engine.storage.write_value`` (Arrow IPC), beside the Metaflow way,
   ``gzip.compress(pickle.dumps(df, protocol=4), compresslevel=3)`` written to a
   file, as its local datastore does; then reading each back
   (``spinlens.engine.storage.read_value`` vs gunzip + unpickle).

Writes the "## Diffs and history storage" section of the results file,
keeping every other section as it is.
"""

from __future__ import annotations

import argparse
import gzip
import pickle
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from results_file import machine, write_section

from spinlens.engine.diff import diff_values

HERE = Path(__file__).resolve().parent
SECTION = "## Diffs and history storage"
ROWS, COLUMNS = 2_000_000, 10
CHANGED_FRACTION = 0.001
DIFF_TARGET_S = 0.300
SEED = 20_241_127


@dataclass
class Timing:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def timed(
    action: Callable[[], Any], rounds: int, before: Callable[[], None] | None = None
) -> Timing:
    samples = []
    for _ in range(rounds):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return Timing(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def frames() -> tuple[pd.DataFrame, pd.DataFrame, int]:
    rng = np.random.default_rng(SEED)
    values = rng.standard_normal((ROWS, COLUMNS))
    old = pd.DataFrame(values, columns=[f"x{i}" for i in range(COLUMNS)])
    changed = values.copy()
    count = int(ROWS * COLUMNS * CHANGED_FRACTION)
    cells = rng.choice(ROWS * COLUMNS, count, replace=False)
    changed.flat[cells] = rng.standard_normal(count) + 10.0  # surely different
    new = pd.DataFrame(changed, columns=old.columns)
    return old, new, count


# --- 1. diff ------------------------------------------------------------------------------


@dataclass
class DiffBench:
    timing: Timing
    summary: str
    changed_cells: int
    expected_cells: int


def bench_diff(old: pd.DataFrame, new: pd.DataFrame, expected: int, rounds: int) -> DiffBench:
    result = diff_values(old, new)  # warm-up, and the check that it is right
    if result.detail.get("changed_cells") != expected:
        raise SystemExit(f"diff found {result.detail.get('changed_cells')} cells, not {expected}")
    timing = timed(lambda: diff_values(old, new), rounds)
    print(f"diff_values: median {ms(timing.median)} ({result.summary})")
    return DiffBench(timing, result.summary, result.detail["changed_cells"], expected)


# --- 2. storage ---------------------------------------------------------------------------


@dataclass
class StorageBench:
    spinlens_write: Timing
    spinlens_read: Timing
    spinlens_bytes: int
    metaflow_write: Timing
    metaflow_read: Timing
    metaflow_bytes: int
    memory_bytes: int


def metaflow_write(path: Path, frame: pd.DataFrame) -> None:
    blob = gzip.compress(pickle.dumps(frame, protocol=4), compresslevel=3)
    path.write_bytes(blob)


def metaflow_read(path: Path) -> pd.DataFrame:
    frame = pickle.loads(gzip.decompress(path.read_bytes()))
    assert isinstance(frame, pd.DataFrame)
    return frame


def bench_storage(frame: pd.DataFrame, rounds: int, slow_rounds: int) -> StorageBench:
    from spinlens.engine import storage  # written beside this module; imported when needed

    folder = Path(tempfile.mkdtemp(prefix="spinlens-storage-bench-"))
    try:
        target = folder / "metaflow.gz"
        stored = storage.write_value(folder, "df", frame)

        def clear() -> None:
            for path in folder.iterdir():
                path.unlink()

        spin_write = timed(lambda: storage.write_value(folder, "df", frame), rounds, clear)
        stored = storage.write_value(folder, "df", frame)
        read_back = storage.read_value(folder, stored)
        if diff_values(frame, read_back).changed:
            raise SystemExit("spinlens.engine.storage did not give the frame back unchanged")
        del read_back
        spin_read = timed(lambda: storage.read_value(folder, stored), rounds)
        print(
            f"spinlens.engine.storage: write {ms(spin_write.median)}, read {ms(spin_read.median)}, "
            f"{mib(stored.bytes)} on disk"
        )

        meta_write = timed(lambda: metaflow_write(target, frame), slow_rounds)
        if diff_values(frame, metaflow_read(target)).changed:
            raise SystemExit("the Metaflow round trip did not give the frame back unchanged")
        meta_read = timed(lambda: metaflow_read(target), slow_rounds)
        print(
            f"Metaflow (pickle + gzip 3): write {ms(meta_write.median)}, "
            f"read {ms(meta_read.median)}, {mib(target.stat().st_size)} on disk"
        )
        return StorageBench(
            spin_write,
            spin_read,
            stored.bytes,
            meta_write,
            meta_read,
            target.stat().st_size,
            int(frame.memory_usage(deep=True).sum()),
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- 3. results ---------------------------------------------------------------------------


def report(diff: DiffBench, store: StorageBench | None, rounds: int, slow_rounds: int) -> str:
    met = diff.timing.median <= DIFF_TARGET_S
    lines = [
        SECTION,
        "",
        f"Generated by `bench/diff_bench.py --rounds {rounds}` on "
        f"{time.strftime('%Y-%m-%d %H:%M')}. Data: a {ROWS:,} × {COLUMNS} float64 pandas "
        f"DataFrame (seed {SEED}).",
        "",
        *machine(("numpy", "pandas", "pyarrow", "polars")),
        "",
        "### Diff",
        "",
        f"`diff_values(old, new)` where new has {diff.expected_cells:,} of "
        f"{ROWS * COLUMNS:,} cells changed ({CHANGED_FRACTION:.1%}, random positions). "
        f"Result: {diff.summary}; `changed_cells` = {diff.changed_cells:,}.",
        "",
        "| | median | min | max | target | |",
        "|---|---:|---:|---:|---:|---|",
        f"| diff_values | {ms(diff.timing.median)} | {ms(min(diff.timing.samples))} "
        f"| {ms(max(diff.timing.samples))} | ≤ {ms(DIFF_TARGET_S)} | "
        f"{'met' if met else 'MISSED'} |",
        "",
        "### Storing the frame",
        "",
    ]
    if store is None:
        lines += ["Pending: `spinlens.engine.storage` is not available yet.", ""]
        return "\n".join(lines)
    write_ratio = store.metaflow_write.median / store.spinlens_write.median
    read_ratio = store.metaflow_read.median / store.spinlens_read.median
    lines += [
        f"The frame holds {mib(store.memory_bytes)} (`memory_usage(deep=True)`). Spinlens: "
        f"`spinlens.engine.storage.write_value` (Arrow IPC, uncompressed) and `read_value` (memory "
        f"map, then a pandas frame); medians of {rounds} rounds. Metaflow: "
        f"`gzip.compress(pickle.dumps(df, protocol=4), compresslevel=3)` written to a file, "
        f"as its local datastore stores an artifact, and gunzip + unpickle to read it; "
        f"medians of {slow_rounds} rounds. (Metaflow also takes the SHA-1 of the pickle "
        f"for its content address; that is not timed here.) Both write to the page cache "
        f"of the local disk, without fsync.",
        "",
        "| | write (median) | read (median) | on disk |",
        "|---|---:|---:|---:|",
        f"| Spinlens (Arrow IPC) | {ms(store.spinlens_write.median)} "
        f"| {ms(store.spinlens_read.median)} | {mib(store.spinlens_bytes)} |",
        f"| Metaflow (pickle + gzip 3) | {ms(store.metaflow_write.median)} "
        f"| {ms(store.metaflow_read.median)} | {mib(store.metaflow_bytes)} |",
        f"| Metaflow / Spinlens | {write_ratio:.1f}× | {read_ratio:.1f}× | "
        f"{store.metaflow_bytes / store.spinlens_bytes:.2f}× |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--slow-rounds", type=int, default=3, help="rounds for Metaflow's way")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()

    old, new, expected = frames()
    diff = bench_diff(old, new, expected, args.rounds)
    del new
    try:
        store: StorageBench | None = bench_storage(old, args.rounds, args.slow_rounds)
    except ImportError as exc:
        print(f"storage half pending: {exc}")
        store = None
    if store is not None:
        print(
            f"Metaflow / Spinlens: write "
            f"{store.metaflow_write.median / store.spinlens_write.median:.1f}×, read "
            f"{store.metaflow_read.median / store.spinlens_read.median:.1f}×"
        )
    write_section(args.out, SECTION, report(diff, store, args.rounds, args.slow_rounds))
    print(f"wrote the {SECTION!r} section of {args.out}")
    if diff.timing.median > DIFF_TARGET_S:
        raise SystemExit(f"diff target missed: {ms(diff.timing.median)} > {ms(DIFF_TARGET_S)}")


if __name__ == "__main__":
    main()
