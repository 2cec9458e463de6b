"""Which artifacts reach each step: reaching assignments over the flow's graph.

Metaflow hands a linear step its parent's datastore, so everything set upstream
is on ``self``; a join starts empty (Parameters and class attributes apart) and
gets artifacts only from ``merge_artifacts`` or by assigning them. A step reached
from several parents without being a join (after a conditional) may see any
parent's. Loops (recursion) iterate to a fixed point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .facts import FunctionFacts, Merge
from .model import Assignment

Defs = dict[str, frozenset[Assignment]]


@dataclass(frozen=True)
class StepNode:
    """What the propagation needs of one step."""

    name: str
    parents: tuple[str, ...]
    is_join: bool
    is_entry: bool
    gen: Mapping[str, frozenset[Assignment]]  # every assignment the step (or its helpers) makes
    kill: frozenset[str]  # names it always sets: upstream values of them stop here
    merges: tuple[Merge, ...]
    open: bool


@dataclass(frozen=True)
class Reaching:
    entering: Mapping[str, Defs]  # per step: on self when it starts (a join: what it merges)
    leaving: Mapping[str, Defs]  # per step: on self when it ends
    open_in: Mapping[str, bool]  # per step: unknown artifacts may be on self when it starts
    open_out: Mapping[str, bool]


def _union(into: Defs, defs: Mapping[str, frozenset[Assignment]]) -> None:
    for name, found in defs.items():
        into[name] = into[name] | found if name in into else found


def _merged(merge: Merge, parents: Defs) -> Defs:
    if merge.dynamic:
        return dict(parents)
    if merge.include is not None:
        wanted = {s.value for s in merge.include}
        return {n: d for n, d in parents.items() if n in wanted}
    return {n: d for n, d in parents.items() if n not in merge.exclude}


def propagate(nodes: Iterable[StepNode]) -> Reaching:
    """Reaching assignments, to a fixed point (a worklist over the steps)."""
    by_name = {node.name: node for node in nodes}
    children: dict[str, list[str]] = {name: [] for name in by_name}
    for node in by_name.values():
        for parent in node.parents:
            if parent in children:
                children[parent].append(node.name)
    entering: dict[str, Defs] = {name: {} for name in by_name}
    leaving: dict[str, Defs] = {name: {} for name in by_name}
    open_in = dict.fromkeys(by_name, False)
    open_out = dict.fromkeys(by_name, False)
    pending = list(by_name)
    queued = set(pending)
    while pending:
        name = pending.pop(0)
        queued.discard(name)
        node = by_name[name]
        parents = [p for p in node.parents if p in by_name]
        incoming: Defs = {}
        for parent in parents:
            _union(incoming, leaving[parent])
        upstream_open = any(open_out[p] for p in parents)
        if not parents and not node.is_entry:
            upstream_open = True  # unreachable as written: nothing is known of it
        if node.is_join:
            start: Defs = {}
            for merge in node.merges:
                # Names the join sets itself are not merged (or are overwritten).
                merged = _merged(merge, incoming)
                _union(start, {n: d for n, d in merged.items() if n not in node.kill})
            start_open = upstream_open and any(m.include is None for m in node.merges)
        else:
            start, start_open = incoming, upstream_open
        end: Defs = {n: d for n, d in start.items() if n not in node.kill}
        _union(end, node.gen)
        end_open = start_open or node.open
        if (start, start_open) != (entering[name], open_in[name]) or (end, end_open) != (
            leaving[name],
            open_out[name],
        ):
            entering[name], open_in[name] = start, start_open
            changed = (end, end_open) != (leaving[name], open_out[name])
            leaving[name], open_out[name] = end, end_open
            if changed:
                for child in children[name]:
                    if child not in queued:
                        queued.add(child)
                        pending.append(child)
    return Reaching(entering, leaving, open_in, open_out)


def step_node(
    name: str,
    parents: tuple[str, ...],
    is_entry: bool,
    facts: FunctionFacts,
    writes: Mapping[str, frozenset[Assignment]],
    open_reason: str | None,
) -> StepNode:
    kill = frozenset(a.name for a in facts.accesses if a.kind == "write" and a.definite)
    return StepNode(
        name=name,
        parents=parents,
        is_join=facts.num_args >= 2,
        is_entry=is_entry,
        gen=writes,
        kill=kill,
        merges=facts.merges,
        open=open_reason is not None,
    )
