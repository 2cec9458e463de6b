"""Static analysis of Metaflow flow files.

Everything here works on source text with :mod:`ast`; user code is never
imported or executed, so it is safe to run on every keystroke (CodeLenses)
and on files whose imports would fail in the server's environment.
"""

from __future__ import annotations

import ast
import gc
import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeGuard

__all__ = [
    "FlowAnalysisError",
    "FlowFileAnalysis",
    "FlowInfo",
    "ParameterInfo",
    "SourceError",
    "StepInfo",
    "Transition",
    "analyze_file",
    "analyze_source",
]

_PARAMETER_KINDS = frozenset({"Parameter", "Config", "IncludeFile"})
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


class FlowAnalysisError(Exception):
    """A flow could not be selected from a file; the message says what to fix."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Transition:
    """One ``self.next(...)`` call; a step can hold several (if/else)."""

    targets: tuple[str, ...]
    foreach: str | None
    condition: str | None
    num_parallel: bool
    line: int


@dataclass(frozen=True)
class StepInfo:
    """A ``@step`` method; ``line`` is where its CodeLens belongs."""

    name: str
    line: int
    def_line: int
    end_line: int
    decorators: tuple[str, ...]
    is_join: bool
    transitions: tuple[Transition, ...]

    @property
    def next_steps(self) -> tuple[str, ...]:
        """All targets of all transitions, first occurrence order."""
        return _dedupe(t for tr in self.transitions for t in tr.targets)


@dataclass(frozen=True)
class ParameterInfo:
    """A class-level ``Parameter``/``Config``/``IncludeFile`` assignment."""

    name: str
    kind: str
    line: int


@dataclass(frozen=True)
class FlowInfo:
    """A FlowSpec subclass and its statically visible graph."""

    name: str
    line: int
    end_line: int
    steps: tuple[StepInfo, ...]
    parameters: tuple[ParameterInfo, ...]

    def step(self, name: str) -> StepInfo | None:
        """The step called ``name``, or None."""
        for info in self.steps:
            if info.name == name:
                return info
        return None

    @property
    def step_names(self) -> tuple[str, ...]:
        """Step names in source order."""
        return tuple(s.name for s in self.steps)

    def parents(self, step_name: str) -> tuple[str, ...]:
        """Steps with a transition into ``step_name`` (source order)."""
        return tuple(s.name for s in self.steps if step_name in s.next_steps)

    def foreach_parent(self, step_name: str) -> str | None:
        """The step whose ``foreach=`` transition targets ``step_name`` directly."""
        for info in self.steps:
            for tr in info.transitions:
                if tr.foreach is not None and step_name in tr.targets:
                    return info.name
        return None


@dataclass(frozen=True)
class SourceError:
    """Why the file did not parse, positioned for an editor diagnostic."""

    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class FlowFileAnalysis:
    """Result of analysing one file; ``error`` is set instead of raising."""

    flows: tuple[FlowInfo, ...]
    imports: tuple[str, ...]
    error: SourceError | None
    # Flow instantiated under `if __name__ == "__main__":`, i.e. what
    # `python flow.py` would run.
    main_flow: str | None = None
    filename: str = "<flow>"

    def flow(self, name: str | None = None) -> FlowInfo:
        """Select one flow: by name, else the only one, the __main__ one, or the last."""
        if self.error is not None:
            raise FlowAnalysisError(
                f"{self.filename}: cannot analyze flows, the file has a syntax "
                f"error at {self.error}",
                line=self.error.line,
            )
        if not self.flows:
            raise FlowAnalysisError(
                f"{self.filename}: no flow found; define a class deriving from "
                "metaflow.FlowSpec at module level"
            )
        if name is None:
            if len(self.flows) == 1:
                return self.flows[0]
            if self.main_flow is not None:
                name = self.main_flow
            else:
                return self.flows[-1]
        for info in self.flows:
            if info.name == name:
                return info
        available = ", ".join(f.name for f in self.flows)
        raise FlowAnalysisError(
            f"{self.filename}: flow {name!r} not found; flows in this file: {available}"
        )

    def step_at(self, line: int) -> tuple[FlowInfo, StepInfo] | None:
        """The step whose decorator-to-end range contains the 1-based ``line``."""
        for info in self.flows:
            if not info.line <= line <= info.end_line:
                continue
            for step in info.steps:
                if step.line <= line <= step.end_line:
                    return info, step
        return None


def analyze_file(path: str | os.PathLike[str]) -> FlowFileAnalysis:
    """Read a UTF-8 file and analyse it; undecodable bytes become a SourceError."""
    with open(path, "rb") as handle:
        data = handle.read()
    filename = os.fspath(path)
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return FlowFileAnalysis(
            flows=(),
            imports=(),
            error=SourceError(f"file is not valid UTF-8: {exc.reason}", line, column),
            filename=filename,
        )
    return analyze_source(source, filename)


def analyze_source(source: str, filename: str = "<flow>") -> FlowFileAnalysis:
    """Analyse flow source text; bad syntax is reported in ``error``, never raised.

    Results are immutable, so the last few are cached: CodeLens, diagnostics
    and the spin engine often ask about the same text back to back.
    """
    if source.startswith("\ufeff"):  # editors may keep a BOM in the buffer
        source = source[1:]
    return _analyze_cached(source, filename)


def _parse(source: str, filename: str) -> ast.Module:
    """``ast.parse`` with the cyclic GC paused.

    AST nodes hold no cycles, yet allocating tens of thousands of them triggers
    collections that scan the whole server heap; pausing cuts parse time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source, filename=filename)
    finally:
        if was_enabled:
            gc.enable()


@lru_cache(maxsize=8)
def _analyze_cached(source: str, filename: str) -> FlowFileAnalysis:
    try:
        tree = _parse(source, filename)
    except SyntaxError as exc:
        error = SourceError(
            exc.msg or "invalid syntax", max(exc.lineno or 1, 1), max(exc.offset or 1, 1)
        )
        return FlowFileAnalysis((), (), error, filename=filename)
    except ValueError as exc:  # null bytes on Python < 3.12
        return FlowFileAnalysis((), (), SourceError(str(exc), 1, 1), filename=filename)
    except RecursionError:
        error = SourceError("source is too deeply nested to analyze", 1, 1)
        return FlowFileAnalysis((), (), error, filename=filename)

    next_lines = _lines_containing(source, "next")
    flows: dict[str, FlowInfo] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            info = _flow_info(node, flows, next_lines)
            if info is not None:
                # A redefinition replaces the earlier class, as at runtime.
                flows.pop(node.name, None)
                flows[node.name] = info
    ordered = tuple(sorted(flows.values(), key=lambda f: f.line))
    return FlowFileAnalysis(
        flows=ordered,
        imports=_imports(tree.body),
        error=None,
        main_flow=_main_flow(tree.body, flows),
        filename=filename,
    )


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _tail_name(node: ast.expr) -> str | None:
    """``x`` for ``x`` and for ``a.b.x``; None for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    name = _tail_name(node)
    return name if name is not None else ast.unparse(node)


def _flow_info(
    node: ast.ClassDef, known: dict[str, FlowInfo], next_lines: list[int]
) -> FlowInfo | None:
    """Build a FlowInfo if ``node`` derives from FlowSpec or an earlier flow."""
    bases: list[FlowInfo] = []
    is_flow = False
    for base in node.bases:
        if isinstance(base, ast.Name) and base.id in known:
            bases.append(known[base.id])
            is_flow = True
        elif _tail_name(base) == "FlowSpec":
            is_flow = True
    if not is_flow:
        return None

    # Own definitions win; a later def of the same name replaces an earlier one.
    steps: dict[str, StepInfo | None] = {}
    params: dict[str, ParameterInfo] = {}
    for stmt in node.body:
        if isinstance(stmt, _FUNCTION_DEFS):
            steps.pop(stmt.name, None)
            steps[stmt.name] = _step_info(stmt, next_lines)
        else:
            for param in _parameters(stmt):
                params.pop(param.name, None)
                params[param.name] = param

    # Inherited from in-file base flows (left to right, like the MRO).
    inherited_steps: dict[str, StepInfo] = {}
    inherited_params: dict[str, ParameterInfo] = {}
    for base_info in bases:
        for step in base_info.steps:
            if step.name not in steps:
                inherited_steps.setdefault(step.name, step)
        for param in base_info.parameters:
            if param.name not in params:
                inherited_params.setdefault(param.name, param)

    all_steps = [s for s in steps.values() if s is not None]
    all_steps += inherited_steps.values()
    all_params = [*params.values(), *inherited_params.values()]
    start = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    return FlowInfo(
        name=node.name,
        line=start,
        end_line=node.end_lineno or node.lineno,
        steps=tuple(sorted(all_steps, key=lambda s: s.line)),
        parameters=tuple(sorted(all_params, key=lambda p: p.line)),
    )


def _parameters(stmt: ast.stmt) -> Iterator[ParameterInfo]:
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return
    if not isinstance(value, ast.Call):
        return
    kind = _tail_name(value.func)
    if kind not in _PARAMETER_KINDS:
        return
    for target in targets:
        if isinstance(target, ast.Name):
            yield ParameterInfo(name=target.id, kind=kind, line=stmt.lineno)


def _step_info(
    node: ast.FunctionDef | ast.AsyncFunctionDef, next_lines: list[int]
) -> StepInfo | None:
    names = tuple(_decorator_name(d) for d in node.decorator_list)
    if "step" not in names:
        return None
    positional = len(node.args.posonlyargs) + len(node.args.args)
    return StepInfo(
        name=node.name,
        line=node.decorator_list[0].lineno,
        def_line=node.lineno,
        end_line=node.end_lineno or node.lineno,
        decorators=names,
        is_join=positional >= 2,
        transitions=_transitions(node, next_lines),
    )


def _self_attr(node: ast.expr | None) -> str | None:
    """``name`` for ``self.name``, else None."""
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ):
        return node.attr
    return None


def _lines_containing(source: str, word: str) -> list[int]:
    """Sorted 1-based lines containing ``word``, numbered as the tokenizer does."""
    if "\r" in source:
        source = source.replace("\r\n", "\n").replace("\r", "\n")
    return [n for n, text in enumerate(source.split("\n"), start=1) if word in text]


def _spans_any(node: ast.AST, lines: list[int]) -> bool:
    """False only if ``node`` has a line range and no line of ``lines`` falls in it."""
    start = getattr(node, "lineno", None)
    if start is None:
        return True
    end = getattr(node, "end_lineno", None) or start
    index = bisect_left(lines, start)
    return index < len(lines) and lines[index] <= end


def _line_of(node: ast.stmt) -> int:
    return node.lineno


def _is_next_call(node: ast.AST) -> TypeGuard[ast.Call]:
    return isinstance(node, ast.Call) and _self_attr(node.func) == "next"


def _transitions(
    node: ast.FunctionDef | ast.AsyncFunctionDef, next_lines: list[int]
) -> tuple[Transition, ...]:
    calls: list[ast.Call] = []
    stack: list[ast.AST] = []
    # Only statements spanning a line that mentions "next" can hold a
    # self.next call (the call spans the line of its `next` token), so find
    # them by bisection instead of visiting the whole body.
    body = node.body
    first = bisect_left(next_lines, body[0].lineno)
    last = bisect_right(next_lines, node.end_lineno or body[-1].lineno)
    picked: dict[int, ast.stmt] = {}
    for line in next_lines[first:last]:
        index = bisect_right(body, line, key=_line_of) - 1
        # Walk back over statements sharing the line (`a; self.next(...)`).
        while index >= 0 and (body[index].end_lineno or 0) >= line:
            picked[index] = body[index]
            index -= 1
    for stmt in picked.values():
        if isinstance(stmt, ast.Expr) and _is_next_call(stmt.value):
            # Fast path for the usual statement; only odd arguments need a walk.
            call = stmt.value
            calls.append(call)
            args = [*call.args, *(k.value for k in call.keywords)]
            stack.extend(
                a for a in args if not isinstance(a, ast.Constant) and _self_attr(a) is None
            )
        else:
            stack.append(stmt)
    while stack:
        current = stack.pop()
        if _is_next_call(current):
            calls.append(current)
        stack.extend(c for c in ast.iter_child_nodes(current) if _spans_any(c, next_lines))
    calls.sort(key=lambda c: (c.lineno, c.col_offset))
    return tuple(_transition(call) for call in calls)


def _transition(call: ast.Call) -> Transition:
    targets: list[str] = []
    for arg in call.args:
        # A switch passes {"case": self.step, ...}; only self.<name> counts.
        values = arg.values if isinstance(arg, ast.Dict) else [arg]
        targets.extend(name for v in values if (name := _self_attr(v)) is not None)
    keywords = {k.arg: k.value for k in call.keywords if k.arg is not None}
    return Transition(
        targets=_dedupe(targets),
        foreach=_string_literal(keywords.get("foreach")),
        condition=_string_literal(keywords.get("condition")),
        num_parallel="num_parallel" in keywords,
        line=call.lineno,
    )


def _string_literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import time: through if/try/with, not into defs/classes."""
    stack = list(reversed(body))
    while stack:
        stmt = stack.pop()
        yield stmt
        if isinstance(stmt, (*_FUNCTION_DEFS, ast.ClassDef)):
            continue
        children: list[ast.stmt] = []
        for field in ("body", "orelse", "finalbody"):
            children.extend(getattr(stmt, field, ()))
        for handler in getattr(stmt, "handlers", ()):
            children.extend(handler.body)
        for case in getattr(stmt, "cases", ()):
            children.extend(case.body)
        stack.extend(reversed(children))


def _imports(body: list[ast.stmt]) -> tuple[str, ...]:
    names: list[str] = []
    for stmt in _module_level(body):
        if isinstance(stmt, ast.Import):
            names.extend(alias.name.split(".")[0] for alias in stmt.names)
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.level == 0 and stmt.module and stmt.module != "__future__":
                names.append(stmt.module.split(".")[0])
    return _dedupe(names)


def _is_main_guard(test: ast.expr) -> bool:
    if not (
        isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    ):
        return False
    sides = (test.left, test.comparators[0])
    has_name = any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
    has_main = any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)
    return has_name and has_main


def _main_flow(body: list[ast.stmt], flows: dict[str, FlowInfo]) -> str | None:
    """Name of the first flow called as ``X()`` inside ``if __name__ == "__main__":``."""
    for stmt in body:
        if not (isinstance(stmt, ast.If) and _is_main_guard(stmt.test)):
            continue
        calls = [
            (node.lineno, node.col_offset, node.func.id)
            for part in stmt.body
            for node in ast.walk(part)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in flows
        ]
        if calls:
            return min(calls)[2]
    return None
