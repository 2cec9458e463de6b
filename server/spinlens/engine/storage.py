"""How spin history stores one artifact value on disk.

Tables and numeric arrays go to Arrow IPC files (uncompressed, so reading back
is a memory map, not a decode) when pyarrow is installed; everything else, and
everything where pyarrow is not, is cloudpickled. A value Arrow cannot represent
faithfully (object columns, say) falls back to a pickle.
"""

from __future__ import annotations

import json
import pickle
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import cloudpickle

Format = Literal["arrow", "pickle"]
Flavour = Literal[
    "pandas", "pandas-series", "polars", "arrow-table", "arrow-batch", "numpy", "object"
]
_ARRAY_KINDS = "biuf"  # numpy kinds whose arrays map onto Arrow without loss


@dataclass(frozen=True)
class StoredValue:
    format: Format
    flavour: Flavour  # what read_value gives back
    file: str  # name within the spin's folder
    bytes: int  # size on disk

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> StoredValue:
        return StoredValue(**data)


class MissingPyarrow(ImportError):
    """An Arrow record read by a Python without pyarrow (written by one that had it)."""


def _pyarrow() -> Any | None:
    """pyarrow if installed (it is optional), imported when a table or array is first
    stored or read: with numpy it costs ~100 ms, which the language server need not
    pay at start."""
    try:
        import pyarrow
    except ImportError:
        return None
    return pyarrow


def _tabular(value: Any) -> bool:
    """A table or numeric array, which is stored as Arrow IPC."""
    pyarrow, pandas, polars, numpy = (
        sys.modules.get(name) for name in ("pyarrow", "pandas", "polars", "numpy")
    )
    return (
        (pyarrow is not None and isinstance(value, (pyarrow.Table, pyarrow.RecordBatch)))
        or (pandas is not None and isinstance(value, (pandas.DataFrame, pandas.Series)))
        or (polars is not None and isinstance(value, polars.DataFrame))
        or (
            numpy is not None
            and isinstance(value, numpy.ndarray)
            and value.dtype.kind in _ARRAY_KINDS
        )
    )


def _as_arrow(value: Any) -> tuple[Any, Flavour] | None:
    """The value as an Arrow table, or None if it is not a table or array (or has
    columns Arrow cannot hold, such as Python objects: it is pickled then)."""
    if not _tabular(value):
        return None
    pa = _pyarrow()
    if pa is None:
        return None
    try:
        return _convert(pa, value)
    except (pa.ArrowException, TypeError, ValueError):
        return None


def _convert(pa: Any, value: Any) -> tuple[Any, Flavour]:
    pandas, numpy = sys.modules.get("pandas"), sys.modules.get("numpy")
    if isinstance(value, pa.Table):
        return value, "arrow-table"
    if isinstance(value, pa.RecordBatch):
        return pa.Table.from_batches([value]), "arrow-batch"
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return pa.Table.from_pandas(value, preserve_index=True), "pandas"
    if pandas is not None and isinstance(value, pandas.Series):
        frame = value.to_frame(name="__series__" if value.name is None else value.name)
        return pa.Table.from_pandas(frame, preserve_index=True), "pandas-series"
    if numpy is not None and isinstance(value, numpy.ndarray):
        flat = numpy.ascontiguousarray(value).reshape(-1)
        if not flat.dtype.isnative:
            flat = flat.astype(flat.dtype.newbyteorder("="))
        table = pa.Table.from_arrays([pa.array(flat)], names=["values"])
        shape = {"shape": json.dumps(list(value.shape)), "dtype": value.dtype.str}
        return table.replace_schema_metadata(shape), "numpy"
    return value.to_arrow(), "polars"


def write_value(folder: Path, name: str, value: Any) -> StoredValue:
    """Write one value into folder; raises if it can be neither Arrow nor pickled."""
    converted = _as_arrow(value)
    pa = _pyarrow() if converted is not None else None
    if converted is not None and pa is not None:
        table, flavour = converted
        path = folder / f"{name}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        return StoredValue("arrow", flavour, path.name, path.stat().st_size)
    path = folder / f"{name}.pkl"
    with open(path, "wb") as handle:
        cloudpickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return StoredValue("pickle", "object", path.name, path.stat().st_size)


def read_value(folder: Path, stored: StoredValue) -> Any:
    path = folder / stored.file
    if stored.format == "pickle":
        with open(path, "rb") as handle:
            return pickle.load(handle)
    # The table's buffers point into the memory map, which stays mapped for as
    # long as anything refers to them.
    pa = _pyarrow()
    if pa is None:
        raise MissingPyarrow(f"{stored.file} is stored as Arrow IPC; reading it needs pyarrow")
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    if stored.flavour == "arrow-table":
        return table
    if stored.flavour == "arrow-batch":
        return table.combine_chunks().to_batches()[0]
    if stored.flavour == "polars":
        import polars

        return polars.from_arrow(table)
    if stored.flavour == "numpy":
        metadata = table.schema.metadata or {}
        shape = json.loads(metadata[b"shape"])
        import numpy

        column = table.column("values").combine_chunks()
        flat = column.to_numpy(zero_copy_only=False)
        return flat.astype(numpy.dtype(metadata[b"dtype"].decode()), copy=False).reshape(shape)
    frame = table.to_pandas()
    if stored.flavour == "pandas-series":
        series = frame.iloc[:, 0]
        return series.rename(None) if series.name == "__series__" else series
    return frame
