"""Chunked comparison of flat NumPy arrays, with per-column statistics on the way.

Each chunk is small enough to stay in cache while we take its sum, min and max
and compare it with the other side, so a column is read from memory once
instead of once per statistic. Floats are compared by their bits first (equal
NaNs then need no special case) and only the differing positions are checked
numerically (-0.0 == 0.0, NaN payloads). Long columns and many columns are
split across threads: NumPy releases the GIL in these loops.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from .jsonsafe import jsonable

CHUNK = 1 << 17  # elements per chunk: two float64 chunks fit in a core's L2
SEGMENT = 1 << 22  # elements per thread job
PARALLEL_MIN = 1 << 20  # below this many elements threads cost more than they save
STAT_KINDS = "iuf"  # numpy kinds that get min / max / mean


@dataclass
class Stats:
    """Accumulated statistics of one column or array."""

    numeric: bool
    count: int = 0  # non-missing values
    nulls: int = 0  # missing values (NaN counts as missing, as in pandas)
    total: float = 0.0
    low: Any = None
    high: Any = None

    def add(self, chunk: np.ndarray) -> None:
        if not self.numeric:
            return
        if chunk.dtype.kind == "f":
            total = float(chunk.sum())
            if math.isnan(total):  # NaNs in the chunk (or inf - inf): the slow way
                missing = np.isnan(chunk)
                nulls = int(np.count_nonzero(missing))
                self.nulls += nulls
                if nulls == chunk.size:
                    return
                if nulls:
                    chunk = chunk[~missing]
                total = float(chunk.sum())
        else:
            total = float(chunk.sum(dtype=np.float64))
        self.count += chunk.size
        self.total += total
        self._bounds(chunk.min(), chunk.max())

    def merge(self, other: Stats) -> None:
        self.count += other.count
        self.nulls += other.nulls
        self.total += other.total
        if other.count:
            self._bounds(other.low, other.high)

    def _bounds(self, low: Any, high: Any) -> None:
        self.low = low if self.low is None or low < self.low else self.low
        self.high = high if self.high is None or high > self.high else self.high

    def to_dict(self) -> dict[str, Any]:
        if not self.numeric:
            return {"nulls": self.nulls}
        mean = self.total / self.count if self.count else None
        return {
            "nulls": self.nulls,
            "min": jsonable(self.low),
            "max": jsonable(self.high),
            "mean": jsonable(mean),
        }


@dataclass
class Scan:
    """Where two equal-length flat arrays differ, and their statistics."""

    positions: np.ndarray  # sorted int64 positions of differing elements
    complete: bool  # False when the deadline cut the scan short
    old: Stats
    new: Stats
    parts: list[np.ndarray] = field(default_factory=list, repr=False)  # while merging


def comparable(x: np.ndarray) -> np.ndarray:
    """A view whose != is what 'changed' means: datetimes by their integers (NaT == NaT)."""
    if x.dtype.kind in "mM":
        return x.view(np.int64)
    return x


def _differing(x: np.ndarray, y: np.ndarray, xbits: np.ndarray | None) -> np.ndarray:
    """Positions within the chunk where x and y differ (NaN equals NaN)."""
    if xbits is not None:  # floats: bits first, then the few candidates by value
        ybits = y.view(xbits.dtype)
        candidates = np.flatnonzero(xbits != ybits)
        if candidates.size == 0:
            return candidates
        a, b = x[candidates], y[candidates]
        return candidates[(a != b) & ~(np.isnan(a) & np.isnan(b))]
    differ = x != y
    if x.dtype.kind == "c":
        differ &= ~(np.isnan(x) & np.isnan(y))
    return np.flatnonzero(differ)


def _scan_segment(
    x: np.ndarray, y: np.ndarray | None, start: int, stop: int, deadline: float, stats: bool
) -> Scan:
    numeric = stats and x.dtype.kind in STAT_KINDS
    old, new = Stats(numeric), Stats(numeric)
    parts: list[np.ndarray] = []
    bits = np.dtype(f"i{x.dtype.itemsize}") if x.dtype.kind == "f" else None
    with np.errstate(all="ignore"):  # inf - inf and overflowing sums are fine here
        for position in range(start, stop, CHUNK):
            if time.perf_counter() > deadline:
                return Scan(np.empty(0, np.int64), False, old, new, parts)
            end = min(position + CHUNK, stop)
            xc = x[position:end]
            old.add(xc)
            if y is None:
                continue
            yc = y[position:end]
            new.add(yc)
            found = _differing(xc, yc, xc.view(bits) if bits is not None else None)
            if found.size:
                parts.append(found + position)
    return Scan(np.empty(0, np.int64), True, old, new, parts)


T = TypeVar("T")
R = TypeVar("R")


def map_threads(function: Callable[[T], R], items: Sequence[T], elements: int) -> list[R]:
    """function over items, in threads when there are elements enough to pay for them."""
    workers = min(os.cpu_count() or 1, 4, len(items))
    if workers < 2 or elements < PARALLEL_MIN:
        return [function(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(function, items))


def scan_pairs(
    pairs: Sequence[tuple[np.ndarray, np.ndarray | None]], deadline: float, stats: bool = True
) -> list[Scan]:
    """Compare each (old, new) pair of flat, equal-length, same-dtype arrays.

    new=None (or new is old) gives only old's statistics, copied to new.
    """
    jobs: list[tuple[int, np.ndarray, np.ndarray | None, int, int]] = []
    for i, (x, y) in enumerate(pairs):
        other = None if y is None or y is x else y
        for start in range(0, max(len(x), 1), SEGMENT):
            jobs.append((i, x, other, start, min(start + SEGMENT, len(x))))

    def run(job: tuple[int, np.ndarray, np.ndarray | None, int, int]) -> Scan:
        _, x, y, start, stop = job
        return _scan_segment(x, y, start, stop, deadline, stats)

    parts = map_threads(run, jobs, sum(len(x) for x, _ in pairs))

    results = [Scan(np.empty(0, np.int64), True, Stats(False), Stats(False)) for _ in pairs]
    first = [True] * len(pairs)
    for (i, *_), part in zip(jobs, parts, strict=True):
        result = results[i]
        if first[i]:
            result.old, result.new = part.old, part.new
            first[i] = False
        else:
            result.old.merge(part.old)
            result.new.merge(part.new)
        result.complete = result.complete and part.complete
        result.parts.extend(part.parts)
    for i, result in enumerate(results):
        if pairs[i][1] is None or pairs[i][1] is pairs[i][0]:
            result.new = result.old
        result.positions = (
            np.concatenate(result.parts) if result.parts else np.empty(0, np.int64)
        ).astype(np.int64, copy=False)
        result.parts = []
    return results


def cells_equal(a: Any, b: Any) -> bool:
    """Equality of two Python-level cells: NaN equals NaN; never raises."""
    if a is b:
        return True
    try:
        same = a == b
        if isinstance(same, bool | np.bool_):
            if same:
                return True
            return isinstance(a, float) and isinstance(b, float) and a != a and b != b
        # Array-valued cells (lists in an Arrow column, arrays in an object column).
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    except Exception:  # incomparable cells (or equal_nan on strings): fall back to repr
        try:
            return type(a) is type(b) and repr(a) == repr(b)
        except Exception:  # a broken __repr__: call them different
            return False


def object_positions(
    xs: Sequence[Any], ys: Sequence[Any], deadline: float
) -> tuple[np.ndarray, bool]:
    """Positions where two equal-length sequences of cells differ, Python-level;
    and whether all were compared before the deadline."""
    found: list[int] = []
    for i in range(len(xs)):
        if i % 4096 == 0 and time.perf_counter() > deadline:
            return np.asarray(found, np.int64), False
        if not cells_equal(xs[i], ys[i]):
            found.append(i)
    return np.asarray(found, np.int64), True
