"""Warnings about artifacts and transitions, for the flow a file runs.

Each check stays silent where the analysis cannot know: an open step (or anything
open upstream of it) reports no unknown artifact; an open flow (an unknown base
class, a flow decorator that may add Parameters) reports only what its own text
shows for certain (a step without ``self.next``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..flow_analysis import Transition
from .facts import FunctionFacts, Span, StringArg
from .model import Diagnostic, DiagnosticCode, QuickFix, TextEdit

if TYPE_CHECKING:
    from .analysis import FlowArtifacts, _Function


def _close(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.75)
    return found[0] if found else None


def _replace(span: Span, text: str, title: str) -> QuickFix:
    return QuickFix(title, (TextEdit(span.line, span.col, span.line, span.end_col, text),))


def _diagnostic(
    code: DiagnosticCode, message: str, span: Span, step: str, fix: QuickFix | None = None
) -> Diagnostic:
    return Diagnostic(code, message, span.line, span.col, span.line, span.end_col, step, fix)


def diagnostics(flow: FlowArtifacts) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    own_steps = [
        (name, function)
        for name in flow.steps
        if (function := flow.functions.get(name)) is not None and function.file is None
    ]
    for name, function in own_steps:
        found.extend(_missing_next(flow, name, function.facts))
    if flow.open_reason is None:
        for name, function in own_steps:
            found.extend(_unknown_steps(flow, name, function.facts))
            found.extend(_undefined_reads(flow, name, function))
            found.extend(_undefined_literals(flow, name, function.facts))
        found.extend(_unjoined(flow))
    return sorted(found, key=lambda d: (d.line, d.col, d.code))


def _missing_next(flow: FlowArtifacts, step: str, facts: FunctionFacts) -> list[Diagnostic]:
    if step == flow.end_step or facts.tail_next:
        return []
    if flow.end_step is None and not facts.nexts:
        return []  # no end step is known: this one may be meant as the last
    if facts.nexts:
        message = (
            f"self.next() must be the last statement of step {step}: Metaflow reads the "
            "transition from there"
        )
    else:
        message = f"step {step} has no self.next() transition to the next step"
    return [_diagnostic("missing-next", message, facts.name_span, step)]


def _unknown_steps(flow: FlowArtifacts, step: str, facts: FunctionFacts) -> list[Diagnostic]:
    found = []
    for call in facts.nexts:
        for target, span in call.targets:
            if target in flow.steps or target in flow.members:
                continue  # a method that is not a step is Metaflow's own error to word
            guess = _close(target, flow.steps)
            fix = _replace(span, guess, f"Change to self.{guess}") if guess else None
            found.append(
                _diagnostic(
                    "unknown-step",
                    f"self.next() names {target}, which is not a step of {flow.name}",
                    span,
                    step,
                    fix,
                )
            )
    return found


def _known(flow: FlowArtifacts, step: str, name: str) -> bool:
    """``name`` may be on self in ``step``: set upstream or here, or not an artifact."""
    flow_step = flow.steps[step]
    return (
        name in flow.members
        or name.startswith("_")
        or flow_step.open_reason is not None
        or flow_step.open_upstream
        or name in flow_step.reaching
        or name in flow.step_writes.get(step, ())
    )


def _candidates(flow: FlowArtifacts, step: str) -> set[str]:
    flow_step = flow.steps[step]
    return {
        *flow_step.reaching,
        *flow.step_writes.get(step, ()),
        *(n for n, (kind, _, _) in flow.members.items() if kind != "member"),
    }


def _undefined_reads(flow: FlowArtifacts, step: str, function: _Function) -> list[Diagnostic]:
    facts = function.facts
    flow_step = flow.steps[step]
    found = []
    for raw in facts.accesses:
        if raw.kind != "read" or raw.guarded or raw.name in facts.guard_names:
            continue
        if raw.source is None:
            if _known(flow, step, raw.name):
                continue
            message, names = _self_message(flow, step, raw.name), _candidates(flow, step)
        else:
            if raw.source != "*" and raw.source not in flow_step.parents:
                continue
            carried, unknown = flow.parents_leaving(step, raw.source)
            if unknown or raw.name in carried or raw.name in flow.members:
                continue
            origin = "its inputs" if raw.source == "*" else f"step {raw.source}"
            message = f"{raw.name} is not set by {origin} (nor by any step before it)"
            names = set(carried)
        guess = _close(raw.name, names)
        fix = _replace(raw.span, guess, f"Change to {guess}") if guess else None
        found.append(_diagnostic("undefined-artifact", message, raw.span, step, fix))
    return found


def _self_message(flow: FlowArtifacts, step: str, name: str) -> str:
    flow_step = flow.steps[step]
    if flow_step.is_join:
        carried, unknown = flow.parents_leaving(step, "*")
        if unknown or name in carried:
            return (
                f"self.{name} is not set in join step {step}: a join starts without its "
                f"inputs' artifacts; read inputs.<step>.{name}, or call "
                "self.merge_artifacts(inputs) first"
            )
    return f"self.{name} is read in step {step}, but no step before it sets {name}"


def _undefined_literals(flow: FlowArtifacts, step: str, facts: FunctionFacts) -> list[Diagnostic]:
    found = []
    for call in facts.nexts:
        pairs: list[tuple[StringArg | None, DiagnosticCode, str]] = [
            (call.foreach, "undefined-foreach", "foreach"),
            (call.condition, "undefined-condition", "condition"),
        ]
        for literal, code, what in pairs:
            if literal is None or _known(flow, step, literal.value):
                continue
            if literal.value in facts.guard_names:
                continue
            guess = _close(literal.value, _candidates(flow, step))
            fix = None
            if guess is not None:
                quoted = f"{literal.quote}{guess}{literal.quote}"
                fix = _replace(literal.span, quoted, f"Change to {quoted}")
            message = (
                f"the {what} artifact {literal.value!r} is not set in step {step} nor before it"
            )
            found.append(_diagnostic(code, message, literal.span, step, fix))
    return found


def _unjoined(flow: FlowArtifacts) -> list[Diagnostic]:
    """Steps that close a split (or a foreach) without taking ``inputs``.

    The graph is walked from the start step as Metaflow's linter does, with the
    stack of open splits. A step two branches of one split reach, or a step
    inside a split that reads a name ``inputs`` it never binds, is a join without
    its argument. If the end step is reached with a split still open and no such
    step was found, the split itself is reported.
    """
    start = flow.start_step
    if start is None or start not in flow.steps:
        return []
    if any(_fans_out(flow, n) for n, s in flow.steps.items() if s.open_reason is not None):
        return []  # a decorator there may change what the fan-out is (@condition)
    found: list[Diagnostic] = []
    intended: set[str] = set()
    module_names = flow.module_names
    for name, flow_step in flow.steps.items():
        function = flow.functions.get(name)
        if function is None or function.file is not None or flow_step.is_join:
            continue
        facts = function.facts
        if facts.free_inputs and "inputs" not in module_names:
            intended.add(name)
    stacks = _split_stacks(flow, start, intended)
    for name, flow_step in flow.steps.items():
        function = flow.functions.get(name)
        if function is None or function.file is not None or flow_step.is_join:
            continue
        arriving = [stacks[p][1] for p in flow_step.parents if p in stacks]
        branches = {s[-1] for s in arriving if s}
        splits = {b[0] for b in branches}
        if (name in intended and any(arriving)) or (len(branches) > 1 and len(splits) == 1):
            found.append(_join_diagnostic(name, function.facts))
            intended.add(name)
    if found:
        return found
    end = flow.end_step
    if end in stacks and stacks[end][0]:
        split, _ = stacks[end][0][-1]
        function = flow.functions.get(split)
        if function is not None and function.file is None and function.facts.nexts:
            call = function.facts.nexts[-1]
            span = call.targets[0][1] if call.targets else function.facts.name_span
            found.append(
                _diagnostic(
                    "join-without-inputs",
                    f"the split in step {split} is never joined: the step that closes it "
                    "must take inputs (def join(self, inputs))",
                    span,
                    split,
                )
            )
    return found


def _join_diagnostic(step: str, facts: FunctionFacts) -> Diagnostic:
    end = facts.args_end
    fix = QuickFix(
        "Add the inputs argument",
        (TextEdit(end.line, end.col, end.line, end.col, ", inputs"),),
    )
    return _diagnostic(
        "join-without-inputs",
        f"step {step} joins branches but takes no inputs argument (def {step}(self, inputs))",
        facts.name_span,
        step,
        fix,
    )


_Stack = tuple[tuple[str, str], ...]


def _split_stacks(
    flow: FlowArtifacts, start: str, joins: set[str]
) -> dict[str, tuple[_Stack, _Stack]]:
    """Per step reached: the open splits (split step, branch) when it starts, and
    those it passes on. First visit wins, in breadth-first order."""
    result: dict[str, tuple[_Stack, _Stack]] = {}
    pending: list[tuple[str, _Stack]] = [(start, ())]
    while pending:
        name, stack = pending.pop(0)
        if name in result or name not in flow.steps:
            continue
        info = flow.info.step(name)
        if info is None:
            continue
        after = stack[:-1] if (flow.steps[name].is_join or name in joins) and stack else stack
        result[name] = (stack, after)
        for transition in info.transitions:
            fans = _fans(transition, name)
            for target in transition.targets:
                if target != name:
                    pending.append((target, (*after, (name, target)) if fans else after))
    # What each step passes on to its children is what they start with.
    return {name: (stack, _passed(flow, name, after)) for name, (stack, after) in result.items()}


def _fans(transition: Transition, name: str) -> bool:
    """A static split or a foreach (a switch opens no split)."""
    targets = [t for t in transition.targets if t != name]
    return transition.condition is None and (
        transition.foreach is not None or transition.num_parallel or len(targets) > 1
    )


def _fans_out(flow: FlowArtifacts, name: str) -> bool:
    info = flow.info.step(name)
    return info is not None and any(_fans(t, name) for t in info.transitions)


def _passed(flow: FlowArtifacts, name: str, after: _Stack) -> _Stack:
    """The stack a step hands its children: its own branch pushed if it splits."""
    return (*after, (name, "*")) if _fans_out(flow, name) else after
