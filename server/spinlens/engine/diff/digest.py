"""Content hashes of arbitrary values, the way Metaflow decides an artifact changed."""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from typing import Literal

import cloudpickle


@dataclass(frozen=True)
class Digest:
    sha1: str
    size: int | None  # pickled bytes; None when only the repr could be hashed
    method: Literal["bytes", "pickle", "cloudpickle", "repr"]
    problem: str | None = None  # why it fell back to the repr


def _problem(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def digest(value: object) -> Digest:
    """SHA-1 of the pickle, or of the repr if nothing pickles the value.

    Plain pickle first: it names classes rather than copying them, so a class
    reloaded from the flow file pickles the same. Raises only if the repr fails too.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return Digest(hashlib.sha1(data).hexdigest(), len(data), "bytes")
    try:
        data = pickle.dumps(value, protocol=4)
        return Digest(hashlib.sha1(data).hexdigest(), len(data), "pickle")
    except Exception:  # lambdas, local classes: cloudpickle copes
        pass
    try:
        data = cloudpickle.dumps(value, protocol=4)
        return Digest(hashlib.sha1(data).hexdigest(), len(data), "cloudpickle")
    except Exception as exc:  # not picklable at all: the repr is all we have
        problem = _problem(exc)
    text = repr(value)
    return Digest(hashlib.sha1(text.encode("utf-8", "replace")).hexdigest(), None, "repr", problem)
