"""Cheap content fingerprints for artifact values: equal contents, equal fingerprints.

Metaflow decides whether an artifact changed by the SHA-1 of its protocol-4
pickle. Building that pickle copies every buffer (0.5 s for a 160 MB frame) and
its bytes depend on memory layout (a read-only or strided array pickles
differently from an equal fresh one). So we pickle into a hash instead, with
arrays and frames reduced to their logical content: dtype, shape and a CRC of
the data in C order, and columns one by one.
"""

from __future__ import annotations

import hashlib
import io
import sys
import zlib
from dataclasses import dataclass
from typing import Any

import cloudpickle


@dataclass(frozen=True)
class Fingerprint:
    digest: str
    size: int  # bytes of the value's data, roughly what storing it costs


class UnpicklableValue(Exception):
    """The value cannot be pickled, so Metaflow could not store it either."""


def _array_content(*fields: Any) -> None:
    """Stands for an array's content in a fingerprint; never called."""


def _frame_content(*fields: Any) -> None:
    """Stands for a DataFrame's content in a fingerprint; never called."""


class _FingerprintPickler(cloudpickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=5)
        self.data_bytes = 0

    def reducer_override(self, obj: Any) -> Any:
        numpy = sys.modules.get("numpy")
        if numpy is not None and type(obj) is numpy.ndarray and not obj.dtype.hasobject:
            data = numpy.ascontiguousarray(obj)
            self.data_bytes += data.nbytes
            crc = zlib.crc32(memoryview(data).cast("B")) if data.nbytes else 0
            return _array_content, (obj.dtype.str, obj.shape, crc)
        pandas = sys.modules.get("pandas")
        if pandas is not None and type(obj) is pandas.DataFrame:
            columns = tuple(obj.iloc[:, i] for i in range(obj.shape[1]))
            values = tuple(
                c.to_numpy() if isinstance(c.dtype, numpy.dtype) else c  # type: ignore[union-attr]
                for c in columns
            )
            return _frame_content, (
                list(obj.columns),
                obj.index,
                [str(c.dtype) for c in columns],
                values,
            )
        return super().reducer_override(obj)


def fingerprint(value: Any) -> Fingerprint:
    stream = io.BytesIO()
    pickler = _FingerprintPickler(stream)
    try:
        pickler.dump(value)
    except Exception as exc:  # any pickling failure means "cannot be stored"
        raise UnpicklableValue(f"{type(exc).__name__}: {exc}") from exc
    data = stream.getbuffer()
    return Fingerprint(hashlib.sha1(data).hexdigest(), data.nbytes + pickler.data_bytes)
