"""Fingerprints: equal contents match whatever the layout; any changed byte shows."""

from __future__ import annotations

import os
import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spinlens.engine import fingerprint as fp


def test_layout_does_not_matter() -> None:
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    readonly = base.copy()
    readonly.flags.writeable = False
    assert fp.fingerprint(base) == fp.fingerprint(readonly)
    assert fp.fingerprint(base) == fp.fingerprint(np.asfortranarray(base))
    assert fp.fingerprint(base[:, ::2]) == fp.fingerprint(base[:, ::2].copy())
    frame = pd.DataFrame(base, columns=list("abcdef"))
    per_column = pd.DataFrame({c: frame[c].to_numpy().copy() for c in frame.columns})
    assert fp.fingerprint(frame) == fp.fingerprint(per_column)
    assert fp.fingerprint(frame) == fp.fingerprint(pickle.loads(pickle.dumps(frame)))


def test_values_that_differ_only_in_kind_differ() -> None:
    assert fp.fingerprint(np.zeros(3, dtype=np.int64)) != fp.fingerprint(np.zeros(3))
    assert fp.fingerprint(np.zeros((2, 3))) != fp.fingerprint(np.zeros((3, 2)))
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    assert fp.fingerprint(frame) != fp.fingerprint(frame.rename(columns={"a": "b"}))


@given(
    arrays(np.float64, st.integers(1, 200), elements=st.floats(-1e6, 1e6)),
    st.data(),
)
def test_any_changed_element_changes_the_fingerprint(
    array: np.ndarray, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(array) - 1))
    changed = array.copy()
    changed[index] = changed[index] + 1.0
    assert fp.fingerprint(array) == fp.fingerprint(array.copy())
    assert fp.fingerprint(changed) != fp.fingerprint(array)


@given(st.recursive(st.none() | st.integers() | st.text(), lambda c: st.lists(c, max_size=4)))
def test_plain_values_match_their_copies(value: object) -> None:
    assert fp.fingerprint(value) == fp.fingerprint(pickle.loads(pickle.dumps(value)))


def test_unpicklable_values_are_named() -> None:
    with pytest.raises(fp.UnpicklableValue, match="lock"):
        fp.fingerprint({"lock": threading.Lock()})


def test_forked_child_reuses_kernel_crcs_only_for_unwritten_pages() -> None:
    frame = pd.DataFrame(np.random.default_rng(1).random((200_000, 4)), columns=list("wxyz"))
    in_kernel = fp.fingerprint(frame, remember=True)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the "spin child"
        try:
            fp.trust_kernel_pages()
            untouched = fp.fingerprint(frame) == in_kernel
            frame.iloc[123, 2] = -1.0
            written = fp.fingerprint(frame) == in_kernel
            os.write(write, bytes([untouched, written]))
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 2)
    os.waitpid(pid, 0)
    assert answer == bytes([True, False])
