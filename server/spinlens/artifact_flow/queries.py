"""Editor queries on an artifact analysis: the symbol under the cursor (hover,
definition, references) and completion after ``self.`` or ``inputs.<step>.``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .facts import FunctionFacts, Span
from .model import Access, Assignment, Completion, Location, Symbol, SymbolKind

if TYPE_CHECKING:
    from .analysis import ArtifactAnalysis, FlowArtifacts, _Function

_KIND_ORDER: dict[SymbolKind, int] = {
    "artifact": 0,
    "parameter": 1,
    "config": 2,
    "class-attribute": 3,
    "method": 4,
    "step": 5,
    "member": 6,
}


def _loc(file: str | None, span: Span) -> Location:
    return Location(file, span.line, span.col, span.end_col)


def _before(a: Location, b: Location) -> bool:
    return (a.line, a.col) < (b.line, b.col)


def _sorted_defs(defs: Iterable[Assignment]) -> tuple[Assignment, ...]:
    return tuple(
        sorted(
            set(defs),
            key=lambda a: (a.location.file or "", a.location.line, a.location.col, a.step or ""),
        )
    )


def function_at(analysis: ArtifactAnalysis, line: int) -> tuple[FlowArtifacts, _Function] | None:
    """The method of the analysed text around ``line``, in the flow that runs first."""
    for flow in _flows_first_default(analysis):
        for function in flow.functions.values():
            facts = function.facts
            if function.file is None and facts.first_line <= line <= facts.last_line:
                return flow, function
    return None


def _flows_first_default(analysis: ArtifactAnalysis) -> list[FlowArtifacts]:
    return sorted(analysis.flows, key=lambda f: f.name != analysis.default)


def references(flow: FlowArtifacts, name: str) -> tuple[Access, ...]:
    """Every read and write of artifact ``name`` in the flow's steps (and helpers)."""
    index = flow.reference_index()
    return tuple(index.get(name, ()))


def symbol_at(analysis: ArtifactAnalysis, line: int, col: int) -> Symbol | None:
    found = function_at(analysis, line)
    if found is None:
        return _declaration_at(analysis, line, col)
    flow, function = found
    facts = function.facts
    step = facts.name if facts.is_step else None
    for raw in facts.accesses:
        location = _loc(function.file, raw.span)
        if location.contains(line, col):
            if raw.source is None and raw.name in flow.members:
                return _member_symbol(flow, raw.name, step, location)
            return _artifact_symbol(flow, facts, raw.name, step, location, raw.source, raw.kind)
    for call in facts.nexts:
        for target, span in call.targets:
            location = _loc(function.file, span)
            if location.contains(line, col):
                return _step_symbol(flow, target, step, location)
        for literal in (call.foreach, call.condition):
            if literal is not None and _loc(function.file, literal.span).contains(line, col):
                location = _loc(function.file, literal.span)
                return _artifact_symbol(flow, facts, literal.value, step, location, None, "read")
    for merge in facts.merges:
        for literal in merge.include or ():
            location = _loc(function.file, literal.span)
            if location.contains(line, col):
                return _artifact_symbol(flow, facts, literal.value, step, location, "*", "read")
    name_location = _loc(function.file, facts.name_span)
    if name_location.contains(line, col):
        if facts.is_step:
            return _step_symbol(flow, facts.name, step, name_location)
        return _member_symbol(flow, facts.name, step, name_location)
    return None


def _declaration_at(analysis: ArtifactAnalysis, line: int, col: int) -> Symbol | None:
    """A Parameter, Config or class attribute under the cursor at class level."""
    for flow in _flows_first_default(analysis):
        for name, (_, decl, _) in flow.members.items():
            if (
                decl is not None
                and decl.location.file is None
                and decl.location.contains(line, col)
            ):
                return _member_symbol(flow, name, None, decl.location)
    return None


def _member_symbol(flow: FlowArtifacts, name: str, step: str | None, location: Location) -> Symbol:
    kind, decl, detail = flow.members[name]
    if kind == "step":
        return _step_symbol(flow, name, step, location)
    return Symbol(
        name=name,
        kind=kind,
        flow=flow.name,
        step=step,
        location=location,
        source=None,
        definitions=(decl,) if decl is not None else (),
        references=tuple(a for a in references(flow, name) if a.source is None),
        detail=detail,
    )


def _step_symbol(flow: FlowArtifacts, name: str, step: str | None, location: Location) -> Symbol:
    function = flow.functions.get(name)
    definitions: tuple[Assignment, ...] = ()
    if function is not None:
        definitions = (Assignment(name, _loc(function.file, function.facts.name_span)),)
    refs: list[Access] = []
    for caller in flow.functions.values():
        in_step = caller.facts.name
        for call in caller.facts.nexts:
            for target, span in call.targets:
                if target == name:
                    refs.append(Access(name, "read", in_step, in_step, _loc(caller.file, span)))
    return Symbol(
        name=name,
        kind="step",
        flow=flow.name,
        step=step,
        location=location,
        source=None,
        definitions=definitions,
        references=tuple(refs),
        detail="step" if name in flow.steps else "not a step of this flow",
    )


def _artifact_symbol(
    flow: FlowArtifacts,
    facts: FunctionFacts,
    name: str,
    step: str | None,
    location: Location,
    source: str | None,
    kind: str,
) -> Symbol:
    definitions = artifact_definitions(flow, facts, name, step, location, source, kind)
    sources = sorted({a.step for a in definitions if a.step is not None})
    detail = f"artifact set in {', '.join(sources)}" if sources else "artifact"
    return Symbol(
        name=name,
        kind="artifact",
        flow=flow.name,
        step=step,
        location=location,
        source=source,
        definitions=definitions,
        references=references(flow, name),
        detail=detail,
    )


def artifact_definitions(
    flow: FlowArtifacts,
    facts: FunctionFacts,
    name: str,
    step: str | None,
    at: Location,
    source: str | None,
    kind: str,
) -> tuple[Assignment, ...]:
    """Where the value of ``name`` read (or overwritten) at ``at`` may come from."""
    if source is not None and step is not None:
        found, _ = flow.parents_leaving(step, source)
        return _sorted_defs(found.get(name, ()))
    if step is None:  # a helper method: any step may have called it
        return _sorted_defs(
            a
            for s in flow.steps.values()
            for a in (*s.reaching.get(name, ()), *_own_writes(flow, s.name, name))
        )
    local = [
        raw
        for raw in facts.accesses
        if raw.kind == "write" and raw.name == name and raw.source is None
    ]
    file = at.file
    earlier = [r for r in local if _before(_loc(file, r.span), at)]
    defs = [Assignment(step, _loc(file, r.span)) for r in earlier]
    if not any(r.definite for r in earlier):
        flow_step = flow.steps.get(step)
        if flow_step is not None:
            defs.extend(flow_step.reaching.get(name, ()))
    if not defs and kind == "write":
        defs.append(Assignment(step, at))
    return _sorted_defs(defs)


def _own_writes(flow: FlowArtifacts, step: str, name: str) -> list[Assignment]:
    found = flow.steps.get(step)
    if found is None:
        return []
    return [Assignment(step, a.location) for a in found.writes if a.name == name]


def completions(flow: FlowArtifacts, step: str | None) -> tuple[Completion, ...]:
    """What may follow ``self.`` in ``step`` (None: in a helper method)."""
    artifacts: dict[str, set[Assignment]] = {}
    chosen = [flow.steps[step]] if step in flow.steps else list(flow.steps.values())
    for flow_step in chosen:
        for name, defs in flow_step.reaching.items():
            artifacts.setdefault(name, set()).update(defs)
        for access in flow_step.writes:
            artifacts.setdefault(access.name, set()).add(
                Assignment(flow_step.name, access.location)
            )
    items = [
        _artifact_completion(name, defs)
        for name, defs in artifacts.items()
        if name not in flow.members
    ]
    for name, (kind, decl, detail) in flow.members.items():
        if name.startswith("_") and kind == "member":
            continue
        if name.startswith("__"):
            continue
        items.append(Completion(name, kind, detail, (decl,) if decl is not None else ()))
    return tuple(sorted(items, key=lambda c: (_KIND_ORDER[c.kind], c.name)))


def _artifact_completion(name: str, defs: Iterable[Assignment]) -> Completion:
    ordered = _sorted_defs(defs)
    steps = list(dict.fromkeys(a.step for a in ordered if a.step is not None))
    detail = f"artifact set in {', '.join(steps)}" if steps else "artifact"
    return Completion(name, "artifact", detail, ordered)


def input_completions(flow: FlowArtifacts, step: str, source: str) -> tuple[Completion, ...]:
    """What may follow ``inputs.<source>.`` (or ``inp.`` for source "*") in a join."""
    found, _ = flow.parents_leaving(step, source)
    return tuple(sorted((_artifact_completion(n, d) for n, d in found.items()), key=_by_name))


def _by_name(completion: Completion) -> str:
    return completion.name


_SELF_DOT = re.compile(r"(?<![\w.])(\w+)\.(\w*)$")
_INPUTS_STEP_DOT = re.compile(r"(?<![\w.])(\w+)\.(\w+)\.(\w*)$")
_INPUTS_INDEX_DOT = re.compile(r"(?<![\w.])(\w+)\[[^\[\]]*\]\.(\w*)$")


def completions_at(
    analysis: ArtifactAnalysis, line: int, before_cursor: str
) -> tuple[Completion, ...]:
    """Completions for the text of the line up to the cursor, in the method at
    ``line``: after ``self.``, ``inputs.``, ``inputs.<step>.``, ``inputs[i].`` or a
    name bound to one input (``for inp in inputs``)."""
    found = function_at(analysis, line)
    if found is None:
        return ()
    flow, function = found
    facts = function.facts
    step = facts.name if facts.is_step else None
    inputs = facts.inputs_param
    if step is not None and inputs is not None:
        match = _INPUTS_STEP_DOT.search(before_cursor)
        if match and match.group(1) == inputs:
            return input_completions(flow, step, match.group(2))
        match = _INPUTS_INDEX_DOT.search(before_cursor)
        if match and match.group(1) == inputs:
            return input_completions(flow, step, "*")
    match = _SELF_DOT.search(before_cursor)
    if match is None:
        return ()
    owner = match.group(1)
    if step is not None and inputs is not None:
        if owner == inputs:
            parents = flow.steps[step].parents if step in flow.steps else ()
            return tuple(Completion(p, "step", "input from step", ()) for p in parents)
        if owner in facts.input_aliases:
            return input_completions(flow, step, facts.input_aliases[owner])
    if owner == "self":
        return completions(flow, step)
    return ()
