"""Spinning unchanged code reproduces every task of real Metaflow runs, and writes nothing."""

from __future__ import annotations

import enum
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flowruns import FlowRun, assert_same, tree_digest
from spinlens import SpinSession

FLOWS = {
    "linear": ("linear_flow.py", ("--scale", "3"), ()),
    "branch-join": ("branch_flow.py", (), ()),
    "foreach": ("foreach_flow.py", (), ()),
    "nested-foreach": ("nested_flow.py", (), ()),
    "equal-artifacts": ("aliasing_flow.py", (), ()),
    "parameters-and-config": (
        "config_flow.py",
        ("--alpha", "0.9", "--label", "custom"),
        ("--config-value", "settings", '{"depth": 7, "name": "deep"}'),
    ),
}


@pytest.mark.parametrize("name", list(FLOWS))
def test_every_task_is_reproduced_without_writing(
    name: str, flow_runs: Callable[..., FlowRun]
) -> None:
    flow_file, run_args, top_args = FLOWS[name]
    run = flow_runs(flow_file, *run_args, top_args=top_args)
    before = tree_digest(run.datastore)
    spun = 0
    with SpinSession(run.file) as session:
        for step in run.client_run():
            for task in step:
                result = session.spin(step.id, run=run.run_id, task=task.id)
                where = f"{task.pathspec}"
                assert result.ok, (
                    f"{where}: {result.error}\n{result.failure and result.failure.traceback}"
                )
                assert result.source is not None and result.source.task_id == task.id
                original = {artifact.id: artifact.data for artifact in task.artifacts}
                public = [name for name in result.artifacts if not name.startswith("_")]
                assert sorted(public) == sorted(original), where
                # Metaflow's hidden ones too, as in a Metaflow spin task.
                for hidden in ("_graph_info", "_foreach_stack"):
                    assert_same(result.artifacts[hidden], task[hidden].data, f"{where}.{hidden}")
                for artifact, value in original.items():
                    assert_same(result.artifacts[artifact], value, f"{where}.{artifact}")
                changed = {
                    n: e.vs_source
                    for n, e in result.artifact_events.items()
                    if e.vs_source != "unchanged"
                }
                assert changed == {}, (
                    f"{where}: reported as differing from the source run: {changed}"
                )
                transition = task["_transition"].data if "_transition" in task else None
                if transition:
                    assert list(result.next_steps) == list(transition[0]), where
                spun += 1
    assert spun >= 2
    assert tree_digest(run.datastore) == before, "a spin wrote into the original run's datastore"


def test_foreach_children_get_their_own_input_and_index(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("foreach_flow.py")
    with SpinSession(run.file) as session:
        for index in (0, 1, 2):
            result = session.spin("per_group", index=index)
            assert result.ok, result.error
            assert result.source is not None and result.source.index == index
            assert result.artifacts["group"] == index
            assert result.artifacts["position"] == index
            assert result.artifacts["stack"] == [(index, 3)]
        default = session.spin("per_group")
        assert default.source is not None and default.source.index == 0


def test_join_sees_inputs_in_foreach_order(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("foreach_flow.py")
    with SpinSession(run.file) as session:
        result = session.spin("join")
        assert result.ok, result.error
        assert result.artifacts["order"] == [0, 1, 2]
        assert result.source is not None and len(result.source.parents) == 3


def test_nested_foreach_task_settles_both_levels(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("nested_flow.py")
    leaf = next(t for t in run.client_run()["leaf"] if t["cell"].data == "b2")
    with SpinSession(run.file) as session:
        result = session.spin("leaf", task=leaf.id)
        assert result.ok, result.error
        assert result.artifacts["cell"] == "b2"
        assert [(i, v) for i, _, v in result.artifacts["path"]] == [(1, "b"), (1, 2)]


def test_equal_artifacts_are_separate_objects(flow_runs: Callable[..., FlowRun]) -> None:
    """Under Metaflow every artifact name unpickles its own object: a foreach child
    appending to `a` leaves an equal `b` alone, and an empty `acc` is not the
    list Metaflow keeps its foreach stack in."""
    run = flow_runs("aliasing_flow.py")
    with SpinSession(run.file) as session:
        result = session.spin("grow", index=1)
        assert result.ok, result.error
        assert result.artifacts["a"] == [0, 2]
        assert result.artifacts["b"] == [0]
        assert result.artifacts["acc"] == [2]
        assert result.artifact_events["b"].vs_source == "unchanged"
        assert result.artifact_events["a"].vs_source == "unchanged"


def _attributes(value: object) -> tuple[str, object]:
    """A flow-file class instance as the test process can compare it: its class
    name and its state (the class itself is the flow module's, not ours)."""
    if isinstance(value, enum.Enum):
        return type(value).__name__, value.name
    return type(value).__name__, vars(value)


def test_classes_defined_in_the_flow_file(flow_runs: Callable[..., FlowRun]) -> None:
    """The run pickled them as __main__.X: steps and joins read them, unchanged
    code reports them unchanged, and the history reads them back elsewhere."""
    run = flow_runs("classes_flow.py")
    with SpinSession(run.file) as session:
        for step in ("start", "left", "join", "end"):
            result = session.spin(step)
            assert result.ok, f"{step}: {result.error}"
            changed = {n: e.vs_source for n, e in result.artifact_events.items()}
            assert set(changed.values()) == {"unchanged"}, f"{step}: {changed}"
        joined = session.spin("join")
        assert _attributes(joined.artifacts["scaler"]) == ("Scaler", {"factor": 2.0})
        assert _attributes(joined.artifacts["color"]) == ("Color", "BLUE")
        assert joined.artifacts["values"] == [1, 2]
        started = session.spin("start")  # stores a Scaler it made
        ended = session.spin("end")  # passes the run's Scaler through: a reference
        assert ended.artifact_events["scaler"].vs_inputs == "unchanged"
    for spin in (started, ended):
        shown = subprocess.run(
            [str(Path(sys.executable).parent / "spinlens"), "show", spin.spin_id, "scaler"],
            cwd=run.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert shown.returncode == 0, shown.stderr
        assert "Scaler(factor=2.0)" in shown.stdout
