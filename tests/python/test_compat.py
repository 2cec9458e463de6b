"""Metaflow compatibility suite: one small flow per Metaflow feature (tests/python/compat/),
each run for real with `python flow.py run`, then spun task by task.

For every case: every task of the run spins and reproduces the task's public
artifacts, none reported as changed vs the source run, and nothing is written into
the run's datastore; an edit of one step's code shows in what the spin produces.
Then feature checks, and counterparts of every case of Metaflow's own spin test
suite (test/unit/spin/ in Netflix/metaflow) that needs neither network nor conda.
docs/compatibility.md summarizes what passes.
"""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compat_cases import (
    CASES,
    FLOW_FILE,
    USER,
    CompatRun,
    Runs,
    assert_equivalent,
    card_text,
    flow_as_main,
    public,
)
from flowruns import tree_digest
from spinlens import SpinSession

# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compat_user() -> Iterator[None]:
    """The runs' user for the spins too: @project's branch name is user.<name>."""
    saved = os.environ.get("METAFLOW_USER")
    os.environ["METAFLOW_USER"] = USER
    yield
    if saved is None:
        os.environ.pop("METAFLOW_USER", None)
    else:
        os.environ["METAFLOW_USER"] = saved


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory, compat_user: None) -> Iterator[Runs]:
    """Every case's one Metaflow run, made on first use (the next ones started ahead)."""
    all_runs = Runs(tmp_path_factory.mktemp("compat"))
    yield all_runs
    all_runs.close()


class Sessions:
    """One warm SpinSession per case, the few most recently used kept open."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._open: OrderedDict[str, SpinSession] = OrderedDict()

    def get(self, run: CompatRun) -> SpinSession:
        key = str(run.file)
        if key in self._open:
            self._open.move_to_end(key)
        else:
            self._open[key] = SpinSession(run.file)
            while len(self._open) > self.keep:
                self._open.popitem(last=False)[1].close()
        return self._open[key]

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1].close()


@pytest.fixture(scope="session")
def sessions(compat_user: None) -> Iterator[Sessions]:
    pool = Sessions()
    yield pool
    pool.close()


def spin(session: SpinSession, step: str, **options: Any) -> Any:
    """session.spin with only the options given (None ones left out)."""
    return session.spin(step, **{k: v for k, v in options.items() if v is not None})


def failure_text(result: Any) -> str:
    failure = result.failure
    if failure is None:
        return "no failure"
    return f"{failure.kind}: {failure.error}"


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


# -- every task of every case ---------------------------------------------------------


def check_task(case_name: str, task: Any, result: Any) -> list[str]:
    """What differs between the spin of unchanged code and the original task."""
    case = CASES[case_name]
    step = task.path_components[2]
    if step in case.failing:
        # The step raised in the run too (@catch stored the exception): so must the spin.
        problems = []
        if result.ok:
            problems.append("succeeded; the step raises (the run's @catch caught it)")
        elif result.failure.kind != "exception" or case.failing[step] not in result.error:
            problems.append(f"expected an exception mentioning {case.failing[step]!r}, got "
                            f"{first_line(failure_text(result))}")  # fmt: skip
        return problems
    if not result.ok:
        return [f"failed: {first_line(failure_text(result))}"]
    problems = []
    if result.source is None or result.source.task_id != task.id:
        problems.append(f"spun task {result.source and result.source.task_id}, not {task.id}")
    original = {a.id: a.data for a in task.artifacts if not a.id.startswith("_")}
    produced = public(result.artifacts)
    if produced != set(original):
        problems.append(
            f"public artifacts differ: missing {sorted(set(original) - produced)}, "
            f"extra {sorted(produced - set(original))}"
        )
    for name in sorted(set(original) & produced):
        try:
            assert_equivalent(result.artifacts[name], original[name], name)
        except Exception as error:  # noqa: BLE001 - collected and reported per task
            problems.append(first_line(str(error)) or f"{name}: {type(error).__name__}")
    changed = {
        n: e.vs_source
        for n, e in result.artifact_events.items()
        if not n.startswith("_") and e.vs_source != "unchanged"
    }
    if changed:
        problems.append(f"reported as differing from the source run: {changed}")
    transition = task["_transition"].data if "_transition" in task else None
    if transition and list(result.next_steps) != list(transition[0]):
        problems.append(f"next steps {result.next_steps} != {transition[0]}")
    return problems


@pytest.mark.parametrize("name", list(CASES))
def test_every_task_spins_to_the_same_artifacts_without_writing(
    name: str, runs: Runs, sessions: Sessions
) -> None:
    run = runs.get(name)
    session = sessions.get(run)
    before = tree_digest(run.datastore)
    problems: list[str] = []
    spun = 0
    with flow_as_main(run.file) if run.case.main_classes else contextlib.nullcontext():
        for step in run.client_run():
            for task in step:
                result = session.spin(step.id, run=run.run_id, task=task.id)
                problems += [f"{step.id}/{task.id}: {p}" for p in check_task(name, task, result)]
                spun += 1
    assert spun >= 2
    assert not problems, f"{len(problems)} problem(s) in {spun} tasks:\n" + "\n".join(problems)
    assert tree_digest(run.datastore) == before, "a spin wrote into the original run's datastore"


def _with_noop_in(text: str, step: str) -> str | None:
    """The flow text with a statement that changes nothing added inside ``step``'s
    body (before its last statement); None if the step is not defined here."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == step and len(node.body) > 1:
            lines = text.splitlines(True)
            last = lines[node.body[-1].lineno - 1]
            indent = last[: len(last) - len(last.lstrip())]
            lines.insert(node.body[-1].lineno - 1, f"{indent}_spinlens_noop = None\n")
            return "".join(lines)
    return None


@pytest.mark.parametrize("name", list(CASES))
def test_spins_taken_by_the_spare_built_ahead_reproduce_every_step(
    name: str, runs: Runs, sessions: Sessions
) -> None:
    """Each step's first task spun three times: from the start, then the same
    text and a text with a no-op statement in the step, which the spare that
    built the flow ahead takes (but for a @card step). All three reproduce the
    task as the run made it."""
    run = runs.get(name)
    session = sessions.get(run)
    text = run.file.read_text()
    problems: list[str] = []
    taken = asked = 0
    with flow_as_main(run.file) if run.case.main_classes else contextlib.nullcontext():
        for step in run.client_run():
            task = next(iter(step))
            edited = _with_noop_in(text, step.id)
            for source in (text, text, edited):
                if source is None:
                    continue
                result = session.spin(step.id, run=run.run_id, task=task.id, source=source)
                problems += [f"{step.id}/{task.id}: {p}" for p in check_task(name, task, result)]
                asked += 1
                taken += "ahead_s" in result.timings
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    if "card" not in text:
        assert taken >= asked // 3, f"only {taken} of {asked} spins were taken ahead"


# -- an edited step ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.edit])
def test_edited_step_code_shows_in_the_artifacts(
    name: str, runs: Runs, sessions: Sessions, tmp_path: Path
) -> None:
    edit = CASES[name].edit
    assert edit is not None
    run = runs.get(name)
    options = {"run": run.run_id, "index": edit.index, "iteration": edit.iteration}
    if edit.file == FLOW_FILE:
        text = run.file.read_text()
        assert edit.old in text, f"{edit.old!r} is not in {run.file}"
        session = sessions.get(run)
        result = spin(session, edit.step, source=text.replace(edit.old, edit.new, 1), **options)
        check_edit(run, result, edit)
    else:
        # Another file (the base flow's module, a helper package): edited on disk in a copy.
        copy = run.private_copy(tmp_path / "copy")
        target = copy.folder / edit.file
        text = target.read_text()
        assert edit.old in text, f"{edit.old!r} is not in {target}"
        with SpinSession(copy.file) as session:
            before = spin(session, edit.step, **options)
            assert before.ok, failure_text(before)
            target.write_text(text.replace(edit.old, edit.new, 1))
            check_edit(copy, spin(session, edit.step, **options), edit)


def check_edit(run: CompatRun, result: Any, edit: Any) -> None:
    assert result.ok, f"{failure_text(result)}\n{result.failure and result.failure.traceback}"
    with flow_as_main(run.file) if run.case.main_classes else contextlib.nullcontext():
        for name, want in edit.expect.items():
            value = result.artifacts[name]
            if callable(want):
                assert want(value), f"{name}: {value!r}"
            else:
                assert_equivalent(value, want, name)
    assert any(e.vs_source != "unchanged" for e in result.artifact_events.values()), (
        "no artifact reported as changed vs the source run"
    )
    if edit.next_steps is not None:
        assert tuple(result.next_steps) == edit.next_steps


# -- features -----------------------------------------------------------------------------


def test_include_file_is_a_str_in_the_step(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("parameters")
    result = sessions.get(run).spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    assert result.artifacts["table_kind"] == "str"
    assert result.artifacts["table"].startswith("city,population\n")
    assert result.artifacts["spec"] == {"layers": [16, 8, 2], "act": "gelu"}  # JSONType


def test_config_overrides_reach_the_step_and_its_decorators(
    runs: Runs, sessions: Sessions, tmp_path: Path
) -> None:
    """A config given to the spin (--config NAME FILE, --config-value NAME JSON)
    changes what the decorators get and what the step reads. (Metaflow's own spin,
    measured on 2.19.39, changes only the decorators: self.<config> stays the
    source run's value.)"""
    run = runs.get("config")
    session = sessions.get(run)
    settings = tmp_path / "other.cfg"
    settings.write_text("mode = careful\nscale = 3\nretries = 0\n")
    from_file = session.spin("start", run=run.run_id, configs={"settings": str(settings)})
    assert from_file.ok, failure_text(from_file)
    # mode reaches the step through @environment(vars={...: config_expr("settings.mode")});
    # depth is the run's model.depth (5) times the new settings.scale (3).
    assert (from_file.artifacts["mode"], from_file.artifacts["depth"]) == ("careful", 15)
    from_value = session.spin(
        "start", run=run.run_id, config_values={"model": {"depth": 1, "name": "tiny"}}
    )
    assert from_value.ok, failure_text(from_value)
    # The new model.depth (1) times the run's settings.scale (2).
    assert (from_value.artifacts["depth"], from_value.artifacts["model_name"]) == (2, "tiny")
    assert from_value.artifacts["mode"] == "fast"


def test_recursion_iterations_are_picked_by_number(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("recursion")
    session = sessions.get(run)
    first = session.spin("loop", run=run.run_id, iteration=0)
    assert first.ok, failure_text(first)
    assert first.artifacts["x"] == 1 and tuple(first.next_steps) == ("loop",)
    last = session.spin("loop", run=run.run_id, iteration=-1)
    assert last.ok, failure_text(last)
    assert last.artifacts["x"] == 4 and tuple(last.next_steps) == ("end",)
    end = session.spin("end", run=run.run_id)
    assert end.ok and end.artifacts["final"] == 4, failure_text(end)


def test_conditional_step_has_one_parent(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("conditionals")
    result = sessions.get(run).spin("after", run=run.run_id)
    assert result.ok, failure_text(result)
    assert result.source is not None and len(result.source.parents) == 1
    assert result.artifacts["handled"] == "big:8"
    assert tuple(result.next_steps) == ("even",)


def test_step_given_as_a_pathspec(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("nested_foreach")
    task = next(t for t in run.client_run()["shop"] if t["shop_name"].data == "us-1")
    session = sessions.get(run)
    for pathspec in (
        f"{run.run_id}/shop/{task.id}",
        f"{run.flow}/{run.run_id}/shop/{task.id}",
    ):
        result = session.spin(pathspec)
        assert result.ok, f"{pathspec}: {failure_text(result)}"
        assert result.source is not None and result.source.task_id == task.id, pathspec
        assert result.artifacts["position"] == (1, 1), pathspec
    for pathspec in (f"{run.run_id}/shop", f"{run.flow}/{run.run_id}/shop"):
        whole_step = session.spin(pathspec)
        assert whole_step.ok, f"{pathspec}: {failure_text(whole_step)}"
        assert whole_step.source is not None and whole_step.source.run_id == run.run_id


def test_cards_are_rendered(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("cards")
    session = sessions.get(run)
    default = session.spin("start", run=run.run_id)
    assert default.ok, failure_text(default)
    assert [c.type for c in default.cards] == ["default"]
    assert "scores" in card_text(default.cards[0].html)
    blank = session.spin("report", run=run.run_id)
    assert blank.ok, failure_text(blank)
    assert [c.type for c in blank.cards] == ["blank"]
    assert "Model report" in card_text(blank.cards[0].html)
    with_id = session.spin("end", run=run.run_id)
    assert with_id.ok, failure_text(with_id)
    assert [(c.type, c.id) for c in with_id.cards] == [("blank", "summary")]
    text = card_text(with_id.cards[0].html)
    assert "Best model" in text and "alpha" in text


def test_project_sets_current(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("project")
    result = sessions.get(run).spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    assert {n: result.artifacts[n] for n in sorted(public(result.artifacts)) if n != "name"} == {
        "branch_name": f"user.{USER}",
        "is_production": False,
        "project_flow_name": f"compat_shop.user.{USER}.ProjectFlow",
        "project_name": "compat_shop",
    }


def test_environment_vars_are_set_in_the_step_only(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("environment")
    session = sessions.get(run)
    start = session.spin("start", run=run.run_id)
    assert start.ok, failure_text(start)
    assert (start.artifacts["greeting"], start.artifacts["level"]) == ("hello", 3)
    end = session.spin("end", run=run.run_id)
    assert end.ok and end.artifacts["greeting_in_end"] is None, failure_text(end)


def test_retry_count_is_the_source_attempt(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("retry")
    result = sessions.get(run).spin("flaky", run=run.run_id)
    assert result.ok, failure_text(result)
    assert result.artifacts["attempt"] == 1


def test_catch_step_failure_mentions_catch(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("catch")
    result = sessions.get(run).spin("risky", run=run.run_id)
    assert not result.ok
    assert result.failure.kind == "exception"
    assert "@catch" in result.error and "ZeroDivisionError" in result.error
    assert "partial" in result.partial


def test_exit_hook_is_not_run_by_a_spin(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("exit_hook")
    marker = run.folder / "hook-ran.txt"
    assert marker.read_text() == f"success {run.run_id}\n"  # the run's own hook ran
    result = sessions.get(run).spin("end", run=run.run_id)
    assert result.ok, failure_text(result)
    assert marker.read_text() == f"success {run.run_id}\n"


def test_classes_from_the_flow_file_reach_the_join(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("artifact_types")
    result = sessions.get(run).spin("join", run=run.run_id)
    assert result.ok, failure_text(result)
    with flow_as_main(run.file) as flow_module:
        # By type name and value: a spin may send classes of the flow file by value.
        assert_equivalent(result.artifacts["stages"], {flow_module.Stage.READY}, "stages")
        assert type(result.artifacts["tally"]).__name__ == "Tally"
        assert result.artifacts["tally"].counts == {"a": 2, "b": 2}
        assert [s.weight for s in result.artifacts["weighed"]] == [3.0, 5.0]


def test_aliased_lists_do_not_leak_between_spins(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("aliasing")
    session = sessions.get(run)
    for index in (0, 1, 0, 2):
        result = session.spin("child", run=run.run_id, index=index)
        assert result.ok, failure_text(result)
        assert result.artifacts["a"] == [0, index + 1], index
        assert result.artifacts["b"] == [0] and result.artifacts["acc"] == [index + 1], index


# -- counterparts of Metaflow's own spin tests (test/unit/spin/test_spin.py) -----------
# Every step of their flows spinning to the same artifacts is the mf_* cases of
# test_every_task_spins_to_the_same_artifacts_without_writing above.


def test_mf_artifacts_module_overrides_an_input(
    runs: Runs, sessions: Sessions, tmp_path: Path
) -> None:
    run = runs.get("mf_complex_dag")
    task = next(t for t in run.client_run()["step_a"] if t["my_output"].data == [3])
    module = tmp_path / "step_a_artifacts.py"
    module.write_text('ARTIFACTS = {"my_output": [10, 11, 12]}\n')
    result = sessions.get(run).spin(
        "step_a", run=run.run_id, task=task.id, artifacts_module=str(module)
    )
    assert result.ok, failure_text(result)
    assert result.artifacts["my_output"] == [10, 11, 12, 3]


def test_mf_artifacts_module_overrides_one_input_of_a_join(
    runs: Runs, sessions: Sessions, tmp_path: Path
) -> None:
    run = runs.get("mf_complex_dag")
    task = run.client_run()["step_d"].task
    parent = next(iter(task.parent_task_pathspecs)).split("/", 1)[1]  # RUN/STEP/TASK
    module = tmp_path / "step_d_artifacts.py"
    module.write_text(f"ARTIFACTS = {{{parent!r}: {{'my_output': [-1]}}}}\n")
    result = sessions.get(run).spin(
        "step_d", run=run.run_id, task=task.id, artifacts_module=str(module)
    )
    assert result.ok, failure_text(result)
    assert result.artifacts["my_output"] == [-1]


def test_mf_config_value_makes_timeout_fire(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_timeout_config")
    result = sessions.get(run).spin(
        "start", run=run.run_id, config_values={"config": {"timeout": 1}}
    )
    assert not result.ok
    assert result.failure.kind == "timeout", failure_text(result)


def test_mf_skip_decorators_lets_the_step_finish(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_timeout_config")
    result = sessions.get(run).spin(
        "start", run=run.run_id, config_values={"config": {"timeout": 1}}, skip_decorators=True
    )
    assert result.ok, failure_text(result)
    assert result.artifacts["slept"] is True


def test_mf_with_decospec_is_applied(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_decospec")
    result = sessions.get(run).spin("start", run=run.run_id, decospecs=["timeout:seconds=1"])
    assert not result.ok
    assert result.failure.kind == "timeout", failure_text(result)
    assert "timed out" in result.error.lower()


def test_mf_default_decospecs_are_not_applied(runs: Runs) -> None:
    run = runs.get("mf_decospec")
    env = {**os.environ, "METAFLOW_DEFAULT_DECOSPECS": "timeout:seconds=1"}
    with SpinSession(run.file, env=env) as session:
        result = session.spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    assert result.artifacts["done"] is True


def test_mf_hidden_artifacts_are_present(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_project_parameter")
    result = sessions.get(run).spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    assert "_graph_info" in result.artifacts
    assert "_foreach_stack" in result.artifacts


def test_mf_card_is_readable(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_card")
    result = sessions.get(run).spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    assert [c.type for c in result.cards] == ["blank"]
    text = card_text(result.cards[0].html)
    assert "Guess my number" in text
    assert "larger" in text  # number=3 < 5


def test_mf_parameters_cannot_be_passed_to_a_spin(runs: Runs, sessions: Sessions) -> None:
    run = runs.get("mf_project_parameter")
    with pytest.raises(TypeError):
        sessions.get(run).spin("start", run=run.run_id, alpha=1.0)  # type: ignore[call-arg]
    cli = subprocess.run(
        [sys.executable, "-m", "spinlens.cli", "spin", FLOW_FILE, "start", "--alpha", "1.0"],
        cwd=run.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 2, cli.stdout + cli.stderr


def test_mf_spin_artifacts_are_readable_afterwards(runs: Runs, sessions: Sessions) -> None:
    """Metaflow: spin --persist, then inspect_spin and the Client. Spinlens: the
    spin's record in its history, read back by a new session."""
    run = runs.get("mf_project_parameter")
    result = sessions.get(run).spin("start", run=run.run_id)
    assert result.ok, failure_text(result)
    run.client_run()  # this process's Client reads this run's datastore (pass-throughs)
    with SpinSession(run.file) as later:
        values = {n: later.fetch(result.spin_id, n) for n in ("a", "b", "alpha")}
    assert values == {"a": 10, "b": 20, "alpha": 0.05}
