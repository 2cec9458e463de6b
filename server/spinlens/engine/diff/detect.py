"""Which values are tables or arrays, decided without importing numpy or pyarrow.

A value can only be an ndarray or a DataFrame if its library is already loaded,
so ``sys.modules`` answers without an import: a step that never touched numpy
costs no numpy import here, and an environment without numpy never needs it.
Table diffs also need pyarrow and numpy installed; without them a table is
compared as an object (pickles and repr).
"""

from __future__ import annotations

import sys
from functools import cache
from importlib.util import find_spec
from typing import Any


@cache
def _installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):  # a broken or half-removed install
        return False


def can_diff_tables() -> bool:
    return _installed("pyarrow") and _installed("numpy")


def is_array(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(value, numpy.ndarray)


def is_table(value: Any) -> bool:
    if not can_diff_tables():
        return False
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series):
        return True
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(value, polars.DataFrame | polars.Series):
        return True
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(
        value, pa.Table | pa.RecordBatch | pa.Array | pa.ChunkedArray
    )
