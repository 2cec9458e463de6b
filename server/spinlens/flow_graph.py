"""The flow graph view's payload: every flow of a file as nodes and edges.

Built from :mod:`spinlens.flow_analysis` (static: the flow is never imported),
so it follows unsaved edits and is cheap enough to rebuild on every keystroke:
the analysis is memoized, and the syntax tree is read again only for the case
keys of conditional transitions, which the analysis does not keep.

Lines are 1-based here, as in ``flow_analysis``; ``to_dict`` gives the wire
form (camelCase, 0-based lines as LSP counts them, as ``listSteps`` does).
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeGuard

from .flow_analysis import (
    FlowAnalysisError,
    FlowFileAnalysis,
    FlowInfo,
    SourceError,
    StepInfo,
    Transition,
    analyze_source,
    parse_source,
)

__all__ = ["EdgeKind", "FileGraph", "FlowGraph", "GraphEdge", "GraphNode", "NodeKind", "flow_graph"]

# As Metaflow's own graph names them (``split-switch`` is "conditional"), plus
# "recursive": a conditional step with a branch back to itself or an ancestor.
# "start" is the start step with one successor; a start that splits is "split".
NodeKind = Literal["start", "end", "linear", "split", "foreach", "join", "conditional", "recursive"]
# "recursion" is the back edge of a loop (it may also carry a conditional key).
EdgeKind = Literal["normal", "foreach", "conditional", "recursion"]


@dataclass(frozen=True)
class GraphNode:
    """One step; ``file`` is None when it is written in the analysed text, else the
    path of the module beside it that defines it (its lines are that file's)."""

    step: str
    kind: NodeKind
    line: int  # the first decorator's
    def_line: int
    end_line: int
    file: str | None
    decorators: tuple[str, ...]
    missing: tuple[str, ...]  # targets of its self.next that are no step of the flow

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "kind": self.kind,
            "line": self.line - 1,
            "defLine": self.def_line - 1,
            "endLine": self.end_line - 1,
            "file": self.file,
            "decorators": list(self.decorators),
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class GraphEdge:
    """One target of one ``self.next``; ``line`` is the call's. ``from_`` is ``from``
    on the wire (payloads.wire_name drops the underscore)."""

    from_: str
    to: str
    kind: EdgeKind
    foreach: str | None  # the split variable (None for num_parallel and other edges)
    condition: str | None  # the artifact a conditional switches on
    key: str | None  # the case key(s) leading to ``target``: "big", "True", "a, b"
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_,
            "to": self.to,
            "kind": self.kind,
            "foreach": self.foreach,
            "condition": self.condition,
            "key": self.key,
            "line": self.line - 1,
        }


@dataclass(frozen=True)
class FlowGraph:
    name: str
    line: int
    nodes: tuple[GraphNode, ...]  # source order (the analysed text's steps first)
    edges: tuple[GraphEdge, ...]

    def node(self, step: str) -> GraphNode | None:
        return next((n for n in self.nodes if n.step == step), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "line": self.line - 1,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
        }


@dataclass(frozen=True)
class FileGraph:
    """Every flow of one file; with a syntax error, no flows and ``error`` set."""

    filename: str
    flows: tuple[FlowGraph, ...]
    default_flow: str | None  # what a spin without ``flow`` picks (FlowFileAnalysis.flow)
    error: SourceError | None

    def flow(self, name: str) -> FlowGraph | None:
        return next((f for f in self.flows if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        error = self.error
        return {
            "filename": self.filename,
            "flows": [f.to_dict() for f in self.flows],
            "defaultFlow": self.default_flow,
            "error": None
            if error is None
            else {"message": error.message, "line": error.line - 1, "column": error.column - 1},
        }


# The last graph built: the view asks again for unchanged text (a spin ended), and
# the analysis hands back the same object while nothing it read changed.
_last: tuple[tuple[str, str], FlowFileAnalysis, FileGraph] | None = None


def flow_graph(source: str, filename: str = "<flow>") -> FileGraph:
    """The graph of every flow in ``source`` (the text of ``filename``)."""
    global _last
    analysis = analyze_source(source, filename)
    key = (source, filename)
    last = _last
    if last is not None and last[0] == key and last[1] is analysis:
        return last[2]
    cases = _CaseKeys(source, filename)
    graph = FileGraph(
        filename=filename,
        flows=tuple(_flow_graph(flow, cases) for flow in analysis.flows),
        default_flow=_default_flow(analysis),
        error=analysis.error,
    )
    _last = (key, analysis, graph)
    return graph


def _default_flow(analysis: FlowFileAnalysis) -> str | None:
    try:
        return analysis.flow().name
    except FlowAnalysisError:
        return None


def _flow_graph(flow: FlowInfo, cases: _CaseKeys) -> FlowGraph:
    names = set(flow.step_names)
    edges: dict[tuple[str, str, str, str | None, str | None], GraphEdge] = {}
    for step in flow.steps:
        for transition in step.transitions:
            keys = cases.keys(step, transition) if transition.condition is not None else {}
            for target in transition.targets:
                if target not in names:
                    continue
                edge = _edge(step.name, target, transition, keys.get(target))
                edges.setdefault((edge.from_, target, edge.kind, edge.foreach, edge.key), edge)
    back = _back_edges(flow, list(edges.values()))
    marked = [
        replace(e, kind="recursion") if (e.from_, e.to) in back else e for e in edges.values()
    ]
    loops = {source for source, _ in back}
    return FlowGraph(
        name=flow.name,
        line=flow.line,
        nodes=tuple(_node(step, names, step.name in loops) for step in flow.steps),
        edges=tuple(marked),
    )


def _edge(source: str, target: str, transition: Transition, key: str | None) -> GraphEdge:
    kind: EdgeKind = "normal"
    if transition.condition is not None:
        kind = "conditional"
    elif transition.foreach is not None or transition.num_parallel:
        kind = "foreach"
    return GraphEdge(
        from_=source,
        to=target,
        kind=kind,
        foreach=transition.foreach,
        condition=transition.condition,
        key=key,
        line=transition.line,
    )


def _node(step: StepInfo, names: set[str], loops: bool) -> GraphNode:
    return GraphNode(
        step=step.name,
        kind=_node_kind(step, loops),
        line=step.line,
        def_line=step.def_line,
        end_line=step.end_line,
        file=step.defined_in,
        decorators=tuple(d for d in step.decorators if d != "step"),
        missing=tuple(t for t in step.next_steps if t not in names),
    )


def _node_kind(step: StepInfo, loops: bool) -> NodeKind:
    transitions = step.transitions
    if step.is_join:
        return "join"
    if step.name == "end":
        return "end"
    if loops:
        return "recursive"
    if any(t.condition is not None for t in transitions):
        return "conditional"
    if any(t.foreach is not None or t.num_parallel for t in transitions):
        return "foreach"
    if any(len(t.targets) > 1 for t in transitions):
        return "split"
    return "start" if step.name == "start" else "linear"


def _back_edges(flow: FlowInfo, edges: list[GraphEdge]) -> set[tuple[str, str]]:
    """The (source, target) pairs closing a cycle, found by depth-first search from
    ``start`` (then from any step it does not reach), children in edge order."""
    children: dict[str, list[str]] = {name: [] for name in flow.step_names}
    for edge in edges:
        children[edge.from_].append(edge.to)
    roots = sorted(flow.step_names, key=lambda name: name != "start")
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    back: set[tuple[str, str]] = set()
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(children[root]))]
        while stack:  # iterative: a long flow must not hit the recursion limit
            name, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                state[name] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((name, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(children[child])))
    return back


class _CaseKeys:
    """Case keys of conditional ``self.next({key: self.step, ...}, condition=...)``
    calls, read from the syntax tree of the text or of a base flow's module."""

    def __init__(self, source: str, filename: str) -> None:
        self._source = source
        self._filename = filename

    def keys(self, step: StepInfo, transition: Transition) -> dict[str, str]:
        """Target step -> its key(s), joined with ", " when several lead to it."""
        if step.defined_in is None:
            try:
                tree = parse_source(self._source, self._filename)
            except (SyntaxError, ValueError, RecursionError):
                return {}
            return _case_keys(tree, step.def_line, transition.line)
        return _module_case_keys(step.defined_in, step.def_line, transition.line)


def _module_case_keys(path: str, def_line: int, line: int) -> dict[str, str]:
    try:
        info = os.stat(path)
    except OSError:
        return {}
    return dict(_file_case_keys(path, info.st_mtime_ns, info.st_size, def_line, line))


@functools.lru_cache(maxsize=64)
def _file_case_keys(
    path: str, mtime_ns: int, size: int, def_line: int, line: int
) -> tuple[tuple[str, str], ...]:
    """As ``_case_keys`` for a module file; cached while its stamp holds."""
    del mtime_ns, size  # the cache key only
    try:
        with open(path, "rb") as handle:
            tree = parse_source(handle.read().decode("utf-8-sig"), path)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return ()
    return tuple(_case_keys(tree, def_line, line).items())


def _case_keys(tree: ast.Module, def_line: int, line: int) -> dict[str, str]:
    function = _function_at(tree, def_line)
    if function is None:
        return {}
    for node in ast.walk(function):
        if not (_is_self_next(node) and node.lineno == line):
            continue
        keys: dict[str, list[str]] = {}
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                for key, value in zip(arg.keys, arg.values, strict=True):
                    target = _self_attr(value)
                    if key is not None and target is not None:
                        keys.setdefault(target, []).append(_key_text(key))
        if keys:
            return {target: ", ".join(found) for target, found in keys.items()}
    return {}


def _function_at(tree: ast.Module, def_line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The method whose ``def`` is on ``def_line``, in a module-level class (flows are)."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and stmt.lineno <= def_line <= (stmt.end_lineno or 0):
            for member in stmt.body:
                if (
                    isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and member.lineno == def_line
                ):
                    return member
    return None


def _is_self_next(node: ast.AST) -> TypeGuard[ast.Call]:
    return isinstance(node, ast.Call) and _self_attr(node.func) == "next"


def _self_attr(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        return node.attr
    return None


def _key_text(key: ast.expr) -> str:
    """A string key as itself (``big``), anything else as written (``True``, ``1``)."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return ast.unparse(key)
