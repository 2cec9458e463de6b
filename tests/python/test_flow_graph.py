"""Tests for spinlens.flow_graph: the flow graph view's nodes and edges, built statically."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

from spinlens.flow_analysis import SourceError
from spinlens.flow_graph import FileGraph, FlowGraph, GraphEdge, GraphNode, flow_graph
from spinlens.lsp.payloads import wire_fields

HERE = Path(__file__).parent
COMPAT = HERE / "compat"
FLOWS = HERE / "flows"


def graph_of(path: Path) -> FileGraph:
    return flow_graph(path.read_text(encoding="utf-8"), str(path))


def only_flow(path: Path) -> FlowGraph:
    graph = graph_of(path)
    assert graph.error is None
    assert len(graph.flows) == 1
    return graph.flows[0]


def kinds(flow: FlowGraph) -> dict[str, str]:
    return {node.step: node.kind for node in flow.nodes}


def edges(flow: FlowGraph) -> set[tuple[str, str, str]]:
    return {(e.from_, e.to, e.kind) for e in flow.edges}


def edge(flow: FlowGraph, source: str, target: str) -> GraphEdge:
    found = [e for e in flow.edges if e.from_ == source and e.to == target]
    assert len(found) == 1, found
    return found[0]


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_ten_step_flow_with_branch_foreach_and_nested_foreach() -> None:
    flow = only_flow(FLOWS / "graph_flow.py")
    assert flow.name == "GraphFlow"
    assert kinds(flow) == {
        "start": "split",
        "left": "linear",
        "right": "linear",
        "merge": "join",
        "plan": "foreach",
        "region": "foreach",
        "store": "linear",
        "join_stores": "join",
        "join_regions": "join",
        "end": "end",
    }
    assert [n.step for n in flow.nodes] == list(kinds(flow))  # source order
    assert edges(flow) == {
        ("start", "left", "normal"),
        ("start", "right", "normal"),
        ("left", "merge", "normal"),
        ("right", "merge", "normal"),
        ("merge", "plan", "normal"),
        ("plan", "region", "foreach"),
        ("region", "store", "foreach"),
        ("store", "join_stores", "normal"),
        ("join_stores", "join_regions", "normal"),
        ("join_regions", "end", "normal"),
    }
    assert edge(flow, "plan", "region").foreach == "regions"
    assert edge(flow, "region", "store").foreach == "stores"
    assert edge(flow, "start", "left").foreach is None


def test_branch_join() -> None:
    flow = only_flow(COMPAT / "branch_join" / "flow.py")
    assert kinds(flow)["start"] == "split"
    assert kinds(flow)["join"] == "join"
    assert {e.to for e in flow.edges if e.from_ == "start"} == {"left", "middle", "right"}
    assert {e.from_ for e in flow.edges if e.to == "join"} == {"left", "middle", "right"}
    assert all(e.kind == "normal" for e in flow.edges)


def test_nested_foreach() -> None:
    flow = only_flow(COMPAT / "nested_foreach" / "flow.py")
    assert kinds(flow) == {
        "start": "foreach",
        "region": "foreach",
        "shop": "linear",
        "join_shops": "join",
        "join_regions": "join",
        "end": "end",
    }
    assert edge(flow, "start", "region").kind == "foreach"
    assert edge(flow, "start", "region").foreach == "regions"
    assert edge(flow, "region", "shop").foreach == "shops"
    assert edge(flow, "shop", "join_shops").kind == "normal"


def test_conditionals_carry_their_artifact_and_keys() -> None:
    flow = only_flow(COMPAT / "conditionals" / "flow.py")
    assert kinds(flow)["start"] == "conditional"
    assert kinds(flow)["after"] == "conditional"
    assert kinds(flow)["big"] == "linear"
    big, small = edge(flow, "start", "big"), edge(flow, "start", "small")
    assert (big.kind, big.condition, big.key) == ("conditional", "route", "big")
    assert (small.kind, small.condition, small.key) == ("conditional", "route", "small")
    assert (edge(flow, "after", "even").key, edge(flow, "after", "end").key) == ("even", "odd")
    assert edge(flow, "big", "after").kind == "normal"
    assert edge(flow, "big", "after").key is None


def test_recursion_is_a_back_edge_keeping_its_key() -> None:
    flow = only_flow(COMPAT / "recursion" / "flow.py")
    assert kinds(flow) == {"start": "start", "loop": "recursive", "end": "end"}
    back = edge(flow, "loop", "loop")
    assert (back.kind, back.condition, back.key) == ("recursion", "again", "True")
    out = edge(flow, "loop", "end")
    assert (out.kind, out.key) == ("conditional", "False")


def test_a_loop_back_to_an_earlier_step_is_the_recursion_edge() -> None:
    flow = flow_graph(
        src(
            """
            from metaflow import FlowSpec, step

            class LoopFlow(FlowSpec):
                @step
                def start(self):
                    self.next(self.a)

                @step
                def a(self):
                    self.next(self.b)

                @step
                def b(self):
                    self.next({"again": self.a, "done": self.end}, condition="more")

                @step
                def end(self):
                    pass
            """
        )
    ).flows[0]
    assert edge(flow, "b", "a").kind == "recursion"
    assert edge(flow, "b", "a").key == "again"
    assert edge(flow, "a", "b").kind == "normal"
    assert kinds(flow)["b"] == "recursive"
    assert kinds(flow)["a"] == "linear"


def test_base_flow_steps_point_at_their_module() -> None:
    path = COMPAT / "base_flow" / "flow.py"
    flow = only_flow(path)
    base = os.path.abspath(COMPAT / "base_flow" / "base.py")
    files = {node.step: node.file for node in flow.nodes}
    assert files == {"process": None, "start": base, "end": base}
    assert edges(flow) == {("start", "process", "normal"), ("process", "end", "normal")}
    start = flow.node("start")
    assert start is not None
    base_lines = (COMPAT / "base_flow" / "base.py").read_text(encoding="utf-8").split("\n")
    assert base_lines[start.def_line - 1].strip() == "def start(self):"


def test_conditional_keys_of_a_base_flow_step(tmp_path: Path) -> None:
    (tmp_path / "base.py").write_text(
        src(
            """
            from metaflow import FlowSpec, step

            class Base(FlowSpec):
                @step
                def start(self):
                    self.next({"x": self.x, "y": self.y, "z": self.x}, condition="pick")
            """
        ),
        encoding="utf-8",
    )
    text = src(
        """
        from base import Base
        from metaflow import step

        class Child(Base):
            @step
            def x(self):
                self.next(self.end)

            @step
            def y(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
    )
    flow = flow_graph(text, str(tmp_path / "flow.py")).flows[0]
    assert edge(flow, "start", "x").key == "x, z"  # two keys lead to one step
    assert edge(flow, "start", "y").key == "y"
    start = flow.node("start")
    assert start is not None
    assert start.file == str(tmp_path / "base.py")


def test_every_flow_of_a_file_and_the_default_one() -> None:
    text = src(
        """
        from metaflow import FlowSpec, step

        class First(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass

        class Second(FlowSpec):
            @step
            def start(self):
                self.next(self.end, num_parallel=4)

            @step
            def end(self):
                pass

        if __name__ == "__main__":
            First()
        """
    )
    graph = flow_graph(text, "two.py")
    assert [f.name for f in graph.flows] == ["First", "Second"]
    assert graph.default_flow == "First"
    second = graph.flow("Second")
    assert second is not None
    # num_parallel is a foreach without a split variable
    assert edge(second, "start", "end").kind == "foreach"
    assert edge(second, "start", "end").foreach is None
    assert kinds(second)["start"] == "foreach"


def test_missing_targets_are_kept_on_the_node_not_as_edges() -> None:
    text = src(
        """
        from metaflow import FlowSpec, step

        class Typo(FlowSpec):
            @step
            def start(self):
                self.next(self.trian)

            @step
            def end(self):
                pass
        """
    )
    flow = flow_graph(text).flows[0]
    assert flow.edges == ()
    start = flow.node("start")
    assert start is not None
    assert start.missing == ("trian",)


def test_decorators_other_than_step_are_listed() -> None:
    text = src(
        """
        from metaflow import FlowSpec, card, retry, step

        class Decorated(FlowSpec):
            @card(type="blank")
            @retry
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """
    )
    start = flow_graph(text).flows[0].node("start")
    assert start is not None
    assert start.decorators == ("card", "retry")
    assert start.line == 4 and start.def_line == 7


def test_syntax_error_gives_no_flows_and_where() -> None:
    graph = flow_graph("class Broken(:\n    pass\n", "broken.py")
    assert graph.flows == ()
    assert graph.error is not None
    assert graph.error.line == 1
    wire = graph.to_dict()
    assert wire["flows"] == []
    assert wire["error"]["line"] == 0  # 0-based on the wire
    assert wire["defaultFlow"] is None


def test_wire_form_is_json_with_zero_based_lines() -> None:
    path = COMPAT / "conditionals" / "flow.py"
    graph = graph_of(path)
    wire = json.loads(json.dumps(graph.to_dict()))
    flow = wire["flows"][0]
    assert wire["defaultFlow"] == "ConditionalFlow"
    assert wire["error"] is None
    start = next(n for n in flow["nodes"] if n["step"] == "start")
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[start["defLine"]].strip() == "def start(self):"
    assert lines[start["line"]].strip() == "@step"
    assert set(start) == {
        "step",
        "kind",
        "line",
        "defLine",
        "endLine",
        "file",
        "decorators",
        "missing",
    }
    first = flow["edges"][0]
    assert first == {
        "from": "start",
        "to": "big",
        "kind": "conditional",
        "foreach": None,
        "condition": "route",
        "key": "big",
        "line": next(i for i, t in enumerate(lines) if 'condition="route"' in t),
    }


def test_unchanged_text_gives_the_same_graph_and_an_edit_a_new_one() -> None:
    path = FLOWS / "graph_flow.py"
    text = path.read_text(encoding="utf-8")
    first = flow_graph(text, str(path))
    assert flow_graph(text, str(path)) is first
    edited = text.replace("self.next(self.end)", "self.next(self.left)")
    second = flow_graph(edited, str(path))
    assert second is not first
    assert ("join_regions", "left", "recursion") in edges(second.flows[0])
    assert kinds(second.flows[0])["join_regions"] == "join"  # a join stays a join


def test_wire_keys_are_the_payload_fields_wire_names() -> None:
    """So the server's contract dump (payloads.wire_fields) says what to_dict sends."""
    graph = graph_of(COMPAT / "conditionals" / "flow.py")
    wire = graph.to_dict()
    assert list(wire) == wire_fields(FileGraph)
    assert list(wire["flows"][0]) == wire_fields(FlowGraph)
    assert list(wire["flows"][0]["nodes"][0]) == wire_fields(GraphNode)
    assert list(wire["flows"][0]["edges"][0]) == wire_fields(GraphEdge)
    broken = flow_graph("def (:\n", "broken.py").to_dict()
    assert list(broken["error"]) == wire_fields(SourceError)
