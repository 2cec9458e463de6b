"""The SpinSession contract: new code runs warm, edits are seen, bad input is explained."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from flowruns import FlowRun, run_flow
from procs import alive
from spinlens import SpinError, SpinResult, SpinSession
from spinlens.engine.history import History
from spinlens.wire.events import Event, Log, Progress, Started
from spinlens.wire.ids import is_spin_id, new_spin_id


def _edit(path: Path, old: str, new: str) -> str:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    edited = text.replace(old, new)
    path.write_text(edited)
    return edited


def test_changed_code_from_unsaved_text_runs(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    source = run.file.read_text().replace("n * self.scale", "n * self.scale * 10")
    with SpinSession(run.file) as session:
        result = session.spin("middle", source=source)
        assert result.ok, result.error
        assert result.artifacts["scaled"] == [0, 30, 60, 90, 120]
        events = result.artifact_events
        assert events["scaled"].vs_source == "changed"
        assert events["label"].vs_source == "unchanged"
        assert events["numbers"].vs_inputs == "changed"  # mutated in place by the step
        assert "scaled [0, 30, 60, 90, 120]" in result.stdout


def test_file_edits_between_spins_run_on_the_warm_kernel(
    fresh_run: Callable[..., FlowRun],
) -> None:
    run = fresh_run("linear_flow.py")
    with SpinSession(run.file) as session:
        first = session.spin("middle")
        assert first.ok, first.error
        assert first.artifacts["scaled"] == [0, 2, 4, 6, 8]
        pid = session.kernel_pid
        _edit(run.file, "n * self.scale", "n * self.scale + 1")
        second = session.spin("middle")
        assert second.ok, second.error
        assert second.artifacts["scaled"] == [1, 3, 5, 7, 9]
        assert session.kernel_pid == pid
        assert not _started(first).warm and _started(second).warm  # inputs kept loaded
        print(
            f"prepare: {first.timings['prepare_s']:.3f} s, warm {second.timings['prepare_s']:.3f} s"
        )
        assert session.kernel_starts == 1


def test_changed_user_module_is_reloaded(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    helper = run.folder / "scaling.py"
    helper.write_text("FACTOR = 5\n")
    source = run.file.read_text()
    source = source.replace("from metaflow import", "import scaling\nfrom metaflow import")
    source = source.replace("n * self.scale", "n * scaling.FACTOR")
    run.file.write_text(source)
    with SpinSession(run.file) as session:
        assert session.spin("middle").artifacts["scaled"] == [0, 5, 10, 15, 20]
        helper.write_text("FACTOR = 7\n")
        os.utime(helper, (1, 2_000_000_000))  # a distinct mtime even on coarse clocks
        result = session.spin("middle")
        assert result.ok, result.error
        assert result.artifacts["scaled"] == [0, 7, 14, 21, 28]


def test_current_describes_the_spin(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    source = run.file.read_text().replace(
        "        self.where = (current.flow_name, current.step_name)\n",
        "        self.where = (current.flow_name, current.step_name)\n"
        "        self.ids = (current.run_id, current.task_id, current.origin_run_id)\n"
        "        self.params = list(current.parameter_names)\n",
    )
    with SpinSession(run.file) as session:
        result = session.spin("middle", source=source)
        assert result.ok, result.error
        assert result.artifacts["where"] == ("LinearFlow", "middle")
        run_id, task_id, origin = result.artifacts["ids"]
        # As in the run, which was no resume: Metaflow recorded no origin run.
        assert run_id.startswith("spin-") and origin is None
        assert result.source is not None and task_id == result.source.task_id
        assert result.artifacts["params"] == ["scale"]


def test_overrides_replace_inputs(flow_runs: Callable[..., FlowRun], tmp_path: Path) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    module = tmp_path / "inputs.py"
    module.write_text("ARTIFACTS = {'numbers': [10, 20]}\n")
    with SpinSession(run.file) as session:
        result = session.spin("middle", overrides={"numbers": "[1, 2]"})
        assert result.ok, result.error
        assert result.artifacts["scaled"] == [3, 6]
        result = session.spin("middle", artifacts_module=str(module))
        assert result.ok, result.error
        assert result.artifacts["scaled"] == [30, 60]
        bad = session.spin("middle", overrides={"numbers": "not a literal"})
        assert not bad.ok and "--set numbers=not a literal" in bad.error


def test_syntax_error_names_the_line(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    lines = run.file.read_text().splitlines()
    broken_line = next(i for i, line in enumerate(lines) if "self.label" in line)
    lines[broken_line] = "        self.label = (("
    with SpinSession(run.file) as session:
        result = session.spin("middle", source="\n".join(lines))
        assert not result.ok
        assert result.failure is not None and result.failure.code == "syntax-error"
        assert f"line {broken_line + 1}" in result.error
        assert session.spin("middle").ok


def test_unknown_step_lists_the_steps(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    with SpinSession(run.file) as session:
        result = session.spin("midle")
    assert not result.ok and result.failure is not None
    assert result.failure.code == "unknown-step"
    assert "no step 'midle'" in result.error and "start, middle, end" in result.error


def test_raising_step_points_at_the_user_line_and_kernel_survives(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    text = run.file.read_text()
    source = text.replace(
        "        self.scaled = [n * self.scale for n in self.numbers]\n",
        "        self.scaled = [n * self.scale for n in self.numbers]\n"
        "        raise ValueError('bad scale')\n",
    )
    raise_line = source.splitlines().index("        raise ValueError('bad scale')") + 1
    with SpinSession(run.file) as session:
        result = session.spin("middle", source=source)
        pid = session.kernel_pid
        assert not result.ok and result.failure is not None
        assert result.failure.kind == "exception"
        assert result.failure.error == "ValueError: bad scale"
        assert result.failure.file == str(run.file) and result.failure.line == raise_line
        assert f'File "{run.file}", line {raise_line}, in middle' in result.failure.traceback
        first_frame = result.failure.traceback.splitlines()[1]
        assert first_frame.startswith(f'  File "{run.file}"'), "our own frames come first"
        again = session.spin("middle")
        assert again.ok and session.kernel_pid == pid


def test_exits_inside_a_step_are_reported(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    text = run.file.read_text()
    anchor = '        self.label = "raw"\n'
    with SpinSession(run.file) as session:
        pid = None
        for statement, expected in (
            ("import sys; sys.exit(3)", "sys.exit(3)"),
            ("import os; os._exit(4)", "exit status 4"),
            ("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", "SIGSEGV"),
        ):
            source = text.replace(anchor, anchor + f"        {statement}\n")
            result = session.spin("start", source=source)
            assert not result.ok and expected in result.error, result.error
            pid = pid or session.kernel_pid
            assert session.kernel_pid == pid
        assert session.spin("start").ok


def test_flow_without_successful_run_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "never-run"
    folder.mkdir()
    shutil.copy(Path(__file__).parent / "flows" / "linear_flow.py", folder)
    with SpinSession(folder / "linear_flow.py") as session:
        result = session.spin("middle")
    assert not result.ok and result.failure is not None
    assert result.failure.code == "no-successful-run"
    assert "no successful run" in result.error and "--run-flow" in result.error


def test_failed_latest_run_is_skipped_and_named(tmp_path: Path) -> None:
    good = run_flow(tmp_path / "f", "linear_flow.py")
    text = good.file.read_text()
    good.file.write_text(text.replace("self.total = sum", "self.total = 1 / 0 + sum"))
    failed = subprocess.run(
        [sys.executable, good.file.name, "run"], cwd=good.folder, capture_output=True
    )
    assert failed.returncode != 0
    good.file.write_text(text)
    with SpinSession(good.file) as session:
        result = session.spin("end")
        assert result.ok, result.error
        assert result.source is not None and result.source.run_id == good.run_id


def test_artifact_that_cannot_unpickle_names_itself(tmp_path: Path) -> None:
    folder = tmp_path / "flow"
    folder.mkdir()
    (folder / "shapes.py").write_text("class Square:\n    side = 2\n")
    flow = folder / "shape_flow.py"
    flow.write_text(
        "from metaflow import FlowSpec, step\n"
        "import shapes\n\n\n"
        "class ShapeFlow(FlowSpec):\n"
        "    @step\n"
        "    def start(self):\n"
        "        self.shape = shapes.Square()\n"
        "        self.next(self.end)\n\n"
        "    @step\n"
        "    def end(self):\n"
        "        print(self.shape.side)\n\n\n"
        "if __name__ == '__main__':\n"
        "    ShapeFlow()\n"
    )
    completed = subprocess.run([sys.executable, flow.name, "run"], cwd=folder, capture_output=True)
    assert completed.returncode == 0, completed.stderr
    (folder / "shapes.py").unlink()
    flow.write_text(flow.read_text().replace("import shapes\n", ""))
    with SpinSession(flow) as session:
        result = session.spin("end")
    assert not result.ok
    assert "'shape'" in result.error and "No module named 'shapes'" in result.error


def _started(result: SpinResult) -> Started:
    return next(e for e in result.events if isinstance(e, Started))


def test_a_newer_run_is_picked_up_by_the_warm_kernel(fresh_run: Callable[..., FlowRun]) -> None:
    first = fresh_run("linear_flow.py", "--scale", "3")
    with SpinSession(first.file) as session:
        before = session.spin("middle")
        assert before.ok and before.source is not None
        assert before.source.run_id == first.run_id
        assert _started(session.spin("middle")).warm
        # The user runs the flow again, with other parameters: spins follow.
        second = run_flow(first.folder, "linear_flow.py", "--scale", "5")
        assert second.run_id != first.run_id
        after = session.spin("middle")
        assert after.ok, after.error
        assert after.source is not None and after.source.run_id == second.run_id
        assert not _started(after).warm
        assert after.artifacts["scaled"] == [0, 5, 10, 15, 20]
        # A spin that names its run keeps that run's inputs.
        pinned = session.spin("middle", run=first.run_id)
        assert pinned.artifacts["scaled"] == [0, 3, 6, 9, 12]


def test_killed_kernel_is_replaced(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    with SpinSession(run.file) as session:
        assert session.spin("middle").ok
        pid = session.kernel_pid
        assert pid is not None
        os.kill(pid, 9)
        result = session.spin("middle")
        assert result.ok, result.error
        assert session.kernel_pid not in (None, pid)


def test_closing_the_session_stops_kernel_and_children(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    session = SpinSession(run.file)
    assert session.spin("middle").ok
    pid = session.kernel_pid
    session.close()
    assert pid is not None
    assert not alive(pid)


def test_a_pypi_step_runs_in_the_kernel_s_python_and_names_its_packages(
    flow_runs: Callable[..., FlowRun],
) -> None:
    """Metaflow's spin would build the @pypi environment; a spin here runs in the
    kernel's interpreter, says so, and names the packages when one is missing."""
    run = flow_runs("linear_flow.py", "--scale", "3")
    text = run.file.read_text().replace(
        "from metaflow import FlowSpec, Parameter, current, step",
        "from metaflow import FlowSpec, Parameter, current, pypi, step",
    )
    present = text.replace(
        "    @step\n    def end(self):\n",
        '    @pypi(packages={"numpy": ""})\n    @step\n    def end(self):\n        import numpy\n',
    )
    missing = text.replace(
        "    @step\n    def end(self):\n",
        '    @pypi(packages={"no_such_package": "1.0"})\n    @step\n    def end(self):\n'
        "        import no_such_package\n",
    )
    with SpinSession(run.file) as session:
        ok = session.spin("end", source=present)
        assert ok.ok, ok.error
        notes = [e.message for e in ok.events if isinstance(e, Progress)]
        assert f"@pypi: not built in a spin; the step runs in {sys.executable}" in notes
        failed = session.spin("end", source=missing)
        assert failed.failure is not None and failed.failure.kind == "exception"
        assert "No module named 'no_such_package'" in failed.error
        assert "@conda/@pypi environment (no_such_package==1.0) is not built" in failed.error


# -- the session API: spin ids, cancels by id, flow and history per call ----------


def test_a_spin_cancelled_before_it_starts_never_reaches_the_kernel(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    with SpinSession(run.file) as session:
        spin_id = new_spin_id()
        assert session.cancel(spin_id)
        seen: list[Event] = []
        result = session.spin("middle", spin_id=spin_id, on_event=seen.append)
        assert result.status == "failed" and result.failure is not None
        assert result.failure.kind == "cancelled"
        assert result.error == "Cancelled before it started."
        assert seen == result.events == [result.failure]
        assert result.failure.spin_id == spin_id
        assert session.kernel_starts == 0
        assert not session.cancel(spin_id), "it ended: nothing to cancel"
        assert not session.cancel("../not-an-id") and not session.cancel()
        assert session.spin("middle").ok  # later spins are not affected


class _CancelWhileKernelStarts(SpinSession):
    """Cancels the spin from another thread while its kernel is being started."""

    cancel_id: str | None = None

    def start(self) -> None:
        if self.cancel_id is not None:
            canceller = threading.Thread(target=self.cancel, args=(self.cancel_id,))
            canceller.start()
            canceller.join()
        super().start()


def test_a_spin_cancelled_while_its_kernel_starts_ends_without_starting(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    with _CancelWhileKernelStarts(run.file) as session:
        session.cancel_id = spin_id = new_spin_id()
        result = session.spin("middle", spin_id=spin_id)
        assert result.failure is not None and result.failure.kind == "cancelled"
        assert result.error == "Cancelled before it started."
        assert not any(isinstance(e, Started) for e in result.events)
        session.cancel_id = None
        assert session.spin("middle").ok


_LOOPING_MIDDLE = (
    "        self.scaled = [n * self.scale for n in self.numbers]\n",
    "        self.scaled = [n * self.scale for n in self.numbers]\n"
    "        import time\n"
    "        print('looping', flush=True)\n"
    "        while True:\n"
    "            time.sleep(0.01)\n",
)


def test_cancelling_a_running_spin_by_id_stops_only_it(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    source = run.file.read_text().replace(*_LOOPING_MIDDLE)
    with SpinSession(run.file) as session:
        running, queued = new_spin_id(), new_spin_id()
        looping = threading.Event()

        def on_event(event: Event) -> None:
            if isinstance(event, Log) and "looping" in event.text:
                looping.set()

        results: list[SpinResult] = []
        spinner = threading.Thread(
            target=lambda: results.append(
                session.spin("middle", source=source, spin_id=running, on_event=on_event)
            )
        )
        spinner.start()
        assert looping.wait(timeout=120), "the step never started looping"
        assert session.cancel(queued)  # another spin's id: remembered, the running one goes on
        asked = time.perf_counter()
        assert session.cancel(running)
        spinner.join(timeout=120)
        assert not spinner.is_alive(), "cancel did not end the looping step"
        print(f"cancel by id took {(time.perf_counter() - asked) * 1000:.0f} ms")
        (result,) = results
        assert result.spin_id == running
        assert result.failure is not None and result.failure.kind == "cancelled"
        assert result.error == "The spin was cancelled."
        assert any(isinstance(e, Started) for e in result.events)
        later = session.spin("middle", spin_id=queued)
        assert later.failure is not None and later.error == "Cancelled before it started."
        assert session.spin("middle").ok


def test_the_caller_s_spin_id_is_on_every_event_and_in_the_history(
    flow_runs: Callable[..., FlowRun], tmp_path: Path
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    with SpinSession(run.file, history_dir=tmp_path / "history") as session:
        spin_id = new_spin_id()
        result = session.spin("middle", spin_id=spin_id)
        assert result.ok, result.error
        assert result.spin_id == spin_id
        assert len(result.events) > 3
        assert {e.spin_id for e in result.events} == {spin_id}
        assert session.history is not None
        record, _ = session.history.find(spin_id)
        assert record.id == spin_id
        with pytest.raises(SpinError, match="already run"):
            session.spin("middle", spin_id=spin_id)
        for malformed in ("../escape", "20261127-170109", "20261127-170109-ABCDEF", ""):
            with pytest.raises(SpinError, match="not a spin id"):
                session.spin("middle", spin_id=malformed)


def test_ids_have_one_format() -> None:
    assert is_spin_id(new_spin_id())
    assert is_spin_id("20261127-170109-a1b2c3")
    for bad in ("20261127-170109-a1b2c", "20261127-170109-a1b2c3/..", "x20261127-170109-a1b2c3"):
        assert not is_spin_id(bad)
    assert not is_spin_id(None)


_TWO_FLOWS = """from metaflow import FlowSpec, step


class FirstFlow(FlowSpec):
    @step
    def start(self):
        self.made_by = "first"
        self.next(self.end)

    @step
    def end(self):
        self.seen = "first saw " + self.made_by


class SecondFlow(FlowSpec):
    @step
    def start(self):
        self.made_by = "second"
        self.next(self.end)

    @step
    def end(self):
        self.seen = "second saw " + self.made_by


if __name__ == "__main__":
    MAIN()
"""


def test_the_flow_is_chosen_per_spin(tmp_path: Path) -> None:
    flow_file = tmp_path / "two_flows.py"
    for main in ("SecondFlow", "FirstFlow"):  # a run of each; FirstFlow is the file's main
        flow_file.write_text(_TWO_FLOWS.replace("MAIN", main))
        completed = subprocess.run(
            [sys.executable, flow_file.name, "run"], cwd=tmp_path, capture_output=True, timeout=300
        )
        assert completed.returncode == 0, completed.stderr
    with SpinSession(flow_file) as session:
        second = session.spin("end", flow="SecondFlow")
        assert second.ok, second.error
        assert _started(second).flow == "SecondFlow"
        assert second.artifacts["seen"] == "second saw second"
        default = session.spin("end")
        assert default.ok, default.error
        assert _started(default).flow == "FirstFlow"
        assert default.artifacts["seen"] == "first saw first"
        unknown = session.spin("end", flow="ThirdFlow")
        assert unknown.failure is not None and unknown.failure.code == "unknown-flow"
        assert session.kernel_starts == 1  # one kernel serves both flows
    with SpinSession(flow_file, flow="SecondFlow") as session:
        assert _started(session.spin("end")).flow == "SecondFlow"
        assert _started(session.spin("end", flow="FirstFlow")).flow == "FirstFlow"


def test_history_is_chosen_per_spin(flow_runs: Callable[..., FlowRun], tmp_path: Path) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    own, other = tmp_path / "own", tmp_path / "other"
    raising = run.file.read_text().replace(
        "        self.scaled = [n * self.scale for n in self.numbers]\n",
        "        self.scaled = [n * self.scale for n in self.numbers]\n"
        "        raise ValueError('after scaling')\n",
    )
    with SpinSession(run.file, history_dir=own) as session:
        unrecorded = session.spin("middle", history=None)
        assert unrecorded.ok, unrecorded.error
        assert not own.exists() or not any(p.is_file() for p in own.rglob("*"))
        elsewhere = History(other, keep=3)
        failed = session.spin("middle", source=raising, history=elsewhere)
        assert failed.failure is not None and failed.failure.kind == "exception"
        assert elsewhere.find(failed.spin_id)[0].id == failed.spin_id
        assert not own.exists() or not any(p.is_file() for p in own.rglob("*"))
        session.spin("middle")  # the kernel lets go of the failed spin's process
        # A failed spin's partial artifacts are read from the history it used.
        assert failed.artifacts["scaled"] == [0, 3, 6, 9, 12]
        recorded = session.spin("middle")
        assert session.history is not None
        assert session.history.find(recorded.spin_id)[0].id == recorded.spin_id
