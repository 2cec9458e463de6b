"""Building the artifact analysis of a file: its flows, their steps, what reaches them.

``analyze_artifacts`` is memoized on the text (and the files of base flows it read),
so hover, completion, definition, references and diagnostics on one buffer share
one analysis.
"""

from __future__ import annotations

import ast
import gc
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..flow_analysis import (
    FlowFileAnalysis,
    FlowInfo,
    SourceError,
    analyze_source,
    metaflow_names,
    parse_source,
)
from . import checks, queries
from .dataflow import Reaching, propagate, step_node
from .facts import ClassFacts, ClassMember, Columns, FunctionFacts, RawAccess, Span, class_facts
from .members import INPUT_MEMBERS, PRIVATE_MEMBERS, PUBLIC_MEMBERS
from .model import (
    Access,
    Assignment,
    Completion,
    Diagnostic,
    Location,
    StepFlow,
    Symbol,
    SymbolKind,
)


@dataclass(frozen=True)
class _File:
    """One parsed file: the analysed text (``path`` None) or a base flow's module."""

    path: str | None
    filename: str
    columns: Columns
    names: Mapping[str, str]  # Metaflow imports
    classes: Mapping[tuple[str, int], ast.ClassDef]  # (name, class line) -> node
    module_names: frozenset[str]  # names bound at module level


def _file(source: str, filename: str, path: str | None) -> _File:
    tree = parse_source(source, filename)
    bound: set[str] = set()
    classes: dict[tuple[str, int], ast.ClassDef] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef):
            classes[(stmt.name, stmt.lineno)] = stmt
        for sub in ast.walk(stmt) if not isinstance(stmt, ast.ClassDef) else ():
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                bound.add(sub.id)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in sub.names)
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(stmt.name)
    return _File(path, filename, Columns(source), metaflow_names(tree), classes, frozenset(bound))


_Stamp = tuple[int, int]
_BASE_FILES: dict[str, tuple[_Stamp, _File | None]] = {}
_BASE_LOCK = threading.Lock()


def _stamp(path: str) -> _Stamp | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _base_file(path: str) -> tuple[_Stamp | None, _File | None]:
    """A base flow's module, parsed again only when it changed on disk."""
    stamp = _stamp(path)
    with _BASE_LOCK:
        cached = _BASE_FILES.get(path)
    if cached is not None and cached[0] == stamp:
        return stamp, cached[1]
    parsed: _File | None = None
    if stamp is not None:
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8-sig")
            parsed = _file(text, path, path)
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
            parsed = None
        with _BASE_LOCK:
            _BASE_FILES[path] = (stamp, parsed)
    return stamp, parsed


@dataclass(frozen=True)
class _Function:
    facts: FunctionFacts
    file: str | None


@dataclass
class FlowArtifacts:
    """The artifact flow of one flow class: per step, what reaches it and what it does.

    Build it with ``analyze_artifacts``; the query methods (``symbol_at``,
    ``completions``, ``diagnostics``) live in :mod:`.queries` and :mod:`.checks`.
    """

    info: FlowInfo
    steps: dict[str, StepFlow]
    members: dict[str, tuple[SymbolKind, Assignment | None, str]]  # name -> kind, decl, detail
    functions: dict[str, _Function]  # every method of the lineage, own class first
    open_reason: str | None  # why nothing may be reported on this flow, or None
    reaching: Reaching
    # Per step: the names it (or its helpers) writes, and every write as an Access.
    step_writes: dict[str, frozenset[str]] = field(default_factory=dict)
    end_step: str | None = None
    start_step: str | None = None
    module_names: frozenset[str] = frozenset()  # bound at the analysed file's top level
    _references: dict[str, tuple[Access, ...]] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.info.name

    def step(self, name: str) -> StepFlow | None:
        return self.steps.get(name)

    def reference_index(self) -> dict[str, tuple[Access, ...]]:
        """Every access of each artifact name, in file and line order (built once)."""
        if self._references is None:
            index: dict[str, dict[tuple[Location, str], Access]] = {}
            for flow_step in self.steps.values():
                for access in (*flow_step.reads, *flow_step.writes):
                    index.setdefault(access.name, {}).setdefault(
                        (access.location, access.kind), access
                    )
                for literal in self._literals(flow_step.name):
                    index.setdefault(literal.name, {}).setdefault(
                        (literal.location, literal.kind), literal
                    )
            self._references = {
                name: tuple(
                    sorted(
                        found.values(),
                        key=lambda a: (a.location.file or "", a.location.line, a.location.col),
                    )
                )
                for name, found in index.items()
            }
        return self._references

    def _literals(self, step: str) -> list[Access]:
        """foreach= and condition= names, and merge_artifacts(include=[...]) ones."""
        function = self.functions.get(step)
        if function is None:
            return []
        found = []
        for call in function.facts.nexts:
            for literal in (call.foreach, call.condition):
                if literal is not None:
                    location = _location(function.file, literal.span)
                    found.append(Access(literal.value, "read", step, step, location))
        for merge in function.facts.merges:
            for literal in merge.include or ():
                location = _location(function.file, literal.span)
                found.append(Access(literal.value, "read", step, step, location, "*"))
        return found

    def leaving(self, step: str) -> Mapping[str, frozenset[Assignment]]:
        return self.reaching.leaving.get(step, {})

    def parents_leaving(self, step: str, source: str) -> tuple[dict[str, set[Assignment]], bool]:
        """What the inputs named by ``source`` ("*" or a parent) carry, and whether
        unknown artifacts may come along."""
        flow = self.steps.get(step)
        parents = flow.parents if flow is not None else ()
        chosen = parents if source == "*" else tuple(p for p in parents if p == source)
        found: dict[str, set[Assignment]] = {}
        for parent in chosen:
            for name, defs in self.leaving(parent).items():
                found.setdefault(name, set()).update(defs)
        return found, any(self.reaching.open_out.get(p, False) for p in chosen)


def _location(file: str | None, span: Span) -> Location:
    return Location(file, span.line, span.col, span.end_col)


def _lineage(
    info: FlowInfo, files: dict[str | None, _File], missing: list[str]
) -> list[tuple[ClassFacts, str | None]]:
    found: list[tuple[ClassFacts, str | None]] = []
    for ref in info.lineage:
        file = files.get(ref.defined_in)
        if file is None and ref.defined_in is not None:
            _, file = _base_file(ref.defined_in)
            if file is not None:
                files[ref.defined_in] = file
        node = file.classes.get((ref.name, ref.line)) if file is not None else None
        if file is None or node is None:
            missing.append(ref.name)
            continue
        found.append((class_facts(node, file.columns, file.names, file.filename), ref.defined_in))
    return found


def _helpers(name: str, functions: Mapping[str, _Function]) -> list[_Function]:
    """The non-step methods a function may call through self, transitively."""
    seen: set[str] = {name}
    order: list[_Function] = []
    pending = [name]
    while pending:
        current = functions.get(pending.pop())
        if current is None:
            continue
        for ref in sorted(current.facts.self_refs):
            helper = functions.get(ref)
            if helper is not None and not helper.facts.is_step and ref not in seen:
                seen.add(ref)
                order.append(helper)
                pending.append(ref)
    return order


def build_flow(info: FlowInfo, files: dict[str | None, _File]) -> FlowArtifacts:
    missing: list[str] = []
    lineage = _lineage(info, files, missing)
    members: dict[str, tuple[SymbolKind, Assignment | None, str]] = {
        name: ("member", None, detail) for name, detail in PUBLIC_MEMBERS.items()
    }
    members.update((name, ("member", None, "Metaflow internal")) for name in PRIVATE_MEMBERS)
    functions: dict[str, _Function] = {}
    open_reason: str | None = None
    if info.open_bases:
        open_reason = f"the flow derives from {info.open_bases[0]}, which is not known here"
    elif missing:
        open_reason = f"the class {missing[0]} could not be read"
    for facts, file in reversed(lineage):  # the flow's own class last: it wins
        for member in facts.members.values():
            members[member.name] = _member(member, file)
        for fname, ffacts in facts.functions.items():
            functions[fname] = _Function(ffacts, file)
        if open_reason is None and facts.open_reason is not None:
            open_reason = facts.open_reason
    step_names = {s.name for s in info.steps}
    parents: dict[str, list[str]] = {name: [] for name in step_names}
    for step in info.steps:
        for target in step.next_steps:
            if target in parents and step.name not in parents[target]:
                parents[target].append(step.name)

    start_step, end_step = _entry_and_exit(info, functions)
    nodes = []
    step_accesses: dict[str, tuple[list[Access], list[Access]]] = {}
    step_open: dict[str, str | None] = {}
    step_writes: dict[str, frozenset[str]] = {}
    for step in info.steps:
        own = functions.get(step.name)
        if own is None:
            continue
        reads, writes, gen, reason = _step_effects(step.name, own, functions, step_names)
        step_accesses[step.name] = (reads, writes)
        step_open[step.name] = reason
        step_writes[step.name] = frozenset(gen)
        nodes.append(
            step_node(
                step.name,
                tuple(parents[step.name]),
                step.name == start_step,
                own.facts,
                gen,
                reason,
            )
        )
    reaching = propagate(nodes)
    steps: dict[str, StepFlow] = {}
    for node in nodes:
        reads, writes = step_accesses[node.name]
        entering = reaching.entering[node.name]
        steps[node.name] = StepFlow(
            name=node.name,
            is_join=node.is_join,
            parents=node.parents,
            reaching=_SortedDefs(entering),
            reads=tuple(reads),
            writes=tuple(writes),
            open_reason=step_open[node.name],
            open_upstream=reaching.open_in[node.name],
        )
    return FlowArtifacts(
        info=info,
        steps=steps,
        members=members,
        functions=functions,
        open_reason=open_reason,
        reaching=reaching,
        step_writes=step_writes,
        end_step=end_step,
        start_step=start_step,
        module_names=files[None].module_names if None in files else frozenset(),
    )


class _SortedDefs(Mapping[str, tuple[Assignment, ...]]):
    """Name -> its assignments in file order, sorted when first asked: a long flow
    has thousands of (step, artifact) pairs and a query looks at a few."""

    def __init__(self, defs: Mapping[str, frozenset[Assignment]]) -> None:
        self._defs = defs
        self._sorted: dict[str, tuple[Assignment, ...]] = {}

    def __getitem__(self, name: str) -> tuple[Assignment, ...]:
        found = self._sorted.get(name)
        if found is None:
            found = self._sorted[name] = _ordered(self._defs[name])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._defs))

    def __len__(self) -> int:
        return len(self._defs)

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{n!r}: {self[n]!r}' for n in self)}}}"


def _ordered(defs: frozenset[Assignment]) -> tuple[Assignment, ...]:
    return tuple(
        sorted(
            defs,
            key=lambda a: (a.location.file or "", a.location.line, a.location.col, a.step or ""),
        )
    )


def _entry_and_exit(
    info: FlowInfo, functions: Mapping[str, _Function]
) -> tuple[str | None, str | None]:
    """The start and end steps: ``@step(start=True)``/``(end=True)``, else by name."""
    names = [s.name for s in info.steps]
    starts = [n for n in names if n in functions and functions[n].facts.is_start]
    ends = [n for n in names if n in functions and functions[n].facts.is_end]
    if len(names) == 1:
        return names[0], names[0]
    start = starts[0] if len(starts) == 1 else ("start" if "start" in names else None)
    end = ends[0] if len(ends) == 1 else ("end" if "end" in names else None)
    return start, end


def _member(member: ClassMember, file: str | None) -> tuple[SymbolKind, Assignment, str]:
    kinds: dict[str, SymbolKind] = {
        "parameter": "parameter",
        "config": "config",
        "method": "method",
        "step": "step",
    }
    kind = kinds.get(member.kind, "class-attribute")
    return kind, Assignment(None, _location(file, member.span)), member.detail


def _step_effects(
    step: str,
    own: _Function,
    functions: Mapping[str, _Function],
    step_names: set[str],
) -> tuple[list[Access], list[Access], dict[str, frozenset[Assignment]], str | None]:
    """A step's reads and writes (its helpers' included) and why it is open."""
    reads: list[Access] = []
    writes: list[Access] = []
    gen: dict[str, set[Assignment]] = {}
    reason = own.facts.open_reason
    for function in [own, *_helpers(step, functions)]:
        facts = function.facts
        if reason is None and facts.open_reason is not None:
            reason = f"it calls {facts.name}(), which is open: {facts.open_reason}"
        for raw in facts.accesses:
            access = _access(raw, step, facts, function.file, step_names)
            if access is None:
                continue
            (writes if access.kind == "write" else reads).append(access)
            if access.kind == "write":
                gen.setdefault(access.name, set()).add(Assignment(step, access.location))
        if facts.catch_var is not None and function is own:
            location = _location(function.file, facts.catch_var.span)
            writes.append(Access(facts.catch_var.value, "write", step, facts.name, location))
            gen.setdefault(facts.catch_var.value, set()).add(Assignment(step, location))
    return reads, writes, {n: frozenset(d) for n, d in gen.items()}, reason


def _access(
    raw: RawAccess, step: str, facts: FunctionFacts, file: str | None, step_names: set[str]
) -> Access | None:
    source = raw.source
    if source is not None:
        if raw.name in INPUT_MEMBERS:
            return None
        if source != "*" and source not in step_names:
            return None  # inputs.<something that is not a step>
    return Access(raw.name, raw.kind, step, facts.name, _location(file, raw.span), source)


@dataclass(frozen=True)
class ArtifactAnalysis:
    """The artifact analysis of one file: one ``FlowArtifacts`` per flow in it.

    ``main`` is the flow ``python file.py`` runs (diagnostics are about it only: a
    file's other flows may be base flows, completed by subclasses elsewhere).
    """

    filename: str
    flows: tuple[FlowArtifacts, ...]
    files: Mapping[str | None, _File]
    error: SourceError | None
    main: str | None
    default: str | None  # the flow FlowFileAnalysis.flow() picks

    def flow(self, name: str | None = None) -> FlowArtifacts | None:
        """A flow by name; by default the one ``FlowFileAnalysis.flow()`` picks."""
        wanted = name if name is not None else self.default
        for flow in self.flows:
            if flow.name == wanted:
                return flow
        return None

    def symbol_at(self, line: int, col: int) -> Symbol | None:
        """The artifact, Parameter, Config, method, step or Metaflow member at the
        cursor (1-based line, 0-based code-point column), with its definitions
        and references; None elsewhere."""
        return queries.symbol_at(self, line, col)

    def step_at(self, line: int) -> tuple[str, str | None] | None:
        """The flow and step whose method holds ``line`` (step None: a helper
        method); None outside every method."""
        found = queries.function_at(self, line)
        if found is None:
            return None
        flow, function = found
        return flow.name, function.facts.name if function.facts.is_step else None

    def completions_at(self, line: int, before_cursor: str) -> tuple[Completion, ...]:
        """Completions for ``before_cursor`` (the line's text up to the cursor) in the
        method at ``line``: after ``self.``, ``inputs.``, ``inputs.<step>.``,
        ``inputs[i].`` or ``inp.`` (a name bound by ``for inp in inputs``)."""
        return queries.completions_at(self, line, before_cursor)

    def completions(self, step: str, flow: str | None = None) -> tuple[Completion, ...]:
        """What may follow ``self.`` in ``step``: artifacts reaching it or set in it,
        Parameters, Configs, class attributes, methods, steps, Metaflow's members."""
        found = self.flow(flow)
        return queries.completions(found, step) if found is not None else ()

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Warnings on the flow ``python file.py`` runs; none for a file without one."""
        flow = self.flow(self.main) if self.main is not None else None
        return tuple(checks.diagnostics(flow)) if flow is not None else ()


@dataclass(frozen=True)
class _Entry:
    structure: FlowFileAnalysis
    bases: tuple[tuple[str, _Stamp | None], ...]
    result: ArtifactAnalysis


class _Results:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> _Entry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is not None:
                self._items.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], entry: _Entry) -> None:
        with self._lock:
            self._items[key] = entry
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_RESULTS = _Results(8)


def analyze_artifacts(source: str, filename: str = "<flow>") -> ArtifactAnalysis:
    """The artifact analysis of flow source text; never raises on bad code.

    Memoized on (text, filename) while the base flows' files keep their
    modification times.
    """
    if source.startswith("\ufeff"):
        source = source[1:]
    structure = analyze_source(source, filename)
    key = (source, filename)
    entry = _RESULTS.get(key)
    if (
        entry is not None
        and entry.structure is structure
        and all(_stamp(path) == seen for path, seen in entry.bases)
    ):
        return entry.result
    result = _build(source, filename, structure)
    bases = tuple((p, _stamp(p)) for p in result.files if p is not None)
    _RESULTS.put(key, _Entry(structure, bases, result))
    return result


def _build(source: str, filename: str, structure: FlowFileAnalysis) -> ArtifactAnalysis:
    # Thousands of small results, no cycles: a collection would only walk the
    # server's heap (the cached trees) for nothing, as in flow_analysis._parse.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_flows(source, filename, structure)
    finally:
        if was_enabled:
            gc.enable()


def _build_flows(source: str, filename: str, structure: FlowFileAnalysis) -> ArtifactAnalysis:
    if structure.error is not None or not structure.flows:
        return ArtifactAnalysis(filename, (), {}, structure.error, None, None)
    files: dict[str | None, _File] = {None: _file(source, filename, None)}
    flows = tuple(build_flow(info, files) for info in structure.flows)
    default = structure.flow().name
    return ArtifactAnalysis(filename, flows, files, None, structure.main_flow, default)
