"""The speculative spare, on real runs: a spin whose edit lies inside function
bodies is taken by the spare that built the last spin's flow ahead (its
timings carry ``ahead_s``) and behaves as a spin from the start would; any
other spin is declined and runs from the start."""

from __future__ import annotations

from collections.abc import Callable

from flowruns import FlowRun
from procs import children
from spinlens import SpinSession
from spinlens.engine.history import History
from spinlens.session import SpinResult

PRINTS = 'print("module loaded")\n'


def _ahead(result: SpinResult) -> bool:
    assert result.ok, result.error
    return "ahead_s" in result.timings


def _middle_scaled_by(text: str, factor: int) -> str:
    return text.replace("n * self.scale", f"n * {factor}")


def test_edits_inside_a_step_are_taken_ahead_and_run_the_new_code(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py")
    text = PRINTS + run.file.read_text()
    with SpinSession(run.file) as session:
        first = session.spin("middle", source=_middle_scaled_by(text, 2))
        assert not _ahead(first) and first.artifacts["scaled"] == [0, 2, 4, 6, 8]
        for factor in (3, 4):
            result = session.spin("middle", source=_middle_scaled_by(text, factor))
            assert _ahead(result)
            assert result.artifacts["scaled"] == [n * factor for n in range(5)]
            # The flow file's own output, printed while the spare built the flow
            # ahead, is in this spin's log once, before the step's.
            assert result.stdout.count("module loaded") == 1
            assert result.stdout.index("module loaded") < result.stdout.index("scaled")
            assert result.timings["load_s"] < result.timings["ahead_s"] + 1.0
        # Each record names the step's source as it ran (read after the swap).
        records = History(run.folder / ".spinlens").spins("LinearFlow", "middle")[:3]
        assert len({r.step_source_hash for r in records}) == 3


def test_a_failure_after_lines_were_added_above_points_at_the_new_line(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py")
    text = run.file.read_text()
    raising = text.replace(
        "        self.total = sum(self.scaled)\n",
        "        self.total = sum(self.scaled)\n        raise ValueError('late')\n",
    )
    with SpinSession(run.file) as session:
        assert session.spin("end", source=text).ok
        # Three lines inserted in `start`, above `end`: `end` moved down.
        shifted = raising.replace(
            '        self.label = "raw"\n',
            '        self.label = "raw"\n        a = 1\n        b = 2\n        c = a + b\n',
        )
        result = session.spin("end", source=shifted)
        assert result.failure is not None and "ahead_s" in result.timings
        assert (
            result.failure.line
            == shifted.splitlines().index("        raise ValueError('late')") + 1
        )
        assert "raise ValueError('late')" in (result.failure.traceback or "")


def test_edits_outside_function_bodies_or_other_options_run_from_the_start(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py")
    text = PRINTS + run.file.read_text()
    with SpinSession(run.file) as session:
        assert session.spin("middle", source=text).ok
        # A module-level change: the spare would have run other top-level code.
        changed = text.replace(PRINTS, 'print("module loaded, twice as loud")\n')
        result = session.spin("middle", source=changed)
        assert not _ahead(result)
        assert "twice as loud" in result.stdout and result.stdout.count("module loaded") == 1
        # The step's transition changed: Metaflow's graph differs.
        retargeted = changed.replace(
            '        print("scaled", self.scaled)\n        self.next(self.end)',
            '        print("scaled", self.scaled)\n        self.next(self.start)',
        )
        assert retargeted != changed
        result = session.spin("middle", source=retargeted)
        assert not _ahead(result) and result.next_steps == ("start",)
        # Other options than the last spin's (an override): declined too.
        result = session.spin("middle", source=retargeted, overrides={"scale": "10"})
        assert not _ahead(result) and result.artifacts["scaled"] == [0, 10, 20, 30, 40]
        assert _ahead(session.spin("middle", source=retargeted, overrides={"scale": "10"}))


def test_a_spin_of_another_step_does_not_use_the_spare(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py")
    with SpinSession(run.file) as session:
        assert session.spin("middle").ok
        other = session.spin("end")
        assert not _ahead(other) and other.artifacts["total"] == sum(n * 2 for n in range(5))
        # The spares built for `middle` are gone: the kernel keeps the parked
        # child of `end` and that step's two spares, no more.
        assert session.kernel_pid is not None
        assert len(children(session.kernel_pid)) <= 3
