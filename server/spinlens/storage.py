"""How spin history stores one artifact value on disk.

Tables and numeric arrays go to Arrow IPC files (uncompressed, so reading back
is a memory map, not a decode); everything else is cloudpickled. A value Arrow
cannot represent faithfully (object columns, say) falls back to a pickle.
"""

from __future__ import annotations

import json
import pickle
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import cloudpickle
import pyarrow as pa

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


def _as_arrow(value: Any) -> tuple[pa.Table, Flavour] | None:
    """The value as an Arrow table, or None if it is not a table or array."""
    pandas = sys.modules.get("pandas")
    numpy = sys.modules.get("numpy")
    polars = sys.modules.get("polars")
    if isinstance(value, pa.Table):
        return value, "arrow-table"
    if isinstance(value, pa.RecordBatch):
        return pa.Table.from_batches([value]), "arrow-batch"
    if pandas is not None and isinstance(value, pandas.DataFrame):
        return pa.Table.from_pandas(value, preserve_index=True), "pandas"
    if pandas is not None and isinstance(value, pandas.Series):
        frame = value.to_frame(name="__series__" if value.name is None else value.name)
        return pa.Table.from_pandas(frame, preserve_index=True), "pandas-series"
    if polars is not None and isinstance(value, polars.DataFrame):
        return value.to_arrow(), "polars"
    if numpy is not None and isinstance(value, numpy.ndarray) and value.dtype.kind in _ARRAY_KINDS:
        flat = numpy.ascontiguousarray(value).reshape(-1)
        if not flat.dtype.isnative:
            flat = flat.astype(flat.dtype.newbyteorder("="))
        table = pa.Table.from_arrays([pa.array(flat)], names=["values"])
        shape = {"shape": json.dumps(list(value.shape)), "dtype": value.dtype.str}
        return table.replace_schema_metadata(shape), "numpy"
    return None


def write_value(folder: Path, name: str, value: Any) -> StoredValue:
    """Write one value into folder; raises if it can be neither Arrow nor pickled."""
    try:
        converted = _as_arrow(value)
    except (pa.ArrowException, TypeError, ValueError):
        converted = None  # e.g. a column of Python objects: pickle it instead
    if converted is not None:
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
