"""Tests for spinlens.artifact_flow (static artifact flow: reaching artifacts,
symbols, completions, diagnostics)."""

from __future__ import annotations

import statistics
import textwrap
import time
from pathlib import Path

import pytest

from spinlens.artifact_flow import ArtifactAnalysis, Diagnostic, analyze_artifacts
from spinlens.artifact_flow.facts import Columns
from spinlens.artifact_flow.members import PRIVATE_MEMBERS, PUBLIC_MEMBERS

HERE = Path(__file__).resolve().parent
COMPAT = HERE / "compat"
FLOWS = HERE / "flows"
ARTIFACT_FLOWS = HERE / "artifact_flows"
MISTAKES = ARTIFACT_FLOWS / "mistakes"
METAFLOW_FLOWS = ARTIFACT_FLOWS / "metaflow"


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def analyze(path: Path) -> ArtifactAnalysis:
    return analyze_artifacts(path.read_text(encoding="utf-8"), str(path))


def position(source: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and 0-based column of the n-th ``needle``."""
    seen = 0
    for number, text in enumerate(source.split("\n"), start=1):
        start = 0
        while (col := text.find(needle, start)) >= 0:
            seen += 1
            if seen == occurrence:
                return number, col
            start = col + 1
    raise AssertionError(f"{needle!r} not in source")


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    return position(source, needle, occurrence)[0]


def lines_of(defs: object) -> list[tuple[str | None, int]]:
    return [(a.step, a.location.line) for a in defs]  # type: ignore[attr-defined]


# -- zero false alarms ------------------------------------------------------------

CORRECT_FLOWS = sorted(
    [
        *COMPAT.rglob("*.py"),
        *FLOWS.rglob("*.py"),
        *METAFLOW_FLOWS.rglob("*.py"),
    ]
)


def _label(path: Path) -> str:
    return str(path.relative_to(HERE))


@pytest.mark.parametrize("path", CORRECT_FLOWS, ids=_label)
def test_no_diagnostics_on_correct_flows(path: Path) -> None:
    analysis = analyze(path)
    assert analysis.error is None
    assert analysis.diagnostics() == ()


def test_correct_flows_are_analysed_not_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    """Silence must come from the analysis, not from every flow being open: count the
    flows checked, and the reads that were checked against reaching artifacts."""
    checked, open_flows, reads = 0, [], 0
    for path in CORRECT_FLOWS:
        analysis = analyze(path)
        flow = analysis.flow(analysis.main) if analysis.main else None
        if flow is None:
            continue
        checked += 1
        if flow.open_reason is not None:
            open_flows.append(flow.open_reason)
            continue
        reads += sum(
            1
            for step in flow.steps.values()
            if step.open_reason is None and not step.open_upstream
            for access in step.reads
        )
    with capsys.disabled():
        print(
            f"\nartifact flow: {checked} correct flows checked ({len(open_flows)} open: "
            f"mutators or unknown decorators), {reads} reads resolved upstream"
        )
    # Every file that runs a flow from __main__ (125 when written: the compat suite,
    # tests/python/flows and Metaflow's tutorials and test flows) is analysed.
    runs_a_flow = [p for p in CORRECT_FLOWS if "__main__" in p.read_text(encoding="utf-8")]
    assert checked == len(runs_a_flow) >= 125
    assert reads > 500
    # Only flows under a flow mutator (it may add Parameters) are left open.
    assert len(open_flows) == 10
    assert all(r.startswith("the flow is decorated with @") for r in open_flows), open_flows


# -- seeded mistakes --------------------------------------------------------------

MISTAKE_FLOWS = sorted(p for p in MISTAKES.rglob("*.py") if "# MISTAKE:" in p.read_text())


def _expected(path: Path) -> tuple[int, str]:
    for number, text in enumerate(path.read_text().split("\n"), start=1):
        if "# MISTAKE: " in text:
            return number, text.split("# MISTAKE: ")[1].strip()
    raise AssertionError(path)


@pytest.mark.parametrize("path", MISTAKE_FLOWS, ids=lambda p: p.stem)
def test_each_seeded_mistake_gives_one_diagnostic(path: Path) -> None:
    line, code = _expected(path)
    found = analyze(path).diagnostics()
    assert [(d.line, d.code) for d in found] == [(line, code)], [d.message for d in found]


FIXABLE = [p for p in MISTAKE_FLOWS if any(d.fix for d in analyze(p).diagnostics())]


@pytest.mark.parametrize("path", FIXABLE, ids=lambda p: p.stem)
def test_quick_fixes_repair_the_flow(path: Path) -> None:
    """A fix, applied, leaves a flow with no diagnostic at all."""
    text = path.read_text()
    (diagnostic,) = analyze_artifacts(text, str(path)).diagnostics()
    fixed = _apply(text, diagnostic)
    assert analyze_artifacts(fixed, str(path)).diagnostics() == ()


def _apply(text: str, diagnostic: Diagnostic) -> str:
    assert diagnostic.fix is not None
    lines = text.split("\n")
    for edit in reversed(diagnostic.fix.edits):
        assert edit.line == edit.end_line
        row = lines[edit.line - 1]
        lines[edit.line - 1] = row[: edit.col] + edit.new_text + row[edit.end_col :]
    return "\n".join(lines)


def test_the_fixes_offered() -> None:
    fixes = {
        p.stem: d.fix.title
        for p in MISTAKE_FLOWS
        for d in analyze(p).diagnostics()
        if d.fix is not None
    }
    assert fixes == {
        "undefined_artifact": "Change to total",
        "unknown_step": "Change to self.train",
        "join_without_inputs": "Add the inputs argument",
        "foreach_join_uses_inputs": "Add the inputs argument",
        "undefined_foreach": 'Change to "items"',
        "undefined_condition": 'Change to "route"',
        "recursion_typo": "Change to count",
        "flow": "Change to model",
    }


# -- what reaches each step -------------------------------------------------------


def test_merge_artifacts_include_and_exclude() -> None:
    path = COMPAT / "mf_merge_artifacts" / "flow.py"
    text = path.read_text()
    flow = analyze(path).flow()
    assert flow is not None
    # exclude=["y"]; x is assigned in the join itself (before the merge)
    assert set(flow.steps["join"].reaching) == {"carried", "shared", "only_a"}
    assert set(flow.steps["join2"].reaching) == {"carried", "shared"}
    assert set(flow.steps["c"].reaching) == {"carried", "shared", "only_a", "x"}
    assert lines_of(flow.steps["c"].reaching["x"]) == [("join", line_of(text, "self.x = inputs"))]
    assert set(flow.steps["end"].reaching) == {"carried", "shared"}


def test_foreach_and_nested_joins() -> None:
    path = COMPAT / "nested_foreach" / "flow.py"
    flow = analyze(path).flow()
    assert flow is not None
    assert set(flow.steps["shop"].reaching) == {"regions", "region_name", "shops"}
    assert dict(flow.steps["join_shops"].reaching) == {}  # a join starts empty
    assert set(flow.steps["join_regions"].reaching) == set()
    assert set(flow.steps["end"].reaching) == {"by_region", "positions"}
    assert flow.steps["join_shops"].parents == ("shop",)
    reads = {(a.name, a.source) for a in flow.steps["join_shops"].reads}
    assert reads == {("region_name", "*"), ("shop_name", "*"), ("sales", "*"), ("position", "*")}


def test_conditional_branches_both_reach_the_step_after() -> None:
    path = COMPAT / "conditionals" / "flow.py"
    text = path.read_text()
    flow = analyze(path).flow()
    assert flow is not None
    assert lines_of(flow.steps["end"].reaching["handled"]) == [
        ("big", line_of(text, 'self.handled = f"big')),
        ("small", line_of(text, 'self.handled = f"small')),
    ]
    assert set(flow.steps["end"].reaching) == {"route", "handled", "parity", "halved"}


def test_recursion_reaches_itself() -> None:
    path = COMPAT / "recursion" / "flow.py"
    text = path.read_text()
    flow = analyze(path).flow()
    assert flow is not None
    assert lines_of(flow.steps["loop"].reaching["x"]) == [
        ("start", line_of(text, "self.x = 0")),
        ("loop", line_of(text, "self.x += 1")),
    ]
    # the loop's own write replaces start's value for every later step
    assert lines_of(flow.steps["end"].reaching["x"]) == [("loop", line_of(text, "self.x += 1"))]


def test_base_flow_in_another_file() -> None:
    path = COMPAT / "base_flow" / "flow.py"
    base = (COMPAT / "base_flow" / "base.py").resolve()
    text = path.read_text()
    analysis = analyze(path)
    flow = analysis.flow()
    assert flow is not None and flow.open_reason is None
    (values,) = flow.steps["process"].reaching["values"]
    assert values.step == "start"
    assert values.location.file == str(base)
    assert values.location.line == line_of(base.read_text(), "self.values = [")
    # Parameters and helpers inherited from the base are known
    line, col = position(text, "self.keep(")
    symbol = analysis.symbol_at(line, col + len("self."))
    assert symbol is not None and symbol.kind == "method"
    assert symbol.definitions[0].location.file == str(base)
    line, col = position(text, "* self.scale")
    symbol = analysis.symbol_at(line, col + len("* self."))
    assert symbol is not None and symbol.kind == "parameter"
    assert symbol.definitions[0].location.line == line_of(text, "scale = Parameter")


def test_catch_var_is_an_artifact() -> None:
    path = COMPAT / "catch" / "flow.py"
    text = path.read_text()
    flow = analyze(path).flow()
    assert flow is not None
    (failure,) = flow.steps["end"].reaching["failure"]
    assert (failure.step, failure.location.line) == (
        "risky",
        line_of(text, '@catch(var="failure")'),
    )


# -- symbol under the cursor: hover, definition, references -----------------------

LINEAR = src(
    """
    from metaflow import Config, FlowSpec, Parameter, step


    class TrainFlow(FlowSpec):
        alpha = Parameter("alpha", default=0.5)
        model_cfg = Config("model_cfg", default_value={"depth": 3})
        LABEL = "train"

        @step
        def start(self):
            self.rows = list(range(10))
            self.coef = None
            self.next(self.train)

        @step
        def train(self):
            self.coef = sum(self.rows) * self.alpha
            self.depth = self.model_cfg.depth
            self.next(self.end)

        @step
        def end(self):
            print(self.coef, self.depth, self.LABEL, self.index)


    if __name__ == "__main__":
        TrainFlow()
    """
)


def test_symbol_of_an_artifact_read() -> None:
    analysis = analyze_artifacts(LINEAR, "train_flow.py")
    line, col = position(LINEAR, "self.coef, self.depth")
    symbol = analysis.symbol_at(line, col + len("self.") + 1)
    assert symbol is not None
    assert (symbol.name, symbol.kind, symbol.step, symbol.flow) == (
        "coef",
        "artifact",
        "end",
        "TrainFlow",
    )
    assert (symbol.location.col, symbol.location.end_col) == (col + 5, col + 9)
    assert lines_of(symbol.definitions) == [("train", line_of(LINEAR, "self.coef = sum"))]
    assert [(a.step, a.kind, a.location.line) for a in symbol.references] == [
        ("start", "write", line_of(LINEAR, "self.coef = None")),
        ("train", "write", line_of(LINEAR, "self.coef = sum")),
        ("end", "read", line),
    ]
    assert symbol.detail == "artifact set in train"


def test_symbol_of_an_assignment_points_upstream() -> None:
    analysis = analyze_artifacts(LINEAR, "train_flow.py")
    line, col = position(LINEAR, "self.coef = sum")
    symbol = analysis.symbol_at(line, col + 6)
    assert symbol is not None and symbol.kind == "artifact"
    assert lines_of(symbol.definitions) == [("start", line_of(LINEAR, "self.coef = None"))]


def test_symbol_of_parameters_configs_class_attributes_and_members() -> None:
    analysis = analyze_artifacts(LINEAR, "train_flow.py")
    cases = {
        "self.alpha": ("parameter", line_of(LINEAR, "alpha = Parameter")),
        "self.model_cfg": ("config", line_of(LINEAR, "model_cfg = Config")),
        "self.LABEL": ("class-attribute", line_of(LINEAR, 'LABEL = "train"')),
        "self.index": ("member", None),
        "self.train)": ("step", line_of(LINEAR, "def train")),
    }
    for needle, (kind, definition) in cases.items():
        line, col = position(LINEAR, needle)
        symbol = analysis.symbol_at(line, col + len("self."))
        assert symbol is not None, needle
        assert symbol.kind == kind, needle
        assert [d.location.line for d in symbol.definitions] == (
            [definition] if definition else []
        ), needle
    # on the declaration itself, at class level
    line, col = position(LINEAR, "alpha = Parameter")
    symbol = analysis.symbol_at(line, col)
    assert symbol is not None and symbol.kind == "parameter"
    assert [a.step for a in symbol.references] == ["train"]


def test_symbol_through_inputs() -> None:
    path = COMPAT / "mf_merge_artifacts" / "flow.py"
    text = path.read_text()
    analysis = analyze(path)
    line, col = position(text, "inputs.a.x")
    symbol = analysis.symbol_at(line, col + len("inputs.a."))
    assert symbol is not None
    assert (symbol.name, symbol.source, symbol.step) == ("x", "a", "join")
    assert lines_of(symbol.definitions) == [("a", line_of(text, "self.x = 1"))]
    assert analysis.symbol_at(line, col + len("inputs.")) is None  # `a` is a step, not a symbol


def test_symbol_in_foreach_alias() -> None:
    path = COMPAT / "aliasing" / "flow.py"
    text = path.read_text()
    analysis = analyze(path)
    line, col = position(text, "inp.acc")
    symbol = analysis.symbol_at(line, col + len("inp."))
    assert symbol is not None and (symbol.name, symbol.source) == ("acc", "*")
    assert lines_of(symbol.definitions) == [
        ("child", line_of(text, "self.acc = self.acc + [self.input]"))
    ]


def test_no_symbol_outside_names_and_on_bad_syntax() -> None:
    analysis = analyze_artifacts(LINEAR, "train_flow.py")
    line, _ = position(LINEAR, "print(")
    assert analysis.symbol_at(line, 4) is None
    broken = analyze_artifacts(LINEAR.replace("self.next(self.end)", "self.next(self."), "x.py")
    assert broken.error is not None
    assert broken.symbol_at(line, 10) is None
    assert broken.diagnostics() == ()


def test_columns_are_code_points() -> None:
    text = LINEAR.replace("print(self.coef, self.depth", 'print("é€😀", self.coef, self.depth')
    analysis = analyze_artifacts(text, "train_flow.py")
    line, col = position(text, "self.coef, self.depth")
    symbol = analysis.symbol_at(line, col + 6)
    assert symbol is not None and symbol.name == "coef"
    assert symbol.location.col == col + len("self.")
    assert Columns("a = 'é'; b\n").col(1, len("a = 'é'; ".encode())) == len("a = 'é'; ")


# -- completion -------------------------------------------------------------------


def test_completions_offer_what_reaches_the_step() -> None:
    analysis = analyze_artifacts(LINEAR, "train_flow.py")
    in_train = {c.name: c.kind for c in analysis.completions("train")}
    assert in_train["rows"] == "artifact"
    assert in_train["coef"] == "artifact"
    assert in_train["depth"] == "artifact"  # set in train itself
    assert in_train["alpha"] == "parameter"
    assert in_train["model_cfg"] == "config"
    assert in_train["LABEL"] == "class-attribute"
    assert in_train["end"] == "step"
    assert {"next", "input", "index", "foreach_stack", "merge_artifacts"} <= set(in_train)
    assert not any(name.startswith("_") for name in in_train)
    in_start = {c.name for c in analysis.completions("start")}
    assert "depth" not in in_start  # set downstream only
    (coef,) = [c for c in analysis.completions("end") if c.name == "coef"]
    assert coef.detail == "artifact set in train"


def test_completions_at_the_cursor() -> None:
    path = COMPAT / "mf_merge_artifacts" / "flow.py"
    text = path.read_text()
    analysis = analyze(path)
    line = line_of(text, "self.x = inputs.a.x")
    assert {c.name for c in analysis.completions_at(line, "        y = inputs.b.")} == {
        "carried",
        "shared",
        "x",
        "y",
    }
    assert [c.name for c in analysis.completions_at(line, "        y = inputs.")] == ["a", "b"]
    in_join = {c.name for c in analysis.completions_at(line, "        print(self.")}
    assert {"carried", "shared", "only_a", "x", "next"} <= in_join
    assert analysis.completions_at(line, "        print(other.") == ()
    aliasing = analyze(COMPAT / "aliasing" / "flow.py")
    alias_line = line_of((COMPAT / "aliasing" / "flow.py").read_text(), "inp.acc")
    assert {"a", "acc", "b", "items"} <= {
        c.name for c in aliasing.completions_at(alias_line, "            x = inp.")
    }


# -- staying silent where it cannot know ------------------------------------------

OPEN_CASES = {
    "setattr with a computed name": """
        @step
        def start(self):
            for name in ("a", "b"):
                setattr(self, name, 1)
            self.next(self.end)
    """,
    "self passed to a function": """
        @step
        def start(self):
            fill(self)
            self.next(self.end)
    """,
    "self.__dict__": """
        @step
        def start(self):
            self.__dict__.update(a=1)
            self.next(self.end)
    """,
    "a user step decorator": """
        @stamp
        @step
        def start(self):
            self.next(self.end)
    """,
    "a helper that is open": """
        def _load(self):
            exec("self.a = 1")

        @step
        def start(self):
            self._load()
            self.next(self.end)
    """,
}


@pytest.mark.parametrize("case", sorted(OPEN_CASES))
def test_open_steps_silence_downstream_reads(case: str) -> None:
    body = textwrap.indent(textwrap.dedent(OPEN_CASES[case]).strip("\n"), "    ")
    text = src(
        """
        from metaflow import FlowSpec, step
        from helpers import fill, stamp


        class OpenFlow(FlowSpec):
        BODY

            @step
            def end(self):
                print(self.a)


        if __name__ == "__main__":
            OpenFlow()
        """
    ).replace("BODY", body)
    analysis = analyze_artifacts(text, "open_flow.py")
    flow = analysis.flow()
    assert flow is not None
    assert flow.steps["start"].open_reason is not None
    assert flow.steps["end"].open_upstream
    assert analysis.diagnostics() == ()
    # the same flow without the open step reports the read
    closed = src(
        """
        from metaflow import FlowSpec, step


        class OpenFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                print(self.a)


        if __name__ == "__main__":
            OpenFlow()
        """
    )
    assert [d.code for d in analyze_artifacts(closed, "open_flow.py").diagnostics()] == [
        "undefined-artifact"
    ]


@pytest.mark.parametrize(
    "header",
    [
        "class OpenFlow(Mixin, FlowSpec):",  # an unresolvable base
        "@my_mutator\nclass OpenFlow(FlowSpec):",  # a flow mutator may add Parameters
    ],
)
def test_open_flows_report_no_artifact(header: str) -> None:
    text = src(
        """
        from metaflow import FlowSpec, step
        from helpers import Mixin, my_mutator


        HEADER
            @step
            def start(self):
                print(self.seed)
                self.next(self.end)

            @step
            def end(self):
                pass


        if __name__ == "__main__":
            OpenFlow()
        """
    ).replace("HEADER", header)
    analysis = analyze_artifacts(text, "open_flow.py")
    flow = analysis.flow()
    assert flow is not None and flow.open_reason is not None
    assert analysis.diagnostics() == ()


def test_guards_helpers_and_literal_setattr_count() -> None:
    text = src(
        """
        from metaflow import FlowSpec, step


        class GuardFlow(FlowSpec):
            def _prepare(self):
                self.prepared = True

            @step
            def start(self):
                self._prepare()
                setattr(self, "named", 1)
                if hasattr(self, "maybe"):
                    print(self.maybe)
                try:
                    print(self.cached)
                except AttributeError:
                    pass
                self.next(self.end)

            @step
            def end(self):
                print(self.prepared, self.named)


        if __name__ == "__main__":
            GuardFlow()
        """
    )
    analysis = analyze_artifacts(text, "guard_flow.py")
    flow = analysis.flow()
    assert flow is not None and flow.steps["start"].open_reason is None
    assert analysis.diagnostics() == ()
    assert lines_of(flow.steps["end"].reaching["prepared"]) == [
        ("start", line_of(text, "self.prepared = True"))
    ]
    assert set(flow.steps["end"].reaching) == {"prepared", "named"}


def test_only_the_flow_the_file_runs_is_diagnosed() -> None:
    text = LINEAR.replace("self.depth, self.LABEL", "self.dpeth, self.LABEL")
    assert [d.code for d in analyze_artifacts(text, "f.py").diagnostics()] == ["undefined-artifact"]
    library = text.split('if __name__ == "__main__":')[0]
    assert analyze_artifacts(library, "f.py").diagnostics() == ()


def test_metaflow_members_match_the_installed_flowspec() -> None:
    metaflow = pytest.importorskip("metaflow")
    declared = {n for n in dir(metaflow.FlowSpec) if not n.startswith("__")}
    assert {n for n in declared if not n.startswith("_")} <= set(PUBLIC_MEMBERS)
    assert {n for n in declared if n.startswith("_")} <= PRIVATE_MEMBERS
    assert "name" in PUBLIC_MEMBERS  # set in FlowSpec.__init__, not a class attribute


# -- speed ------------------------------------------------------------------------


def _big_flow(steps: int) -> str:
    """A flow of ``steps`` steps of about 25 lines, each setting and reading artifacts."""
    lines = ["from metaflow import FlowSpec, Parameter, card, step", "", ""]
    lines += ["class BigFlow(FlowSpec):", '    alpha = Parameter("alpha", default=0.5)', ""]
    for index in range(steps):
        name = "start" if index == 0 else f"step_{index}"
        following = "end" if index == steps - 1 else f"step_{index + 1}"
        previous = f"self.result_{index - 1}" if index else "self.alpha"
        lines += [
            "    @card",
            "    @step",
            f"    def {name}(self):",
            f'        """Step {index}: transform the data a little."""',
            "        rows = [dict(i=i, v=i * self.alpha) for i in range(100)]",
            f"        total = {previous}",
            "        for row in rows:",
            "            if row['i'] % 2:",
            "                total += row['v']",
            "            else:",
            "                total -= row['v'] / 2",
            "        def helper(x):",
            "            return x * 2",
            f"        self.result_{index} = helper(total)",
            "        self.names = sorted({str(r['i']) for r in rows})",
            "        try:",
            "            self.ratio = total / len(rows)",
            "        except ZeroDivisionError:",
            "            self.ratio = None",
            "        self.mapping = {k: v for k, v in zip(self.names, range(10))}",
            "        self.tags = [t.upper() for t in ('a', 'b', 'c') if t]",
            f"        self.next(self.{following})",
            "",
        ]
    lines += ["    @step", "    def end(self):", "        print(self.ratio, self.tags)", ""]
    lines += ["", 'if __name__ == "__main__":', "    BigFlow()", ""]
    return "\n".join(lines)


def test_speed_on_a_3000_line_flow(capsys: pytest.CaptureFixture[str]) -> None:
    text = _big_flow(130)
    assert text.count("\n") >= 3000
    started = time.perf_counter()
    first = analyze_artifacts(text, "big_flow.py")
    cold = time.perf_counter() - started
    assert first.diagnostics() == ()
    flow = first.flow()
    assert flow is not None and len(flow.steps) == 131
    assert len(flow.steps["end"].reaching) == 130 + 4

    started = time.perf_counter()
    assert analyze_artifacts(text, "big_flow.py") is first  # memoized per text
    cached = time.perf_counter() - started

    # Keystrokes inside one step's body: the other steps' facts are reused.
    lines = text.split("\n")
    target = [i for i, row in enumerate(lines) if "total -= row['v'] / 2" in row][64]
    edits = []
    for n in range(5):
        lines[target] = f"                total -= row['v'] / {n + 3}"
        edited = "\n".join(lines)
        started = time.perf_counter()
        analysis = analyze_artifacts(edited, "big_flow.py")
        analysis.diagnostics()
        edits.append(time.perf_counter() - started)
        after = analysis.flow()
        assert after is not None
        assert after.functions["step_10"].facts is flow.functions["step_10"].facts
        assert after.functions["step_64"].facts is not flow.functions["step_64"].facts

    line, col = position(text, "self.ratio, self.tags")
    started = time.perf_counter()
    symbol = first.symbol_at(line, col + 6)
    completions = first.completions_at(line, "        print(self.")
    query = time.perf_counter() - started
    assert symbol is not None and symbol.name == "ratio"
    assert len(symbol.references) == 2 * 130 + 1
    assert len(completions) > 130
    with capsys.disabled():
        print(
            f"\nartifact flow on {text.count(chr(10))} lines, {len(flow.steps)} steps: "
            f"cold {cold * 1000:.1f} ms, cached {cached * 1000:.2f} ms, edit in one step "
            f"(median of 5, structure analysis included) "
            f"{statistics.median(edits) * 1000:.1f} ms, symbol + completions {query * 1000:.1f} ms"
        )


def test_flow_info_lists_lineage_and_open_bases() -> None:
    from spinlens.flow_analysis import ClassRef, analyze_file

    path = COMPAT / "base_flow" / "flow.py"
    flow = analyze_file(path).flow()
    base = str((COMPAT / "base_flow" / "base.py").resolve())
    assert flow.lineage == (
        ClassRef("DerivedFlow", line_of(path.read_text(), "class DerivedFlow")),
        ClassRef("BaseFlow", line_of(Path(base).read_text(), "class BaseFlow"), base),
    )
    assert flow.open_bases == ()
    mixed = analyze_artifacts(
        "from metaflow import FlowSpec\nfrom x import Mixin\n\n\nclass F(Mixin, FlowSpec):\n"
        "    pass\n",
        "mixed.py",
    )
    (only,) = mixed.flows
    assert only.info.open_bases == ("Mixin",)
    assert only.open_reason == "the flow derives from Mixin, which is not known here"


def test_the_analysis_imports_no_metaflow() -> None:
    import subprocess
    import sys

    code = (
        "import sys, spinlens.artifact_flow as a\n"
        "a.analyze_artifacts(open(sys.argv[1]).read(), sys.argv[1]).diagnostics()\n"
        "heavy = {'metaflow', 'pandas', 'numpy', 'pyarrow'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    path = COMPAT / "mf_merge_artifacts" / "flow.py"
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
