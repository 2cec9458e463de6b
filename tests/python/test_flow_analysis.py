"""Tests for spinlens.flow_analysis (static, ast-only flow analysis)."""

from __future__ import annotations

import ast
import gc
import keyword
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spinlens.flow_analysis import (
    FlowAnalysisError,
    FlowFileAnalysis,
    ParameterInfo,
    SourceError,
    Transition,
    analyze_file,
    analyze_source,
)


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    seen = 0
    for number, text in enumerate(source.split("\n"), start=1):
        if needle in text:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in source")


LINEAR = src(
    """
    from metaflow import FlowSpec, step


    class LinearFlow(FlowSpec):
        @step
        def start(self):
            self.x = 1
            self.next(self.middle)

        @step
        def middle(self):
            self.next(self.end)

        @step
        def end(self):
            print(self.x)


    if __name__ == "__main__":
        LinearFlow()
    """
)


def test_linear_flow() -> None:
    analysis = analyze_source(LINEAR)
    assert analysis.error is None
    flow = analysis.flow()
    assert flow.name == "LinearFlow"
    assert flow.line == line_of(LINEAR, "class LinearFlow")
    assert flow.end_line == line_of(LINEAR, "print(self.x)")
    assert flow.step_names == ("start", "middle", "end")

    start = flow.step("start")
    assert start is not None
    assert start.line == line_of(LINEAR, "@step")
    assert start.def_line == line_of(LINEAR, "def start")
    assert start.end_line == line_of(LINEAR, "self.next(self.middle)")
    assert start.decorators == ("step",)
    assert not start.is_join
    assert start.transitions == (
        Transition(
            targets=("middle",),
            foreach=None,
            condition=None,
            num_parallel=False,
            line=line_of(LINEAR, "self.next(self.middle)"),
        ),
    )
    assert start.next_steps == ("middle",)
    end = flow.step("end")
    assert end is not None and end.transitions == () and end.next_steps == ()
    assert flow.step("nope") is None
    assert flow.parents("middle") == ("start",)
    assert flow.parents("start") == ()
    assert flow.foreach_parent("middle") is None
    assert flow.parameters == ()


BRANCH = src(
    """
    from metaflow import FlowSpec, step

    class BranchFlow(FlowSpec):
        @step
        def start(self):
            self.next(self.a, self.b)

        @step
        def a(self):
            self.next(self.join)

        @step
        def b(self):
            self.next(self.join)

        @step
        def join(self, inputs):
            self.merge_artifacts(inputs)
            self.next(self.end)

        @step
        def end(self):
            pass
    """
)


def test_branch_and_join() -> None:
    flow = analyze_source(BRANCH).flow()
    start = flow.step("start")
    join = flow.step("join")
    assert start is not None and join is not None
    assert start.next_steps == ("a", "b")
    assert len(start.transitions) == 1
    assert start.transitions[0].targets == ("a", "b")
    assert join.is_join
    assert not start.is_join
    assert flow.parents("join") == ("a", "b")
    assert flow.parents("end") == ("join",)
    assert flow.foreach_parent("a") is None


FOREACH = src(
    """
    from metaflow import FlowSpec, step

    class ForeachFlow(FlowSpec):
        @step
        def start(self):
            self.items = [1, 2, 3]
            self.next(self.work, foreach="items")

        @step
        def work(self):
            self.next(self.inner_split)

        @step
        def inner_split(self):
            self.letters = ["a", "b"]
            self.next(self.inner, foreach="letters")

        @step
        def inner(self):
            self.next(self.inner_join)

        @step
        def inner_join(self, inputs):
            self.next(self.outer_join)

        @step
        def outer_join(self, inputs):
            self.next(self.end)

        @step
        def end(self):
            pass
    """
)


def test_foreach_and_join() -> None:
    flow = analyze_source(FOREACH).flow()
    start = flow.step("start")
    assert start is not None
    (transition,) = start.transitions
    assert transition.targets == ("work",)
    assert transition.foreach == "items"
    assert transition.condition is None
    assert not transition.num_parallel
    assert flow.foreach_parent("work") == "start"
    assert flow.parents("work") == ("start",)
    outer_join = flow.step("outer_join")
    assert outer_join is not None and outer_join.is_join


def test_nested_foreach() -> None:
    flow = analyze_source(FOREACH).flow()
    assert flow.foreach_parent("inner") == "inner_split"
    inner_split = flow.step("inner_split")
    assert inner_split is not None
    assert inner_split.transitions[0].foreach == "letters"
    # Only the direct foreach target has a foreach parent.
    assert flow.foreach_parent("inner_split") is None
    assert [s.name for s in flow.steps if s.is_join] == ["inner_join", "outer_join"]
    assert flow.parents("inner_join") == ("inner",)


def test_num_parallel_and_non_literal_foreach() -> None:
    source = src(
        """
        from metaflow import FlowSpec, step

        class P(FlowSpec):
            @step
            def start(self):
                name = "items"
                self.next(self.train, num_parallel=4)

            @step
            def train(self):
                self.next(self.other, foreach=name)

            @step
            def other(self):
                self.next(self.end, some_func(), self.end)
        """
    )
    flow = analyze_source(source).flow()
    start, train, other = flow.steps
    assert start.transitions[0].num_parallel
    assert start.transitions[0].foreach is None
    assert train.transitions[0].foreach is None  # not a string literal
    assert other.transitions[0].targets == ("end",)  # non-self args ignored, deduplicated


SWITCH = src(
    """
    from metaflow import FlowSpec, step

    class SwitchFlow(FlowSpec):
        @step
        def start(self):
            self.mode = "fast"
            self.next({"fast": self.fast, "slow": self.slow}, condition="mode")

        @step
        def fast(self):
            if self.mode:
                self.next(self.end)
            else:
                self.next(self.slow)

        @step
        def slow(self):
            self.next(self.end)

        @step
        def end(self):
            pass
    """
)


def test_switch_condition_and_if_else_transitions() -> None:
    flow = analyze_source(SWITCH).flow()
    start = flow.step("start")
    fast = flow.step("fast")
    assert start is not None and fast is not None
    (transition,) = start.transitions
    assert transition.targets == ("fast", "slow")
    assert transition.condition == "mode"
    assert transition.foreach is None
    assert [t.targets for t in fast.transitions] == [("end",), ("slow",)]
    assert [t.line for t in fast.transitions] == [
        line_of(SWITCH, "self.next(self.end)"),
        line_of(SWITCH, "self.next(self.slow)"),
    ]
    assert fast.next_steps == ("end", "slow")
    assert flow.parents("slow") == ("start", "fast")
    assert flow.parents("end") == ("fast", "slow")


TWO_FLOWS = src(
    """
    import metaflow
    from metaflow import FlowSpec, step

    class FirstFlow(FlowSpec):
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    class SecondFlow(metaflow.FlowSpec):
        @metaflow.step
        def start(self):
            self.next(self.end)

        @metaflow.step
        def end(self):
            pass

    if __name__ == "__main__":
        FirstFlow()
    """
)


def test_two_flows_picks_main() -> None:
    analysis = analyze_source(TWO_FLOWS)
    assert [f.name for f in analysis.flows] == ["FirstFlow", "SecondFlow"]
    assert analysis.main_flow == "FirstFlow"
    assert analysis.flow().name == "FirstFlow"
    second = analysis.flow("SecondFlow")
    assert second.step_names == ("start", "end")
    start = second.step("start")
    assert start is not None and start.decorators == ("step",)


def test_two_flows_without_main_picks_last() -> None:
    source = TWO_FLOWS.split("if __name__")[0]
    analysis = analyze_source(source)
    assert analysis.main_flow is None
    assert analysis.flow().name == "SecondFlow"


def test_main_guard_reversed_and_nested_call() -> None:
    source = TWO_FLOWS.replace(
        'if __name__ == "__main__":\n    FirstFlow()',
        'if "__main__" == __name__:\n    print("hi")\n    run(SecondFlow())',
    )
    assert analyze_source(source).flow().name == "SecondFlow"


def test_unknown_flow_name_lists_flows() -> None:
    analysis = analyze_source(TWO_FLOWS, "two.py")
    with pytest.raises(FlowAnalysisError) as info:
        analysis.flow("Missing")
    message = str(info.value)
    assert "Missing" in message
    assert "FirstFlow" in message and "SecondFlow" in message
    assert "two.py" in message
    assert info.value.line is None


STACKED = src(
    """
    from metaflow import FlowSpec, step, card, retry, resources

    @project(name="x")
    class StackedFlow(FlowSpec):
        @card(type="blank")
        @retry
        @step
        def start(self):
            self.next(self.end)

        @step
        @resources(memory=1000)
        def end(self):
            pass
    """
)


def test_stacked_decorators() -> None:
    flow = analyze_source(STACKED).flow()
    assert flow.line == line_of(STACKED, "@project")
    start = flow.step("start")
    end = flow.step("end")
    assert start is not None and end is not None
    assert start.decorators == ("card", "retry", "step")
    assert start.line == line_of(STACKED, "@card")
    assert start.def_line == line_of(STACKED, "def start")
    assert end.decorators == ("step", "resources")
    assert end.line == line_of(STACKED, "@step", occurrence=2)
    assert end.def_line == line_of(STACKED, "def end")


def test_step_call_form_and_async() -> None:
    source = src(
        """
        from metaflow import FlowSpec, step

        class CallFlow(FlowSpec):
            @step()
            async def start(self):
                self.next(self.end)

            @metaflow.step(foo=1)
            def end(self):
                pass
        """
    )
    flow = analyze_source(source).flow()
    assert flow.step_names == ("start", "end")
    end = flow.step("end")
    assert end is not None and end.decorators == ("step",)


NOT_STEPS = src(
    """
    from metaflow import FlowSpec, step

    def step(f):
        return f

    class Flow(FlowSpec):
        @step
        def start(self):
            def step(x):
                return x

            @step
            def helper(self):
                self.next(self.nowhere)

            self.next(self.end)

        def not_a_step(self):
            self.next(self.end)

        @property
        def prop(self):
            return 1

        class Inner(FlowSpec):
            @step
            def hidden(self):
                pass

        @step
        def end(self):
            pass
    """
)


def test_nested_and_module_level_step_functions_are_not_steps() -> None:
    analysis = analyze_source(NOT_STEPS)
    assert [f.name for f in analysis.flows] == ["Flow"]
    flow = analysis.flow()
    assert flow.step_names == ("start", "end")
    start = flow.step("start")
    assert start is not None
    # self.next anywhere in the body counts, nested defs included.
    assert start.next_steps == ("nowhere", "end")


ODD_FORMATTING = src(
    """
    from metaflow import FlowSpec, step

    class OddFlow(FlowSpec):
        @step
        def start(self): self.x = 1; self.next(self.a)

        @step
        def a(self):
            self.next(self.b); x = 2

        @step
        def b(self):
            y = [
                1,
            ]; self.next(self.c)

        @step
        def c(self):
            self \\
                .next(self.d)

        @step
        def d(self):
            try:
                with open("f") as handle:
                    for _ in handle:
                        self.next(
                            self.e,
                            foreach="items",
                        )
            except OSError:
                self.next(self.e)

        @step
        def e(self):
            \"\"\"Docstring mentioning self.next(self.start) is not a call.\"\"\"
            # self.next(self.start) in a comment is not a call either
            helper = lambda: self.next(self.end)
    """
)


def test_odd_formatting() -> None:
    flow = analyze_source(ODD_FORMATTING).flow()
    assert {s.name: s.next_steps for s in flow.steps} == {
        "start": ("a",),
        "a": ("b",),
        "b": ("c",),
        "c": ("d",),
        "d": ("e",),
        "e": ("end",),
    }
    start = flow.step("start")
    c = flow.step("c")
    d = flow.step("d")
    assert start is not None and c is not None and d is not None
    assert start.def_line == start.end_line
    assert c.transitions[0].line == line_of(ODD_FORMATTING, "self \\")
    assert [t.foreach for t in d.transitions] == ["items", None]
    assert [t.line for t in d.transitions] == [
        line_of(ODD_FORMATTING, "self.e,") - 1,
        line_of(ODD_FORMATTING, "self.next(self.e)"),
    ]


def _naive_next_lines(source: str) -> dict[tuple[str, str], list[int]]:
    """Reference: every self.next call line per (class, method), by a full ast.walk."""
    result: dict[tuple[str, str], list[int]] = {}
    for cls in ast.parse(source).body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for fn in cls.body:
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                result[cls.name, fn.name] = sorted(
                    node.lineno
                    for stmt in fn.body
                    for node in ast.walk(stmt)
                    if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "next"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "self"
                )
    return result


@pytest.mark.parametrize(
    "source", [LINEAR, BRANCH, FOREACH, SWITCH, TWO_FLOWS, STACKED, NOT_STEPS, ODD_FORMATTING]
)
def test_transitions_match_full_walk(source: str) -> None:
    naive = _naive_next_lines(source)
    for flow in analyze_source(source).flows:
        for step in flow.steps:
            assert [t.line for t in step.transitions] == naive[flow.name, step.name]


def test_redefined_method_replaces_step() -> None:
    source = src(
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a)

            @step
            def a(self):
                self.next(self.end)

            def a(self):
                pass

            @step
            def end(self):
                pass
        """
    )
    assert analyze_source(source).flow().step_names == ("start", "end")


SYNTAX_ERROR = src(
    """
    from metaflow import FlowSpec, step

    class Broken(FlowSpec):
        @step
        def start(self):
            self.next(self.end

        @step
        def end(self):
            pass
    """
)


def test_syntax_error() -> None:
    analysis = analyze_source(SYNTAX_ERROR, "broken.py")
    assert analysis.flows == ()
    assert analysis.imports == ()
    assert analysis.error is not None
    assert analysis.error.line == line_of(SYNTAX_ERROR, "self.next(self.end")
    assert analysis.error.column >= 1
    assert str(analysis.error).startswith(f"line {analysis.error.line}: ")
    assert analysis.step_at(analysis.error.line) is None
    with pytest.raises(FlowAnalysisError) as info:
        analysis.flow()
    assert info.value.line == analysis.error.line
    assert f"line {analysis.error.line}" in str(info.value)
    assert "broken.py" in str(info.value)


def test_indentation_error() -> None:
    analysis = analyze_source("class F(FlowSpec):\n    def start(self):\n    pass\n")
    assert analysis.error is not None
    assert analysis.error.line == 3
    assert "indent" in analysis.error.message


def test_null_bytes() -> None:
    analysis = analyze_source("x = 1\n\x00\n")
    assert analysis.error is not None
    assert analysis.error.line >= 1
    assert analysis.flows == ()


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_windows_and_old_mac_newlines(newline: str) -> None:
    expected = analyze_source(SWITCH).flow()
    flow = analyze_source(SWITCH.replace("\n", newline)).flow()
    assert flow == expected


def test_gc_state_is_restored() -> None:
    assert gc.isenabled()
    analyze_source(LINEAR + "\n# fresh text, not cached\n")
    analyze_source("def broken(:\n")
    assert gc.isenabled()
    gc.disable()
    try:
        analyze_source(LINEAR + "\n# another fresh text\n")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_source_error_str() -> None:
    assert str(SourceError("invalid syntax", 12, 4)) == "line 12: invalid syntax"


def test_non_flow_file() -> None:
    source = src(
        """
        import os

        class Plain:
            @step
            def start(self):
                self.next(self.end)

        def main():
            return os.getcwd()
        """
    )
    analysis = analyze_source(source)
    assert analysis.error is None
    assert analysis.flows == ()
    assert analysis.imports == ("os",)
    assert analysis.step_at(5) is None
    with pytest.raises(FlowAnalysisError, match="no flow"):
        analysis.flow()


def test_empty_source() -> None:
    analysis = analyze_source("")
    assert analysis == FlowFileAnalysis(flows=(), imports=(), error=None)


PARAMS = src(
    """
    import metaflow
    from metaflow import FlowSpec, Parameter, Config, IncludeFile, step

    class ParamFlow(FlowSpec):
        alpha = Parameter("alpha", default=0.5)
        cfg = Config("cfg", default="config.json")
        data: str = IncludeFile("data", default="data.csv")
        beta = metaflow.Parameter("beta")
        plain = 3
        other = some_call()

        @step
        def start(self):
            local = Parameter("not-a-class-attr")
            self.next(self.end)

        @step
        def end(self):
            pass
    """
)


def test_parameters() -> None:
    flow = analyze_source(PARAMS).flow()
    assert flow.parameters == (
        ParameterInfo("alpha", "Parameter", line_of(PARAMS, "alpha =")),
        ParameterInfo("cfg", "Config", line_of(PARAMS, "cfg =")),
        ParameterInfo("data", "IncludeFile", line_of(PARAMS, "data: str")),
        ParameterInfo("beta", "Parameter", line_of(PARAMS, "beta =")),
    )


def test_imports() -> None:
    source = src(
        """
        from __future__ import annotations
        import os, os.path
        import numpy.linalg as la
        from metaflow import FlowSpec
        from metaflow.cards import Markdown
        from . import sibling
        from .pkg import thing
        import json

        try:
            import pandas
        except ImportError:
            import polars
        if True:
            from collections import abc

        def f():
            import inside_function

        class C:
            import inside_class
        """
    )
    assert analyze_source(source).imports == (
        "os",
        "numpy",
        "metaflow",
        "json",
        "pandas",
        "polars",
        "collections",
    )


def test_step_at() -> None:
    analysis = analyze_source(STACKED)
    flow = analysis.flow()
    start = flow.step("start")
    end = flow.step("end")
    assert start is not None and end is not None
    for line in range(start.line, start.end_line + 1):
        assert analysis.step_at(line) == (flow, start)
    assert analysis.step_at(end.line) == (flow, end)
    assert analysis.step_at(end.end_line) == (flow, end)
    assert analysis.step_at(start.end_line + 1) is None  # blank line between steps
    assert analysis.step_at(1) is None
    assert analysis.step_at(10_000) is None


SUBCLASS = src(
    """
    from metaflow import FlowSpec, Parameter, step

    class BaseFlow(FlowSpec):
        alpha = Parameter("alpha")

        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    class Mixin:
        pass

    class ChildFlow(Mixin, BaseFlow):
        beta = Parameter("beta")

        @step
        def start(self):
            self.next(self.extra)

        @step
        def extra(self):
            self.next(self.end)

    class GrandChild(ChildFlow):
        pass
    """
)


def test_flow_subclassing_flow_in_file() -> None:
    analysis = analyze_source(SUBCLASS)
    assert [f.name for f in analysis.flows] == ["BaseFlow", "ChildFlow", "GrandChild"]
    child = analysis.flow("ChildFlow")
    # Inherited steps keep their lines in the base class; overrides win.
    assert child.step_names == ("end", "start", "extra")
    start = child.step("start")
    end = child.step("end")
    assert start is not None and end is not None
    assert start.def_line == line_of(SUBCLASS, "def start", occurrence=2)
    assert end.def_line == line_of(SUBCLASS, "def end")
    assert child.parents("end") == ("extra",)
    assert [p.name for p in child.parameters] == ["alpha", "beta"]
    grand = analysis.flow("GrandChild")
    assert set(grand.step_names) == {"start", "extra", "end"}
    # step_at is scoped to the class body that contains the line.
    base = analysis.flow("BaseFlow")
    assert analysis.step_at(end.def_line) == (base, end)


def test_analyze_file(tmp_path: Path) -> None:
    path = tmp_path / "flow.py"
    path.write_text(LINEAR, encoding="utf-8")
    analysis = analyze_file(path)
    assert analysis.flow().step_names == ("start", "middle", "end")
    assert analysis.filename == str(path)
    with pytest.raises(OSError):
        analyze_file(tmp_path / "missing.py")


def test_analyze_file_bom_and_bad_utf8(tmp_path: Path) -> None:
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbf" + LINEAR.encode())
    assert analyze_file(bom).flow().name == "LinearFlow"
    assert analyze_source("\ufeff" + LINEAR).flow().name == "LinearFlow"
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = 1\ny = '\xff'\n")
    analysis = analyze_file(bad)
    assert analysis.error is not None
    assert (analysis.error.line, analysis.error.column) == (2, 6)


# Hypothesis: generated linear flows.

_identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda name: not keyword.iskeyword(name) and name not in {"self", "step"}
)


@st.composite
def linear_flows(draw: st.DrawFn) -> tuple[str, list[str], list[dict[str, int]]]:
    names = draw(st.lists(_identifiers, min_size=1, max_size=12, unique=True))
    lines = ["from metaflow import FlowSpec, step, retry", "", "", "class GenFlow(FlowSpec):"]
    expected: list[dict[str, int]] = []
    for index, name in enumerate(names):
        lines.extend([""] * draw(st.integers(0, 2)))
        first = len(lines) + 1
        extra = draw(st.integers(0, 2))
        before = draw(st.integers(0, extra))
        lines.extend(["    @retry"] * before + ["    @step"] + ["    @retry"] * (extra - before))
        def_line = len(lines) + 1
        lines.append(f"    def {name}(self):")
        lines.extend([f"        self.v{i} = {i}" for i in range(draw(st.integers(0, 3)))])
        next_line = None
        if index + 1 < len(names):
            lines.append(f"        self.next(self.{names[index + 1]})")
            next_line = len(lines)
        else:
            lines.append("        pass")
        expected.append(
            {"line": first, "def_line": def_line, "end": len(lines), "next": next_line or 0}
        )
    return "\n".join(lines) + "\n", names, expected


@settings(max_examples=75, deadline=None)
@given(linear_flows())
def test_generated_linear_flows(case: tuple[str, list[str], list[dict[str, int]]]) -> None:
    source, names, expected = case
    analysis = analyze_source(source)
    assert analysis.error is None
    flow = analysis.flow()
    assert flow.step_names == tuple(names)
    for index, (step, want) in enumerate(zip(flow.steps, expected, strict=True)):
        assert step.line == want["line"]
        assert step.def_line == want["def_line"]
        assert step.end_line == want["end"]
        assert not step.is_join
        if index + 1 < len(names):
            assert step.transitions == (
                Transition((names[index + 1],), None, None, False, want["next"]),
            )
            assert flow.parents(names[index + 1]) == (step.name,)
        else:
            assert step.transitions == ()
        assert analysis.step_at(want["def_line"]) == (flow, step)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    analysis = analyze_source(text)
    if analysis.error is not None:
        assert analysis.flows == ()
        assert analysis.error.line >= 1 and analysis.error.column >= 1


# Flows found across files and through aliases (fixtures: flows/discovery, each one
# checked to run under `python flow.py run`).

DISCOVERY = Path(__file__).parent / "flows" / "discovery"


def _fixture_line(path: Path, needle: str, occurrence: int = 1) -> int:
    return line_of(path.read_text(encoding="utf-8"), needle, occurrence)


@pytest.mark.parametrize(
    "folder,base",
    [
        ("from_import", "base.py"),  # from base import BaseFlow
        ("module_import", "base.py"),  # import base; class ChildFlow(base.BaseFlow)
        ("package", "shared/base.py"),  # from shared import BaseFlow (re-exported)
    ],
)
def test_base_flow_in_a_sibling_module(folder: str, base: str) -> None:
    flow_file = DISCOVERY / folder / "flow.py"
    base_file = DISCOVERY / folder / base
    flow = analyze_file(flow_file).flow()
    assert flow.name == "ChildFlow"
    # Own steps first, then the inherited ones in the base's order.
    assert flow.step_names == ("middle", "start", "end")
    middle, start, end = flow.steps
    assert middle.defined_in is None
    assert middle.line == _fixture_line(flow_file, "@step")
    assert middle.def_line == _fixture_line(flow_file, "def middle")
    assert start.defined_in == end.defined_in == str(base_file)
    assert start.def_line == _fixture_line(base_file, "def start")
    assert end.def_line == _fixture_line(base_file, "def end")
    assert flow.parents("middle") == ("start",)
    assert flow.parents("end") == ("middle",)
    params = {p.name: (p.kind, p.defined_in) for p in flow.parameters}
    assert params == {
        "beta": ("Parameter", None),
        "alpha": ("Parameter", str(base_file)),
        "settings": ("Config", str(base_file)),
    }
    # Only lines of this file map to steps, whatever lines the inherited ones have.
    analysis = analyze_file(flow_file)
    lines = range(1, flow.end_line + 2)
    assert {analysis.step_at(n) for n in lines} == {None, (flow, middle)}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(src(text), encoding="utf-8")


BASE_MODULE = """
    from metaflow import FlowSpec, step

    class BaseFlow(FlowSpec):
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass
    """

CHILD = """
    {import_line}

    class ChildFlow({base}):
        @step
        def end(self):
            pass
    """


@pytest.mark.parametrize(
    "import_line,base",
    [
        ("from .base import BaseFlow", "BaseFlow"),
        ("from . import base", "base.BaseFlow"),
        ("from .pkg.base import BaseFlow as Root", "Root"),
        ("import pkg.base", "pkg.base.BaseFlow"),
        ("import pkg.base as b", "b.BaseFlow"),
        ("from pkg import base", "base.BaseFlow"),
        # Namespace package (no __init__.py) and a fallback import.
        ("from ns.base import BaseFlow", "BaseFlow"),
        (
            "try:\n        from missing import BaseFlow\n    except ImportError:\n"
            "        from base import BaseFlow",
            "BaseFlow",
        ),
    ],
)
def test_import_forms_of_a_base_flow(tmp_path: Path, import_line: str, base: str) -> None:
    _write(
        tmp_path,
        {
            "base.py": BASE_MODULE,
            "pkg/__init__.py": "",
            "pkg/base.py": BASE_MODULE,
            "ns/base.py": BASE_MODULE,
            "flow.py": CHILD.format(import_line=import_line, base=base),
        },
    )
    flow = analyze_file(tmp_path / "flow.py").flow()
    assert flow.name == "ChildFlow"
    assert flow.step_names == ("end", "start")
    start = flow.step("start")
    assert start is not None and start.defined_in is not None
    assert Path(start.defined_in).name == "base.py"


def test_base_of_a_base_in_another_module(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "root.py": """
                from metaflow import FlowSpec, Parameter, step

                class RootFlow(FlowSpec):
                    alpha = Parameter("alpha")

                    @step
                    def start(self):
                        self.next(self.end)
                """,
            "mid.py": """
                from metaflow import step
                from root import RootFlow

                class MidFlow(RootFlow):
                    @step
                    def end(self):
                        pass
                """,
            "flow.py": """
                import mid

                class ChildFlow(mid.MidFlow):
                    pass
                """,
        },
    )
    flow = analyze_file(tmp_path / "flow.py").flow()
    assert {s.name: Path(s.defined_in or "").name for s in flow.steps} == {
        "end": "mid.py",
        "start": "root.py",
    }
    assert [(p.name, Path(p.defined_in or "").name) for p in flow.parameters] == [
        ("alpha", "root.py")
    ]


def test_base_flows_only_beside_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not the parent folder, not sys.path (site-packages): only the file's folder."""
    _write(
        tmp_path,
        {
            "base.py": BASE_MODULE,
            "sub/flow.py": CHILD.format(import_line="from base import BaseFlow", base="BaseFlow"),
            "sub/up.py": CHILD.format(import_line="from ..base import BaseFlow", base="BaseFlow"),
            "sub/installed.py": CHILD.format(
                import_line="from metaflow.flowspec import FlowSpec as F", base="F.Other"
            ),
        },
    )
    for name in ("flow.py", "up.py", "installed.py"):
        with pytest.raises(FlowAnalysisError, match="no flow") as info:
            analyze_file(tmp_path / "sub" / name).flow()
        assert info.value.code == "no-flow"
    # Text not saved as a file (no name, an editor's untitled: URI) looks nowhere,
    # not even in the current folder.
    monkeypatch.chdir(tmp_path)
    source = src(CHILD.format(import_line="from base import BaseFlow", base="BaseFlow"))
    assert analyze_source(source, "flow.py").flow().name == "ChildFlow"
    assert analyze_source(source).flows == ()
    assert analyze_source(source, "untitled:Untitled-1").flows == ()


def test_import_cycles_end(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "a.py": """
                from b import BFlow

                class AFlow(BFlow):
                    pass
                """,
            "b.py": """
                from a import AFlow

                class BFlow(AFlow):
                    pass
                """,
            "me.py": """
                from me import MeFlow

                class MeFlow(MeFlow):
                    pass
                """,
            # A cycle through a module that does hold the base flow.
            "c.py": """
                from d import BaseFlow

                class ChildFlow(BaseFlow):
                    pass
                """,
            "d.py": "from c import ChildFlow\n" + src(BASE_MODULE),
        },
    )
    assert analyze_file(tmp_path / "a.py").flows == ()
    assert analyze_file(tmp_path / "me.py").flows == ()
    assert analyze_file(tmp_path / "c.py").flow().step_names == ("start", "end")


def test_base_module_changes_are_seen(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {"flow.py": CHILD.format(import_line="from base import BaseFlow", base="BaseFlow")},
    )
    flow_file = tmp_path / "flow.py"
    base_file = tmp_path / "base.py"
    with pytest.raises(FlowAnalysisError, match="no flow"):
        analyze_file(flow_file).flow()
    # The base appears later (the editor had the child open first).
    base_file.write_text(src(BASE_MODULE), encoding="utf-8")
    assert analyze_file(flow_file).flow().step_names == ("end", "start")
    # Unchanged files: the same cached result.
    text = flow_file.read_text(encoding="utf-8")
    assert analyze_source(text, str(flow_file)) is analyze_source(text, str(flow_file))
    # A step added to the base (same size or not, the mtime moves).
    base_file.write_text(
        src(BASE_MODULE).replace(
            "def end(self):", "def extra(self):\n        pass\n\n    @step\n    def end(self):"
        ),
        encoding="utf-8",
    )
    assert analyze_file(flow_file).flow().step_names == ("end", "start", "extra")
    base_file.unlink()
    assert analyze_file(flow_file).flows == ()


ALIASES = [
    # from metaflow import FlowSpec as FS, Parameter as P, step as mf_step
    ("alias_names_flow.py", "AliasNamesFlow", {"alpha": "Parameter"}),
    # import metaflow as mf: mf.FlowSpec, mf.step, mf.Parameter, mf.Config
    ("alias_module_flow.py", "AliasModuleFlow", {"alpha": "Parameter", "settings": "Config"}),
    # from metaflow import step as s, with another decorator stacked
    ("alias_step_flow.py", "AliasStepFlow", {}),
]


@pytest.mark.parametrize("name,flow_name,params", ALIASES)
def test_aliased_metaflow_names(name: str, flow_name: str, params: dict[str, str]) -> None:
    path = DISCOVERY / name
    flow = analyze_file(path).flow()
    assert flow.name == flow_name
    assert flow.step_names == ("start", "end")
    start = flow.step("start")
    assert start is not None
    assert start.decorators[-1] == "step"  # the alias is reported by its Metaflow name
    assert start.line == _fixture_line(path, "@")  # the first decorator
    assert {p.name: p.kind for p in flow.parameters} == params


def test_alias_of_another_metaflow_name_is_not_a_step() -> None:
    source = src(
        """
        from metaflow import FlowSpec as Flow, card as step, step as real

        class F(Flow):
            @step
            def helper(self):
                pass

            @real
            def start(self):
                pass
        """
    )
    flow = analyze_source(source).flow()
    assert flow.step_names == ("start",)


def test_base_and_child_in_one_file_picks_the_main_flow() -> None:
    path = DISCOVERY / "base_and_child_flow.py"
    analysis = analyze_file(path)
    assert [f.name for f in analysis.flows] == ["BaseFlow", "ChildFlow"]
    assert analysis.main_flow == "ChildFlow"
    flow = analysis.flow()
    assert flow.name == "ChildFlow"
    start = flow.step("start")
    assert start is not None
    # Inherited from a class of this file: defined here, at the base's lines.
    assert start.defined_in is None
    assert start.def_line == _fixture_line(path, "def start")
    assert [p.name for p in flow.parameters] == ["alpha"]


def test_error_codes(tmp_path: Path) -> None:
    codes = {}
    for label, analysis, name in [
        ("syntax", analyze_source(SYNTAX_ERROR), None),
        ("plain", analyze_source("x = 1\n"), None),
        ("unknown", analyze_source(TWO_FLOWS), "Missing"),
    ]:
        with pytest.raises(FlowAnalysisError) as info:
            analysis.flow(name)
        codes[label] = info.value.code
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"x = '\xff'\n")
    with pytest.raises(FlowAnalysisError) as info:
        analyze_file(bad).flow()
    codes["utf8"] = info.value.code
    assert codes == {
        "syntax": "syntax-error",
        "plain": "no-flow",
        "unknown": "unknown-flow",
        "utf8": "syntax-error",
    }
