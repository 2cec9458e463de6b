"""Spin history: values stored and read back, atomic records, retention, three comparisons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, scalar_dtypes
from hypothesis.extra.pandas import column, data_frames, range_indexes

from flowruns import FlowRun, assert_same, latest_run_id
from spinlens import SpinSession
from spinlens.engine.history import ArtifactRecord, History, SpinRecord
from spinlens.engine.storage import read_value, write_value

EXAMPLE = Path(__file__).parents[2] / "examples" / "training_flow.py"


def _round_trip(folder: Path, value: object) -> tuple[object, str]:
    stored = write_value(folder, "value", value)
    back = read_value(folder, stored)
    for leftover in folder.iterdir():
        leftover.unlink()
    return back, stored.format


@settings(max_examples=40, deadline=None)
@given(
    data_frames(
        [
            column("f", dtype=float),
            column("i", dtype=np.int64),
            column("s", elements=st.text(max_size=5)),
            column("b", dtype=bool),
        ],
        index=range_indexes(max_size=30),
    )
)
def test_tables_read_back_equal_through_arrow(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame
) -> None:
    back, fmt = _round_trip(tmp_path_factory.mktemp("t"), frame)
    assert fmt == "arrow"
    pd.testing.assert_frame_equal(back, frame)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        scalar_dtypes().filter(lambda d: d.kind in "biuf"),
        array_shapes(min_dims=0, max_dims=3, max_side=6),
    )
)
def test_arrays_read_back_equal_through_arrow(
    tmp_path_factory: pytest.TempPathFactory, array: np.ndarray
) -> None:
    back, fmt = _round_trip(tmp_path_factory.mktemp("a"), array)
    assert fmt == "arrow"
    assert isinstance(back, np.ndarray) and back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
        ),
    )
)
def test_other_values_read_back_equal_through_cloudpickle(
    tmp_path_factory: pytest.TempPathFactory, value: object
) -> None:
    back, fmt = _round_trip(tmp_path_factory.mktemp("p"), value)
    assert fmt == "pickle"
    assert back == value


def test_every_table_flavour_comes_back_as_itself(tmp_path: Path) -> None:
    values = {
        "series": pd.Series([1.5, 2.5], name="x"),
        "polars": pl.DataFrame({"x": [1, 2]}),
        "arrow": pa.table({"x": [1, 2]}),
        "batch": pa.record_batch({"x": [1, 2]}),
        "objects": pd.DataFrame({"o": [object, 1]}),  # not Arrow: falls back to a pickle
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }
    for name, value in values.items():
        stored = write_value(tmp_path, name, value)
        back = read_value(tmp_path, stored)
        assert type(back) is type(value), name
        if name == "objects":
            assert stored.format == "pickle"
        elif isinstance(value, (pd.Series, np.ndarray)):
            assert_same(back, value, name)
        else:
            assert back.equals(value), name


def _record(spin_id: str, created: float, *artifacts: ArtifactRecord) -> SpinRecord:
    return SpinRecord(
        id=spin_id,
        created=created,
        flow="F",
        flow_file="f.py",
        step="s",
        source={"run_id": "1", "task_id": "2"},
        step_source_hash="abc",
        status="ok",
        artifacts=list(artifacts),
    )


def test_records_are_atomic_and_bounded(tmp_path: Path) -> None:
    history = History(tmp_path, keep=3)
    for n in range(5):
        writer = history.begin("F", "s", f"2026-0{n}")
        stored = writer.store("x", n)
        artifact = ArtifactRecord("x", "int", 1, None, {"inputs": "new"}, stored)
        writer.commit(_record(f"2026-0{n}", n, artifact))
    assert [r.id for r in history.spins("F", "s")] == ["2026-04", "2026-03", "2026-02"]
    assert history.load("2026-03", "x") == 3
    # A spin killed mid-write: its folder is hidden, never listed, and cleared later.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    half = tmp_path / "F" / "s" / f".incomplete-2026-09-{dead.pid}"
    half.mkdir()
    (half / "x.pkl").write_bytes(b"partial")
    assert [r.id for r in history.spins("F", "s")][0] == "2026-04"
    writer = history.begin("F", "s", "2026-05")
    writer.commit(_record("2026-05", 5))
    assert not half.exists()
    with pytest.raises(KeyError, match="stored no artifact 'y'"):
        history.load("2026-05", "y")


def test_spins_in_the_same_second_are_ordered_by_when_they_were_made(tmp_path: Path) -> None:
    history = History(tmp_path, keep=2)
    # Ids share the second; their random tails sort the other way round.
    for spin_id, created in (("20261127-170109-ffffff", 1.0), ("20261127-170109-000000", 2.0)):
        history.begin("F", "s", spin_id).commit(_record(spin_id, created))
    assert [r.id for r in history.spins("F", "s")] == [
        "20261127-170109-000000",
        "20261127-170109-ffffff",
    ]
    late = "20261127-170109-000001"  # committed last, but made before the others
    history.begin("F", "s", late).commit(_record(late, 0.5))
    # keep=2 drops the one made first, whatever its id.
    assert [r.created for r in history.spins("F", "s")] == [2.0, 1.0]


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory) -> FlowRun:
    """The bundled example flow, run small."""
    folder = tmp_path_factory.mktemp("example")
    shutil.copy(EXAMPLE, folder)
    completed = subprocess.run(
        [sys.executable, EXAMPLE.name, "run", "--rows", "20000"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return FlowRun(
        folder, folder / EXAMPLE.name, "TrainingFlow", latest_run_id(folder, "TrainingFlow")
    )


def test_edited_train_shows_changes_in_all_three_comparisons(example_run: FlowRun) -> None:
    run = example_run
    original = run.file.read_text()
    edited = original.replace(
        "        train, valid = ~self.is_valid, self.is_valid\n",
        "        train, valid = ~self.is_valid, self.is_valid\n"
        "        self.feature_names = [name.upper() for name in self.feature_names]\n",
    )
    assert edited != original
    with SpinSession(run.file) as session:
        first = session.spin("train")
        assert first.ok, first.error
        assert first.artifact_events["feature_names"].vs_previous is None  # no earlier spin
        run.file.write_text(edited)
        try:
            second = session.spin("train")
        finally:
            run.file.write_text(original)
    assert second.ok, second.error
    names = second.artifact_events["feature_names"]
    assert (names.vs_inputs, names.vs_source, names.vs_previous) == ("changed",) * 3
    assert set(names.diffs) == {"inputs", "source", "previous"}
    assert all(diff["changed"] for diff in names.diffs.values())
    coef = second.artifact_events["coef"]
    assert (coef.vs_source, coef.vs_previous) == ("changed", "changed")
    table = second.artifact_events["feature_table"]
    assert (table.vs_inputs, table.vs_source, table.vs_previous) == ("unchanged",) * 3
    json.dumps([second.artifact_events[n].diffs for n in second.artifact_events], allow_nan=False)

    history = History(run.folder / ".spinlens")
    records = history.spins("TrainingFlow", "train")
    assert [r.id for r in records[:2]] == [second.spin_id, first.spin_id]
    assert records[0].step_source_hash != records[1].step_source_hash
    stored = records[0].artifact("feature_table").stored
    assert stored is not None and stored.to_dict()["format"] == "ref"  # passed through: not copied
    assert history.load(second.spin_id, "feature_names")[0].isupper()

    cli = [sys.executable, "-m", "spinlens.cli"]
    listing = subprocess.run(
        [*cli, "history", run.file.name, "train"], cwd=run.folder, capture_output=True, text=True
    )
    assert listing.returncode == 0, listing.stderr
    assert first.spin_id in listing.stdout and second.spin_id in listing.stdout
    diff = subprocess.run(
        [*cli, "diff", first.spin_id, second.spin_id],
        cwd=run.folder,
        capture_output=True,
        text=True,
    )
    assert diff.returncode == 0, diff.stderr
    changed = [
        line.split()[1].rstrip(":")
        for line in diff.stdout.splitlines()
        if line.startswith("changed")
    ]
    assert "feature_names" in changed and "coef" in changed and "feature_table" not in changed
    show = subprocess.run(
        [*cli, "show", second.spin_id, "feature_names"],
        cwd=run.folder,
        capture_output=True,
        text=True,
    )
    assert show.returncode == 0 and "AGE" in show.stdout.upper()


def test_an_output_that_cannot_be_stored_is_reported_and_the_others_kept(
    fresh_run: Callable[..., FlowRun],
) -> None:
    run = fresh_run("linear_flow.py")
    source = run.file.read_text().replace(
        "        self.where = (current.flow_name, current.step_name)\n",
        "        self.where = (current.flow_name, current.step_name)\n"
        "        import threading\n"
        "        self.lock = threading.Lock()\n",
    )
    with SpinSession(run.file) as session:
        result = session.spin("middle", source=source)
    assert result.ok, result.error
    assert "cannot be pickled" in (result.artifact_events["lock"].error or "")
    record = History(run.folder / ".spinlens").spins("LinearFlow", "middle")[0]
    assert record.artifact("lock").stored is None
    assert record.artifact("scaled").stored is not None


def test_failed_spins_are_recorded_and_history_can_be_turned_off(
    flow_runs: Callable[..., FlowRun], tmp_path: Path
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    failing = run.file.read_text().replace("sum(self.scaled)", "1 / 0")
    with SpinSession(run.file, history_dir=tmp_path / "h") as session:
        assert not session.spin("end", source=failing).ok
    assert History(tmp_path / "h").spins("LinearFlow", "end")[0].status == "failed"
    with SpinSession(run.file, history_dir=tmp_path / "off", keep_history=0) as session:
        assert session.spin("end").ok
    assert not (tmp_path / "off").exists()
    assert os.path.isdir(run.folder)
