"""Cheap content fingerprints for artifact values: equal contents, equal fingerprints.

Metaflow decides whether an artifact changed by the SHA-1 of its protocol-4
pickle. Building that pickle copies every buffer (0.5 s for a 160 MB frame) and
its bytes depend on memory layout (a read-only or strided array pickles
differently from an equal fresh one). So we pickle into a hash instead, with
arrays and frames reduced to their logical content: dtype, shape and a CRC of
the data in C order, and columns one by one.

A spin child would pay that CRC again for every large input its step touched,
only to learn it is unchanged. Instead the kernel remembers each input array's
CRC by address, and a child forked from it reuses the CRC when the kernel's
page map shows that none of the array's pages has been written since the fork
(a write gives the child a private copy of the page).
"""

from __future__ import annotations

import hashlib
import io
import os
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


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PRESENT, _EXCLUSIVE = 1 << 63, 1 << 56
# (data address, bytes, dtype, shape) -> CRC, for arrays the kernel fingerprinted.
_kernel_crcs: dict[tuple[int, int, str, tuple[int, ...]], int] = {}
_reuse_kernel_crcs = False


def trust_kernel_pages() -> None:
    """Called in a freshly forked spin child: kernel CRCs of unwritten arrays hold."""
    global _reuse_kernel_crcs
    _reuse_kernel_crcs = True


class _PageMap:
    """Reads /proc/self/pagemap, opened once per fingerprint (opening costs more
    than reading a column's entries)."""

    def __init__(self) -> None:
        self._file: io.BufferedReader | None = None

    def shared_with_kernel(self, address: int, size: int) -> bool:
        """True when every page of [address, address+size) is present and still shared.

        Only the range's own pages are read: touching the Python object that owns
        the buffer (its refcount) would itself make the first page private.
        """
        numpy = sys.modules["numpy"]
        first, last = address // _PAGE_SIZE, (address + size - 1) // _PAGE_SIZE
        try:
            if self._file is None:
                self._file = open("/proc/self/pagemap", "rb")  # noqa: SIM115
            self._file.seek(first * 8)
            raw = self._file.read((last - first + 1) * 8)
        except OSError:
            return False
        if len(raw) != (last - first + 1) * 8:
            return False
        entries = numpy.frombuffer(raw, dtype=numpy.uint64)
        present = (entries & numpy.uint64(_PRESENT)) != 0
        exclusive = (entries & numpy.uint64(_EXCLUSIVE)) != 0
        return bool(present.all() and not exclusive.any())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _array_crc(numpy: Any, array: Any, remember: bool, pagemap: _PageMap) -> int:
    if not array.nbytes:
        return 0
    contiguous = array.flags.c_contiguous
    key = (array.ctypes.data, array.nbytes, array.dtype.str, array.shape)
    if contiguous and _reuse_kernel_crcs and key in _kernel_crcs:
        if pagemap.shared_with_kernel(array.ctypes.data, array.nbytes):
            return _kernel_crcs[key]
    crc = zlib.crc32(memoryview(numpy.ascontiguousarray(array)).cast("B"))
    if contiguous and remember:
        _kernel_crcs[key] = crc
    return crc


def _array_content(*fields: Any) -> None:
    """Stands for an array's content in a fingerprint; never called."""


def _frame_content(*fields: Any) -> None:
    """Stands for a DataFrame's content in a fingerprint; never called."""


class _FingerprintPickler(cloudpickle.Pickler):
    def __init__(self, file: io.BytesIO, remember: bool) -> None:
        super().__init__(file, protocol=5)
        self.data_bytes = 0
        self.remember = remember
        self.pagemap = _PageMap()

    def reducer_override(self, obj: Any) -> Any:
        numpy = sys.modules.get("numpy")
        if numpy is not None and type(obj) is numpy.ndarray and not obj.dtype.hasobject:
            self.data_bytes += obj.nbytes
            return _array_content, (
                obj.dtype.str,
                obj.shape,
                _array_crc(numpy, obj, self.remember, self.pagemap),
            )
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


def fingerprint(value: Any, remember: bool = False) -> Fingerprint:
    """The value's fingerprint; ``remember`` (in the kernel) keeps its arrays' CRCs."""
    stream = io.BytesIO()
    pickler = _FingerprintPickler(stream, remember)
    try:
        pickler.dump(value)
    except Exception as exc:  # any pickling failure means "cannot be stored"
        raise UnpicklableValue(f"{type(exc).__name__}: {exc}") from exc
    finally:
        pickler.pagemap.close()
    data = stream.getbuffer()
    return Fingerprint(hashlib.sha1(data).hexdigest(), data.nbytes + pickler.data_bytes)
