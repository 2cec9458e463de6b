"""diff_values: equal values say unchanged, any single change is found and located."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spinlens.engine.diff import DiffLimits, ValueDiff, diff_values

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(old: Any, new: Any, limits: DiffLimits | None = None) -> ValueDiff:
    """diff_values, plus the invariants every result keeps."""
    result = diff_values(old, new) if limits is None else diff_values(old, new, limits)
    assert isinstance(result, ValueDiff)
    json.dumps(result.to_dict(), allow_nan=False)
    assert len(result.summary) <= 200
    return result


# --- strategies ---------------------------------------------------------------------------

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
finite = st.floats(-1e6, 1e6, allow_nan=False)
ints = st.integers(-(2**40), 2**40)
words = st.text("abcxyz é", max_size=6)
scalars = st.none() | st.booleans() | ints | floats | words


def nested() -> st.SearchStrategy[Any]:
    hashable = st.none() | st.booleans() | ints | finite | words
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=5)
            | st.tuples(children, children)
            | st.dictionaries(words, children, max_size=5)
            | st.frozensets(hashable, max_size=5)
            | st.sets(hashable, max_size=5)
        ),
        max_leaves=25,
    )


COLUMN_KINDS = ("float", "int", "bool", "str")


@st.composite
def frames(draw: st.DrawFn, min_rows: int = 0) -> pd.DataFrame:
    rows = draw(st.integers(min_rows, 30))
    kinds = draw(st.lists(st.sampled_from(COLUMN_KINDS), min_size=1, max_size=5))
    data: dict[str, Any] = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            values = draw(st.lists(floats, min_size=rows, max_size=rows))
            data[f"c{i}"] = np.array(values, dtype=np.float64)
        elif kind == "int":
            data[f"c{i}"] = np.array(draw(st.lists(ints, min_size=rows, max_size=rows)))
        elif kind == "bool":
            data[f"c{i}"] = np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
        else:
            data[f"c{i}"] = draw(st.lists(st.none() | words, min_size=rows, max_size=rows))
    return pd.DataFrame(data, index=pd.RangeIndex(rows))


def other_value(old: Any, kind: str, draw: Callable[[st.SearchStrategy[Any]], Any]) -> Any:
    """A cell value that differs from old (NaN and None included)."""
    strategy = {"float": floats, "int": ints, "bool": st.booleans(), "str": st.none() | words}
    return draw(
        strategy[kind].filter(
            lambda v: (
                not (
                    v == old
                    or (v is None and old is None)
                    or (isinstance(v, float) and isinstance(old, float) and v != v and old != old)
                    or (kind == "float" and v == 0 and old == 0)  # -0.0 == 0.0
                )
            )
        )
    )


# --- properties ---------------------------------------------------------------------------


@PROPERTY
@given(frames())
def test_frame_equals_itself_and_its_copy(frame: pd.DataFrame) -> None:
    assert not check(frame, frame).changed
    result = check(frame, copy.deepcopy(frame))
    assert not result.changed, result.summary
    assert result.kind == "table" and result.detail["changed_cells"] == 0


@PROPERTY
@given(frames())
def test_polars_frame_equals_itself_and_its_copy(frame: pd.DataFrame) -> None:
    table = pl.from_pandas(frame)
    assert not check(table, table).changed
    assert not check(table, table.clone()).changed
    assert not check(table.to_arrow(), pl.from_pandas(frame).to_arrow()).changed


@PROPERTY
@given(
    hnp.arrays(
        st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex128]),
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
    )
)
def test_array_equals_itself_and_its_copy(array: np.ndarray) -> None:
    assert not check(array, array).changed
    result = check(array, array.copy())
    assert not result.changed and result.detail["changed_elements"] == 0


@PROPERTY
@given(nested())
def test_nested_value_equals_itself_and_its_copy(value: Any) -> None:
    assert not check(value, value).changed
    assert not check(value, copy.deepcopy(value)).changed


@PROPERTY
@given(st.text() | st.binary(), st.integers() | floats)
def test_text_and_numbers_equal_themselves(text: Any, number: Any) -> None:
    assert not check(text, copy.copy(text)).changed
    assert not check(number, copy.copy(number)).changed


any_value = nested() | frames() | hnp.arrays(np.float64, st.integers(0, 4))


@PROPERTY
@given(any_value, any_value)
def test_any_two_values_give_a_bounded_json_safe_diff(old: Any, new: Any) -> None:
    result = check(old, new)
    assert result.kind != "error", result.error
    assert len(json.dumps(result.to_dict())) < 200_000


@PROPERTY
@given(st.data(), frames(min_rows=1), st.booleans())
def test_single_changed_cell_is_found_and_located(
    data: st.DataObject, frame: pd.DataFrame, labelled: bool
) -> None:
    if labelled:
        frame.index = pd.Index([f"r{i}" for i in range(len(frame))])
    row = data.draw(st.integers(0, len(frame) - 1))
    column = data.draw(st.sampled_from(list(frame.columns)))
    kind = {"float64": "float", "int64": "int", "bool": "bool"}.get(str(frame[column].dtype), "str")
    old_value = frame[column].to_numpy(dtype=object)[row]
    if kind == "str" and not isinstance(old_value, str):
        old_value = None  # pandas stores a missing string as NaN
    new_value = other_value(old_value, kind, data.draw)
    changed = frame.copy()
    values = changed[column].to_numpy(copy=True)
    values[row] = new_value
    changed[column] = values

    result = check(frame, changed)
    assert result.changed and result.kind == "table"
    assert result.detail["changed_cells"] == 1
    assert result.detail["changed_by_column"] == {column: 1}
    (entry,) = result.detail["sample"]
    assert entry["key"] == (f"r{row}" if labelled else row)
    assert list(entry["old"]) == [column] and list(entry["new"]) == [column]

    # The same change seen through polars (aligned by position).
    result = check(pl.from_pandas(frame), pl.from_pandas(changed))
    assert result.detail["changed_cells"] == 1, result.summary
    assert result.detail["sample"][0]["key"] == row


@PROPERTY
@given(
    st.data(),
    hnp.arrays(
        st.sampled_from([np.float64, np.int32, np.bool_]),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    ),
)
def test_single_changed_element_is_found_and_located(
    data: st.DataObject, array: np.ndarray
) -> None:
    flat = data.draw(st.integers(0, array.size - 1))
    index = np.unravel_index(flat, array.shape)
    old = array[index].item()
    if array.dtype.kind == "b":
        new: Any = not old
    elif array.dtype.kind == "i":
        new = data.draw(st.integers(-(2**31), 2**31 - 1).filter(lambda v: v != old))
    else:
        new = data.draw(floats.filter(lambda v: v != old and not (v != v and old != old)))
        assume(not (new == 0 and old == 0))
    changed = array.copy()
    changed[index] = new
    result = check(array, changed)
    assert result.changed and result.detail["changed_elements"] == 1
    assert result.detail["sample"][0]["index"] == [int(i) for i in index]


@st.composite
def mapping_edits(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], list[str], str, str]:
    """A nested dict, a copy with one key changed / added / removed, the path and the edit."""
    leaves = st.none() | st.booleans() | ints | finite | words | st.lists(ints, max_size=3)
    tree = draw(
        st.recursive(
            st.dictionaries(words, leaves, max_size=4),
            lambda children: st.dictionaries(words, children | leaves, min_size=1, max_size=4),
            max_leaves=12,
        )
    )
    edited = copy.deepcopy(tree)
    path: list[str] = []
    node: dict[str, Any] = edited
    while True:
        nested_keys = [k for k, v in node.items() if isinstance(v, dict)]
        if not nested_keys or draw(st.booleans()):
            break
        key = draw(st.sampled_from(sorted(nested_keys)))
        path.append(key)
        node = node[key]
    edits = ["add"] + (["change", "remove"] if node else [])
    edit = draw(st.sampled_from(edits))
    if edit == "add":
        key = draw(words.filter(lambda k: k not in node))
        node[key] = draw(leaves)
    else:
        key = draw(st.sampled_from(sorted(node)))
        if edit == "remove":
            del node[key]
        else:
            node[key] = draw(
                leaves.filter(lambda v: v != node[key] or type(v) is not type(node[key]))
            )
    return tree, edited, path, edit, key


@PROPERTY
@given(mapping_edits())
def test_single_mapping_edit_is_found_and_located(
    case: tuple[dict[str, Any], dict[str, Any], list[str], str, str],
) -> None:
    old, new, path, edit, key = case
    result = check(old, new).to_dict()
    assert result["changed"]
    for step in path:
        (entry,) = result["detail"]["changed"]
        assert entry["key"] == step
        result = entry["diff"]
    detail = result["detail"]
    located = {"add": "added", "remove": "removed", "change": "changed"}[edit]
    assert [e["key"] for e in detail[located]] == [key]
    others = {"added", "removed", "changed"} - {located}
    assert all(detail[o] == [] for o in others)


# --- tables -------------------------------------------------------------------------------


def test_schema_changes() -> None:
    old = pd.DataFrame({"a": [1, 2], "b": [1.0, 2.0], "c": ["x", "y"]})
    new = pd.DataFrame({"a": [1.0, 2.0], "c": ["x", "y"], "d": [True, False]})
    result = check(old, new)
    assert result.changed
    schema = result.detail["schema"]
    assert schema["added"] == ["d"] and schema["removed"] == ["b"]
    assert schema["retyped"] == [{"column": "a", "old": "int64", "new": "double"}]
    assert result.detail["changed_cells"] == 0  # 1 == 1.0
    assert "column 'd' added" in result.summary and "retyped int64 → double" in result.summary
    assert result.detail["columns"]["b"]["new"] is None
    assert result.detail["columns"]["d"]["old"] is None


def test_row_count_change_has_no_cell_counts() -> None:
    old = pd.DataFrame({"x": np.arange(5.0)})
    result = check(old, old.iloc[:3])
    assert result.changed and result.detail["aligned_by"] is None
    assert result.detail["rows"] == [5, 3] and result.detail["changed_cells"] is None
    assert result.summary.startswith("rows 5 → 3")


def test_reordered_rows_align_by_index() -> None:
    old = pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]}, index=["p", "q", "r"])
    new = old.iloc[[2, 0, 1]].copy()
    new.loc["q", "x"] = 20.0
    result = check(old, new)
    assert result.detail["aligned_by"] == "index" and result.detail["rows_reordered"]
    assert result.detail["changed_cells"] == 1
    assert result.detail["sample"] == [{"key": "q", "old": {"x": 2.0}, "new": {"x": 20.0}}]


def test_different_index_aligns_by_position() -> None:
    old = pd.DataFrame({"x": [1, 2]}, index=[0, 1])
    result = check(old, pd.DataFrame({"x": [1, 3]}, index=[5, 6]))
    assert result.detail["aligned_by"] == "position" and result.detail["index_changed"]
    assert result.detail["sample"][0]["key"] == 1


def test_nan_equals_nan_and_statistics_skip_it() -> None:
    old = pd.DataFrame({"x": [1.0, np.nan, 3.0, np.inf]})
    same = pd.DataFrame({"x": [1.0, float("nan"), 3.0, np.inf]})
    result = check(old, same)
    assert not result.changed
    stats = result.detail["columns"]["x"]["old"]
    assert stats == {"nulls": 1, "min": 1.0, "max": "inf", "mean": "inf"}
    changed = check(old, pd.DataFrame({"x": [1.0, 2.0, 3.0, np.inf]}))
    assert changed.detail["sample"] == [{"key": 1, "old": {"x": "NaN"}, "new": {"x": 2.0}}]


def test_minus_zero_equals_zero() -> None:
    assert not check(np.array([0.0, 1.0]), np.array([-0.0, 1.0])).changed
    assert not check(pd.DataFrame({"x": [0.0]}), pd.DataFrame({"x": [-0.0]})).changed


def test_arrow_tables_and_record_batches() -> None:
    old = pa.table({"a": [1, 2, None], "s": ["x", None, "z"]})
    new = pa.table({"a": [1, 5, None], "s": ["x", None, "w"]})
    result = check(old, new)
    assert result.detail["changed_cells"] == 2
    assert result.detail["changed_by_column"] == {"a": 1, "s": 1}
    assert result.detail["columns"]["a"]["old"] == {"nulls": 1, "min": 1, "max": 2, "mean": 1.5}
    batch = check(old.to_batches()[0], new.to_batches()[0])
    assert batch.kind == "table" and batch.detail["changed_cells"] == 2
    assert not check(old, pa.table({"a": [1, 2, None], "s": ["x", None, "z"]})).changed


def test_series_is_a_one_column_table() -> None:
    old = pd.Series([1.0, 2.0, 3.0], name="loss")
    result = check(old, pd.Series([1.0, 2.5, 3.0], name="loss"))
    assert result.kind == "table" and result.detail["changed_by_column"] == {"loss": 1}
    assert result.summary == "1 of 3 rows changed in 1 column"


def test_polars_frames_with_nulls() -> None:
    old = pl.DataFrame({"a": [1, None, 3], "s": ["x", "y", None], "f": [0.5, None, 1.5]})
    new = pl.DataFrame({"a": [1, None, 4], "s": ["x", "y", None], "f": [0.5, 2.0, 1.5]})
    result = check(old, new)
    assert result.detail["changed_by_column"] == {"a": 1, "f": 1}
    assert [s["key"] for s in result.detail["sample"]] == [1, 2]
    assert result.detail["columns"]["s"]["old"] == {"nulls": 1}


def test_pandas_extension_and_object_columns() -> None:
    old = pd.DataFrame(
        {
            "cat": pd.Categorical(["a", "b", "a"]),
            "ints": pd.array([1, None, 3], dtype="Int64"),
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01"]),
            "mixed": [1, "x", None],
        }
    )
    assert not check(old, old.copy()).changed
    new = old.copy()
    new["cat"] = pd.Categorical(["a", "b", "b"])
    new["mixed"] = [1, "y", None]
    result = check(old, new)
    assert result.detail["changed_by_column"] == {"cat": 1, "mixed": 1}
    assert result.detail["columns"]["when"]["old"]["min"].startswith("2024-01-01")


def test_pandas_and_polars_with_equal_content_differ_only_in_type() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    result = check(frame, pl.from_pandas(frame))
    assert result.kind == "table" and result.changed
    assert result.detail["changed_cells"] == 0 and "contents equal" in result.summary


def test_table_sample_is_capped() -> None:
    old = pd.DataFrame({"x": np.zeros(100)})
    result = check(old, pd.DataFrame({"x": np.ones(100)}), DiffLimits(max_rows=5))
    assert result.detail["changed_cells"] == 100 and len(result.detail["sample"]) == 5
    assert result.truncated


def test_wide_table_reports_changed_columns_first() -> None:
    old = pd.DataFrame({f"c{i}": [0.0] for i in range(100)})
    new = old.copy()
    new["c99"] = 1.0
    result = check(old, new, DiffLimits(max_entries=10))
    assert "c99" in result.detail["columns"] and len(result.detail["columns"]) == 10
    assert result.truncated


def test_large_equal_frames_use_the_threaded_scan() -> None:
    rng = np.random.default_rng(1)
    old = pd.DataFrame(rng.standard_normal((300_000, 4)), columns=list("abcd"))
    new = old.copy()
    new.iloc[123_456, 2] = 7.0
    result = check(old, new)
    assert result.detail["changed_by_column"] == {"c": 1}
    assert result.detail["sample"][0]["key"] == 123_456
    mean = result.detail["columns"]["a"]["old"]["mean"]
    assert math.isclose(mean, float(old["a"].mean()), rel_tol=1e-9, abs_tol=1e-12)


# --- arrays -------------------------------------------------------------------------------


def test_array_differences() -> None:
    old = np.array([[1.0, 2.0], [np.nan, 4.0]])
    new = np.array([[1.0, 3.0], [np.nan, 2.0]])
    result = check(old, new)
    assert result.detail["changed_elements"] == 2
    assert result.detail["max_abs_diff"] == 2.0 and result.detail["max_rel_diff"] == 0.5
    assert result.detail["sample"] == [
        {"index": [0, 1], "old": 2.0, "new": 3.0},
        {"index": [1, 1], "old": 4.0, "new": 2.0},
    ]


def test_array_shape_and_dtype_changes() -> None:
    result = check(np.zeros((2, 3)), np.zeros((3, 2)))
    assert result.changed and result.detail["changed_elements"] is None
    assert result.detail["shape"] == [[2, 3], [3, 2]]
    result = check(np.arange(3), np.arange(3, dtype=np.float32))
    assert result.changed and result.detail["changed_elements"] == 0
    assert result.summary == "dtype int64 → float32"


def test_string_object_and_datetime_arrays() -> None:
    assert check(np.array(["a", "b"]), np.array(["a", "c"])).detail["changed_elements"] == 1
    objects = np.array([{"k": 1}, None], dtype=object)
    assert not check(objects, copy.deepcopy(objects)).changed
    times = np.array(["2024-01-01", "NaT"], dtype="datetime64[s]")
    assert not check(times, times.copy()).changed
    assert check(times, times + np.timedelta64(1, "s")).detail["changed_elements"] == 1


# --- containers ---------------------------------------------------------------------------


def test_sequences_report_insertions_as_added() -> None:
    result = check([1, 2, 3, 4], [1, 2, 99, 3, 4])
    detail = result.detail
    assert detail["added"] == [{"index": 2, "value": 99}]
    assert detail["changed"] == [] and detail["removed"] == []
    result = check([1, 2, 3], [1, 5, 3])
    assert result.detail["changed"][0]["index"] == 1
    assert result.detail["changed"][0]["diff"]["kind"] == "number"


def test_list_to_tuple_is_a_change() -> None:
    result = check([1, 2], (1, 2))
    assert result.changed and result.kind == "sequence"
    assert result.detail["type"] == ["list", "tuple"]


def test_sets() -> None:
    result = check({1, 2, 3}, frozenset({2, 3, 4}))
    assert result.kind == "set" and result.detail["added"] == [4]
    assert result.detail["removed"] == [1]


def test_mapping_caps_and_depth() -> None:
    old = {f"k{i}": i for i in range(100)}
    new = {f"k{i}": i + 1 for i in range(100)}
    result = check(old, new, DiffLimits(max_entries=7))
    assert result.detail["counts"]["changed"] == 100
    assert len(result.detail["changed"]) == 7 and result.truncated

    deep_old: Any = 1
    deep_new: Any = 2
    for _ in range(10):
        deep_old, deep_new = {"k": deep_old}, {"k": deep_new}
    result = check(deep_old, deep_new, DiffLimits(max_depth=2))
    inner = result.to_dict()
    for _ in range(3):
        inner = inner["detail"]["changed"][0]["diff"]
    assert inner["changed"] and inner["detail"] == {"depth_limited": True}


def test_nested_arrays_in_dicts() -> None:
    old = {"w": np.arange(4.0), "meta": {"n": 4}}
    new = {"w": np.arange(4.0) + [0, 0, 1, 0], "meta": {"n": 4}}
    result = check(old, new)
    (entry,) = result.detail["changed"]
    assert entry["key"] == "w" and entry["diff"]["detail"]["changed_elements"] == 1


# --- scalars ------------------------------------------------------------------------------


def test_numbers() -> None:
    result = check(0.5, 0.75)
    assert result.detail == {"old": 0.5, "new": 0.75, "abs_change": 0.25, "rel_change": 0.5}
    assert result.summary == "0.5 → 0.75 (+0.25, +50%)"
    assert check(0, 3).detail["rel_change"] is None
    retyped = check(np.float64(1.5), 1.5)  # numpy.float64 → float: same value, new type
    assert retyped.changed and retyped.detail["type"] == ["numpy.float64", "float"]
    assert not check(float("nan"), float("nan")).changed
    assert check(np.int64(3), np.int64(4)).detail["abs_change"] == 1
    mixed = check(1, 1.5)
    assert mixed.kind == "number" and mixed.detail["abs_change"] == 0.5
    json.dumps(check(float("inf"), 1.0).to_dict(), allow_nan=False)


def test_bool_and_none_are_not_numbers() -> None:
    assert check(True, False).kind == "bool"
    assert check(True, 1).kind == "type"
    assert check(None, 0).kind == "type"
    result = check(None, None)
    assert result.kind == "none" and not result.changed


def test_text_unified_diff() -> None:
    old = "".join(f"line {i}\n" for i in range(20))
    new = old.replace("line 10\n", "line ten\n")
    result = check(old, new)
    assert result.detail["added"] == 1 and result.detail["removed"] == 1
    diff = result.detail["diff"]
    assert diff[:3] == ["--- old", "+++ new", "@@ -8,7 +8,7 @@"]
    assert "-line 10" in diff and "+line ten" in diff
    assert check("a", "b").summary == "'a' → 'b'"


def test_text_diff_is_capped() -> None:
    old = "\n".join(str(i) for i in range(1000))
    new = "\n".join(str(-i) for i in range(1000))
    result = check(old, new, DiffLimits(max_text_lines=30))
    assert len(result.detail["diff"]) == 30 and result.truncated


def test_bytes() -> None:
    result = check(b"abc", b"abd")
    assert result.changed and result.kind == "object"
    assert result.detail["size"] == [3, 3]
    assert not check(b"abc", bytes([97, 98, 99])).changed


# --- objects ------------------------------------------------------------------------------


class Estimator:
    """The scikit-learn protocol in miniature."""

    def __init__(self, depth: int = 3, rate: float = 0.1) -> None:
        self.depth = depth
        self.rate = rate

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {"depth": self.depth, "rate": self.rate}

    def fit(self, scale: float) -> Estimator:
        self.coef_ = np.arange(3.0) * scale
        return self


def test_get_params_objects() -> None:
    result = check(Estimator(3, 0.1), Estimator(5, 0.1))
    assert result.kind == "params" and result.changed
    assert [c["key"] for c in result.detail["changed"]] == ["depth"]
    assert not check(Estimator(), Estimator()).changed
    fitted = check(Estimator().fit(1.0), Estimator().fit(2.0))
    assert fitted.changed and fitted.detail["fitted"]["changed"][0]["key"] == "coef_"
    assert not check(Estimator().fit(1.0), Estimator().fit(1.0)).changed


def test_get_params_that_raises_is_reported() -> None:
    class Broken(Estimator):
        def get_params(self, deep: bool = True) -> dict[str, Any]:
            raise RuntimeError("no params today")

    result = check(Broken(), Broken())
    assert result.kind == "error" and result.changed
    assert result.error == "RuntimeError: no params today"


@dataclasses.dataclass
class Config:
    lr: float
    layers: list[int]
    name: str = "net"


def test_dataclasses() -> None:
    result = check(Config(0.1, [8, 4]), Config(0.1, [8, 2]))
    assert result.kind == "params" and result.detail["source"] == "fields"
    (entry,) = result.detail["changed"]
    assert entry["key"] == "layers" and entry["diff"]["detail"]["changed"][0]["index"] == 1
    assert not check(Config(0.1, [1]), Config(0.1, [1])).changed


class Opaque:
    def __init__(self, state: int) -> None:
        self.state = state


def test_fallback_objects() -> None:
    result = check(Opaque(1), Opaque(2))
    assert result.kind == "object" and result.changed
    assert result.detail["type"] == [f"{__name__}.Opaque"] * 2
    assert result.detail["hashed"] == ["pickle", "pickle"]
    assert not check(Opaque(1), Opaque(1)).changed
    unpicklable = check(lambda: 1, lambda: 1)
    assert unpicklable.kind == "object"


class Hostile:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def __getstate__(self) -> Any:
        raise RuntimeError("no pickling")

    __hash__ = object.__hash__


def test_hostile_objects_are_reported_not_raised() -> None:
    result = check(Hostile(), Hostile())
    assert result.kind == "object" and result.changed
    assert any("no pickling" in note for note in result.detail["notes"])
    assert any("no comparing" in note for note in result.detail["notes"])
    one = Hostile()
    assert not check(one, one).changed
    nested = check({"h": Hostile()}, {"h": Hostile()})
    assert nested.changed


class BrokenRepr:
    def __repr__(self) -> str:
        raise ValueError("no repr")

    def __reduce__(self) -> Any:
        raise TypeError("no pickle")


def test_value_that_cannot_be_hashed_at_all_gives_an_error() -> None:
    result = check(BrokenRepr(), BrokenRepr())
    assert result.kind == "error" and result.error is not None


def test_type_mismatch() -> None:
    result = check({"a": 1}, [1])
    assert result.kind == "type" and result.changed
    assert result.detail["type"] == ["dict", "list"]
    assert result.detail["repr"] == ["{'a': 1}", "[1]"]
    assert check(pd.DataFrame({"x": [1]}), np.array([1])).kind == "type"


def test_time_budget_is_reported() -> None:
    old = {i: [i] for i in range(2000)}
    new = {i: [i + 1] for i in range(2000)}
    result = check(old, new, DiffLimits(time_budget_s=0.0))
    assert result.changed and result.truncated
    assert result.error is not None and result.error.startswith("timed out")


def test_everything_is_json_safe() -> None:
    values = [
        float("nan"),
        {"x": [float("inf"), -float("inf")], ("t", 1): {1, 2}},
        pd.DataFrame({"x": [np.nan, np.inf], "t": pd.to_datetime(["2024-01-01", None])}),
        np.array([np.nan, np.inf]),
        Config(float("nan"), []),
    ]
    for value in values:
        other = copy.deepcopy(value)
        check(value, other)
        check(value, 1)


@pytest.mark.parametrize("limit", [1, 5])
def test_summaries_stay_short(limit: int) -> None:
    old = {"k" * 300 + str(i): "v" * 500 for i in range(limit)}
    new = {key: value + "!" for key, value in old.items()}
    result = check(old, new)
    assert len(result.summary) <= 200
    assert all(len(json.dumps(e)) < 5000 for e in result.detail["changed"])
