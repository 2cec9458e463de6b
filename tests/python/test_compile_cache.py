"""Step sources read ahead in the kernel (engine/step_sources.py): reused only
for a function whose text is the same, so an edit always runs fresh."""

from __future__ import annotations

import inspect
import linecache
import types
from collections.abc import Callable
from pathlib import Path

from flowruns import FlowRun
from spinlens import SpinSession
from spinlens.engine import step_sources

TEXT = """\
def deco(f):
    return f


class Flow:
    @deco
    def start(self):
        x = 1
        # a comment inside the block
        return x

    @deco
    def middle(self):
        return 2
    # a comment after the block, at the class's indentation

    @deco
    def end(self):
        return 3
"""


def _exec(path: str, text: str) -> types.ModuleType:
    linecache.cache[path] = (len(text), None, text.splitlines(True), path)
    module = types.ModuleType("m")
    exec(compile(text, path, "exec"), module.__dict__)
    return module


def test_a_primed_block_is_what_inspect_reads_and_an_edit_is_not_reused(tmp_path: Path) -> None:
    path = str(tmp_path / "flow_text.py")
    step_sources.prime(path, TEXT)
    same = _exec(path, TEXT).Flow
    for name in ("start", "middle", "end"):
        primed = step_sources._primed_lines(getattr(same, name))
        assert primed == inspect.getsourcelines(getattr(same, name)), name
    edited_text = TEXT.replace("return 2", "return 20")
    edited = _exec(path, edited_text).Flow
    assert step_sources._primed_lines(edited.middle) is None  # its lines changed
    assert step_sources._primed_lines(edited.start) is not None  # the same text
    # A line added above moves every function below it: none of them is reused.
    shifted = _exec(path, "import os\n" + TEXT).Flow
    assert all(step_sources._primed_lines(getattr(shifted, n)) is None for n in ("start", "end"))


def test_an_edited_graph_is_the_one_metaflow_sees(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    with SpinSession(run.file) as session:
        assert session.spin("middle").ok  # primes the kernel with this text
        # middle now goes to a new step: a stale graph would reject the transition.
        edited = text.replace(
            "self.next(self.end)\n\n    @step\n    def end",
            (
                "self.next(self.extra)\n\n    @step\n    def extra(self):\n"
                "        self.next(self.end)\n\n    @step\n    def end"
            ),
            1,
        )
        assert "def extra" in edited
        result = session.spin("middle", source=edited)
        assert result.ok, result.error
        assert result.next_steps == ("extra",)
        back = session.spin("middle", source=text)  # and back again
        assert back.ok, back.error
        assert back.next_steps == ("end",)


def test_an_input_frame_changed_in_place_is_changed(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("foreach_flow.py")
    text = run.file.read_text()
    mutated = text.replace(
        "        part = self.table[self.table.g == self.input]\n",
        "        part = self.table[self.table.g == self.input]\n"
        "        self.table.loc[0, 'x'] = 123.0\n",
    )
    assert mutated != text
    with SpinSession(run.file) as session:
        plain = session.spin("per_group", index=0)
        assert plain.ok, plain.error
        assert plain.artifact_events["table"].vs_inputs == "unchanged"  # read, not changed
        result = session.spin("per_group", index=0, source=mutated)
        assert result.ok, result.error
        assert result.artifact_events["table"].vs_inputs == "changed"
        assert result.artifacts["table"].loc[0, "x"] == 123.0
