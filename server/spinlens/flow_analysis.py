"""Static analysis of Metaflow flow files.

Everything here works on source text with :mod:`ast`; user code is never
imported or executed, so it is safe to run on every keystroke (CodeLenses)
and on files whose imports would fail in the server's environment.

A flow may derive from a base flow of another module beside the file (Metaflow
runs a flow with its folder first on ``sys.path``): the file's imports are
followed into that folder, never into installed packages, and each module found
there is parsed once per modification time.
"""

from __future__ import annotations

import ast
import gc
import os
import re
import stat
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Generic, Literal, TypeGuard, TypeVar

from .incremental_parse import reparse_function

__all__ = [
    "ClassRef",
    "FlowAnalysisError",
    "FlowAnalysisErrorCode",
    "FlowFileAnalysis",
    "FlowInfo",
    "ParameterInfo",
    "SourceError",
    "StepInfo",
    "Transition",
    "analyze_file",
    "analyze_source",
    "canonical_name",
    "metaflow_names",
    "parse_source",
]

_PARAMETER_KINDS = frozenset({"Parameter", "Config", "IncludeFile"})
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


FlowAnalysisErrorCode = Literal["syntax-error", "no-flow", "unknown-flow"]


class FlowAnalysisError(Exception):
    """A flow could not be selected from a file; the message says what to fix.

    ``code`` says why: ``syntax-error`` (the file does not parse or is not UTF-8),
    ``no-flow`` (no FlowSpec subclass in it) or ``unknown-flow`` (none of the
    requested name).
    """

    def __init__(
        self, message: str, line: int | None = None, *, code: FlowAnalysisErrorCode
    ) -> None:
        super().__init__(message)
        self.line = line
        self.code: FlowAnalysisErrorCode = code


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
    # None: defined in the analysed text (possibly in a base flow of it); else
    # the path of the module beside it whose base flow defines it (``line``s
    # are that file's). Only steps of the analysed text get CodeLenses.
    defined_in: str | None = None

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
    defined_in: str | None = None  # as StepInfo.defined_in


@dataclass(frozen=True)
class ClassRef:
    """One class of a flow's inheritance chain, where its ``class`` statement is."""

    name: str
    line: int  # the ``class`` keyword's line (after any decorators)
    defined_in: str | None = None  # as StepInfo.defined_in


@dataclass(frozen=True)
class FlowInfo:
    """A FlowSpec subclass and its statically visible graph."""

    name: str
    line: int
    end_line: int
    steps: tuple[StepInfo, ...]
    parameters: tuple[ParameterInfo, ...]
    # The flow's class, then its base flows' (left to right, each once): where
    # artifact analysis finds class attributes and helper methods.
    lineage: tuple[ClassRef, ...] = field(default=(), compare=False)
    # Bases (dotted, as written) that are neither FlowSpec nor a flow found here
    # or beside the file, the inherited ones included: they may define anything.
    open_bases: tuple[str, ...] = field(default=(), compare=False)

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
                code="syntax-error",
            )
        if not self.flows:
            raise FlowAnalysisError(
                f"{self.filename}: no flow found; define a class deriving from "
                "metaflow.FlowSpec (or from a flow of a module beside this file) "
                "at module level",
                code="no-flow",
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
            f"{self.filename}: flow {name!r} not found; flows in this file: {available}",
            code="unknown-flow",
        )

    def step_at(self, line: int) -> tuple[FlowInfo, StepInfo] | None:
        """The step whose decorator-to-end range contains the 1-based ``line``."""
        for info in self.flows:
            if not info.line <= line <= info.end_line:
                continue
            for step in info.steps:
                if step.defined_in is None and step.line <= line <= step.end_line:
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
    and the spin engine often ask about the same text back to back. A cached
    result is reused while the files it looked at beside ``filename`` (base
    flows' modules, or their absence) keep their modification times.
    """
    if source.startswith("\ufeff"):  # editors may keep a BOM in the buffer
        source = source[1:]
    key = (source, filename)
    cached = _RESULTS.get(key)
    if cached is not None and all(_stamp(path) == seen for path, seen in cached.deps):
        return cached.analysis
    summary = cached.summary if cached is not None else _summarize_source(source, filename)
    result = _resolve(summary, filename)
    _RESULTS.put(key, result)
    return result.analysis


def parse_source(source: str, filename: str = "<flow>") -> ast.Module:
    """The tree of ``source``, shared with the last analyses (artifact analysis walks
    the tree that ``analyze_source`` just parsed). Raises what ``ast.parse`` raises."""
    key = (source, filename)
    tree = _TREES.get(key)
    if tree is None:
        last = _LAST_TREE.get(filename)
        if last is not None:
            tree = reparse_function(last[0], last[1], source, filename, _parse)
        if tree is None:
            tree = _parse(source, filename)
        _TREES.put(key, tree)
        _LAST_TREE.put(filename, (source, tree))
    return tree


def metaflow_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> Metaflow name for the module's imports from Metaflow; a name
    bound to the module itself (``import metaflow as mf``) maps to "metaflow"."""
    bindings = _bindings(tree.body)
    names = _metaflow_names(bindings)
    for local, imports in bindings.items():
        if any(i.name is None and i.level == 0 and i.module == "metaflow" for i in imports):
            names[local] = "metaflow"
    return names


def canonical_name(node: ast.expr, names: Mapping[str, str]) -> str | None:
    """The name ``node`` stands for (``x``, ``a.b.x``, an alias of a Metaflow ``x``)."""
    return _canonical(node, names)


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


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Cache(Generic[_K, _V]):
    """A small LRU mapping, safe to share between the language server's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class _Import:
    """What one import statement binds a module-level name to."""

    module: str  # dotted; "" in `from . import x`
    level: int  # the leading dots of a relative import
    name: str | None  # the attribute imported from ``module``; None: the module itself


@dataclass(frozen=True)
class _ClassDecl:
    """A module-level class as written; whether it is a flow depends on its bases."""

    name: str
    line: int
    class_line: int
    end_line: int
    derives_flowspec: bool
    bases: tuple[tuple[str, ...], ...]  # the other bases' dotted names: ("base", "BaseFlow")
    methods: frozenset[str]  # every method name: steps or not, they hide inherited steps
    steps: tuple[StepInfo, ...]
    parameters: tuple[ParameterInfo, ...]


@dataclass(frozen=True)
class _Module:
    """What one parsed file offers to flow discovery."""

    classes: tuple[_ClassDecl, ...]
    bindings: Mapping[str, tuple[_Import, ...]]  # each name's imports, in source order
    imports: tuple[str, ...]
    main_calls: tuple[tuple[str, ...], ...]  # per `__main__` guard, names called, in order


_Stamp = tuple[int, int]  # (st_mtime_ns, st_size) of a file
_FOLDER: _Stamp = (-1, -1)


@dataclass(frozen=True)
class _Result:
    summary: _Module | SourceError
    deps: tuple[tuple[str, _Stamp | None], ...]  # paths looked at, None where missing
    analysis: FlowFileAnalysis


_RESULTS: _Cache[tuple[str, str], _Result] = _Cache(8)
# The last trees parsed (they are large: a few megabytes for 3,000 lines).
_TREES: _Cache[tuple[str, str], ast.Module] = _Cache(4)
# Per file, its last text that parsed and its tree: the next edit inside one
# method parses that method alone (incremental_parse).
_LAST_TREE: _Cache[str, tuple[str, ast.Module]] = _Cache(8)
# Modules beside flow files, by path: (stamp, summary; None if unreadable).
_MODULES: _Cache[str, tuple[_Stamp, _Module | None]] = _Cache(64)


def _stamp(path: str) -> _Stamp | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return _FOLDER if stat.S_ISDIR(info.st_mode) else (info.st_mtime_ns, info.st_size)


def _summarize_source(source: str, filename: str) -> _Module | SourceError:
    try:
        tree = parse_source(source, filename)
    except SyntaxError as exc:
        return SourceError(
            exc.msg or "invalid syntax", max(exc.lineno or 1, 1), max(exc.offset or 1, 1)
        )
    except ValueError as exc:  # null bytes on Python < 3.12
        return SourceError(str(exc), 1, 1)
    except RecursionError:
        return SourceError("source is too deeply nested to analyze", 1, 1)
    bindings = _bindings(tree.body)
    names = _metaflow_names(bindings)
    next_lines = _lines_containing(source, "next")
    return _Module(
        classes=tuple(
            _class_decl(node, names, next_lines)
            for node in tree.body
            if isinstance(node, ast.ClassDef)
        ),
        bindings=bindings,
        imports=_imports(tree.body),
        main_calls=_main_calls(tree.body),
    )


def _module_file(path: str, stamp: _Stamp) -> _Module | None:
    """The summary of a module beside a flow file, parsed again only when it changed."""
    cached = _MODULES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, "rb") as handle:
            summary = _summarize_source(handle.read().decode("utf-8-sig"), path)
    except (OSError, UnicodeDecodeError):
        summary = None
    module = summary if isinstance(summary, _Module) else None
    _MODULES.put(path, (stamp, module))
    return module


def _resolve(summary: _Module | SourceError, filename: str) -> _Result:
    if isinstance(summary, SourceError):
        return _Result(summary, (), FlowFileAnalysis((), (), summary, filename=filename))
    resolver = _Resolver(filename)
    flows = resolver.flows_in(summary, None, resolver.own_path)
    analysis = FlowFileAnalysis(
        flows=tuple(sorted(flows.values(), key=lambda f: f.line)),
        imports=summary.imports,
        error=None,
        main_flow=_main_flow(summary.main_calls, flows),
        filename=filename,
    )
    return _Result(summary, tuple(resolver.deps.items()), analysis)


# A URI (`untitled:Untitled-1`) rather than a path; two letters at least, not `C:`.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


@dataclass(frozen=True)
class _Location:
    """A module found beside the flow file."""

    file: str | None  # its source: x.py, or pkg/__init__.py; None for a namespace package
    package: str | None  # the folder of a package, else None


class _Resolver:
    """Follows one file's imports to the base flows defined in modules beside it."""

    def __init__(self, filename: str) -> None:
        # Metaflow runs `python flow.py`: the flow's folder is first on sys.path.
        saved = not (filename.startswith("<") or _URI.match(filename))
        self.own_path = os.path.abspath(filename) if saved else None
        self.root = os.path.dirname(self.own_path) if self.own_path is not None else None
        self.deps: dict[str, _Stamp | None] = {}
        self.flows: dict[str, dict[str, FlowInfo]] = {}
        # Files whose flows are being built (the analysed one included) and names
        # being followed: an import cycle back into either finds nothing.
        self.building: set[str] = {self.own_path} if self.own_path is not None else set()
        self.following: set[tuple[str, tuple[str, ...]]] = set()

    def flows_in(
        self, module: _Module, origin: str | None, importer: str | None
    ) -> dict[str, FlowInfo]:
        """The flows of ``module`` (the file ``origin``; None for the analysed text)."""
        known: dict[str, FlowInfo] = {}
        for decl in module.classes:
            bases: list[FlowInfo] = []
            unresolved: list[str] = []
            for dotted in decl.bases:
                base = self._base(module, importer, known, dotted)
                if base is not None:
                    bases.append(base)
                else:
                    unresolved.append(".".join(dotted))
            if decl.derives_flowspec or bases:
                # A redefinition replaces the earlier class, as at runtime.
                known.pop(decl.name, None)
                known[decl.name] = _flow_info(decl, bases, origin, tuple(unresolved))
        return known

    def _base(
        self,
        module: _Module,
        importer: str | None,
        known: dict[str, FlowInfo],
        dotted: tuple[str, ...],
    ) -> FlowInfo | None:
        if len(dotted) == 1 and dotted[0] in known:  # an earlier flow of the same file
            return known[dotted[0]]
        if importer is None:
            return None
        return self._imported(module, importer, dotted)

    def _imported(self, module: _Module, importer: str, dotted: tuple[str, ...]) -> FlowInfo | None:
        """The flow ``dotted`` names through one of ``module``'s imports."""
        for binding in module.bindings.get(dotted[0], ()):
            if binding.level == 0 and _is_metaflow(binding.module):
                continue
            location = self._locate(binding.module, binding.level, importer)
            rest = dotted[1:] if binding.name is None else (binding.name, *dotted[1:])
            found = self._member(location, rest)
            if found is not None:
                return found
        return None

    def _locate(self, module: str, level: int, importer: str) -> _Location | None:
        assert self.root is not None
        parts = module.split(".") if module else []
        if level == 0:
            location = self._child(self.root, parts.pop(0))
        else:
            folder = os.path.dirname(importer)
            for _ in range(level - 1):
                folder = os.path.dirname(folder)
            if os.path.commonpath([folder, self.root]) != self.root:
                return None  # above the flow's folder
            init = os.path.join(folder, "__init__.py")
            location = _Location(init if self._is_file(init) else None, folder)
        for part in parts:
            if location is None or location.package is None:
                return None
            location = self._child(location.package, part)
        return location

    def _child(self, folder: str, name: str) -> _Location | None:
        """Module ``name`` in ``folder``, searched as Python's path finder does."""
        path = os.path.join(folder, name)
        init = os.path.join(path, "__init__.py")
        if self._is_file(init):
            return _Location(init, path)
        if self._is_file(path + ".py"):
            return _Location(path + ".py", None)
        if self._probe(path) == _FOLDER:
            return _Location(None, path)
        return None

    def _member(self, location: _Location | None, parts: tuple[str, ...]) -> FlowInfo | None:
        """The flow at ``parts`` (a class name, or submodules then one) in ``location``."""
        if location is None or not parts:
            return None
        key = (location.file or location.package or "", parts)
        if key in self.following:
            return None
        self.following.add(key)
        try:
            return self._member_uncached(location, parts)
        finally:
            self.following.discard(key)

    def _member_uncached(self, location: _Location, parts: tuple[str, ...]) -> FlowInfo | None:
        head, rest = parts[0], parts[1:]
        if location.file is not None:
            module = self._module(location.file)
            if module is not None:
                flows = self._flows_of(location.file, module)
                if not rest and head in flows:
                    return flows[head]
                if head in module.bindings:  # re-exported, or a submodule imported there
                    found = self._imported(module, location.file, parts)
                    if found is not None:
                        return found
        if location.package is not None:
            return self._member(self._child(location.package, head), rest)
        return None

    def _flows_of(self, path: str, module: _Module) -> dict[str, FlowInfo]:
        if path in self.flows:
            return self.flows[path]
        if path in self.building:
            return {}
        self.building.add(path)
        try:
            flows = self.flows_in(module, path, path)
        finally:
            self.building.discard(path)
        self.flows[path] = flows
        return flows

    def _module(self, path: str) -> _Module | None:
        stamp = self._probe(path)
        if stamp is None or stamp == _FOLDER:
            return None
        return _module_file(path, stamp)

    def _probe(self, path: str) -> _Stamp | None:
        """The path's stamp, recorded: the cached result is valid while it holds."""
        if path not in self.deps:
            self.deps[path] = _stamp(path)
        return self.deps[path]

    def _is_file(self, path: str) -> bool:
        stamp = self._probe(path)
        return stamp is not None and stamp != _FOLDER


def _dedupe(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _is_metaflow(module: str) -> bool:
    return module == "metaflow" or module.startswith("metaflow.")


def _bindings(body: list[ast.stmt]) -> dict[str, tuple[_Import, ...]]:
    """Each module-level name's imports, all of them (`try: ... except ImportError:`)."""
    found: dict[str, list[_Import]] = {}
    for stmt in _module_level(body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname is not None:  # import a.b as x: x is a.b
                    found.setdefault(alias.asname, []).append(_Import(alias.name, 0, None))
                else:  # import a.b: a is a
                    top = alias.name.split(".")[0]
                    found.setdefault(top, []).append(_Import(top, 0, None))
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name != "*":
                    imported = _Import(stmt.module or "", stmt.level, alias.name)
                    found.setdefault(alias.asname or alias.name, []).append(imported)
    return {name: tuple(imports) for name, imports in found.items()}


def _metaflow_names(bindings: Mapping[str, tuple[_Import, ...]]) -> dict[str, str]:
    """Local name -> Metaflow name, for `from metaflow import step as s`."""
    return {
        local: imported.name
        for local, imports in bindings.items()
        for imported in imports
        if imported.name is not None and imported.level == 0 and _is_metaflow(imported.module)
    }


def _canonical(node: ast.expr, names: Mapping[str, str]) -> str | None:
    """The Metaflow name ``node`` stands for: ``x``, ``a.b.x`` and aliases of ``x`` give
    ``x``; None for anything but a name or an attribute."""
    if isinstance(node, ast.Name):
        return names.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _dotted(node: ast.expr) -> tuple[str, ...] | None:
    """``("a", "b", "C")`` for ``a.b.C``; None unless names and attributes only."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return tuple(reversed(parts))


def _decorator_name(node: ast.expr, names: Mapping[str, str]) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    name = _canonical(node, names)
    return name if name is not None else ast.unparse(node)


def _class_decl(node: ast.ClassDef, names: Mapping[str, str], next_lines: list[int]) -> _ClassDecl:
    derives = False
    bases: list[tuple[str, ...]] = []
    for base in node.bases:
        if _canonical(base, names) == "FlowSpec":
            derives = True
        elif (dotted := _dotted(base)) is not None:
            bases.append(dotted)

    # A later def of the same name replaces an earlier one.
    steps: dict[str, StepInfo | None] = {}
    params: dict[str, ParameterInfo] = {}
    for stmt in node.body:
        if isinstance(stmt, _FUNCTION_DEFS):
            steps.pop(stmt.name, None)
            steps[stmt.name] = _step_info(stmt, names, next_lines)
        else:
            for param in _parameters(stmt, names):
                params.pop(param.name, None)
                params[param.name] = param
    return _ClassDecl(
        name=node.name,
        line=node.decorator_list[0].lineno if node.decorator_list else node.lineno,
        class_line=node.lineno,
        end_line=node.end_lineno or node.lineno,
        derives_flowspec=derives,
        bases=tuple(bases),
        methods=frozenset(steps),
        steps=tuple(s for s in steps.values() if s is not None),
        parameters=tuple(params.values()),
    )


def _flow_info(
    decl: _ClassDecl, bases: list[FlowInfo], origin: str | None, unresolved: tuple[str, ...]
) -> FlowInfo:
    """The flow ``decl`` declares over its base flows; ``origin``: its file, when not
    the analysed text; ``unresolved``: its other bases."""
    steps = list(decl.steps)
    params = list(decl.parameters)
    if origin is not None:
        steps = [replace(s, defined_in=origin) for s in steps]
        params = [replace(p, defined_in=origin) for p in params]
    # Own definitions win; then the bases' (left to right, like the MRO).
    inherited_steps: dict[str, StepInfo] = {}
    inherited_params: dict[str, ParameterInfo] = {}
    own_params = {p.name for p in params}
    for base in bases:
        for step in base.steps:
            if step.name not in decl.methods:
                inherited_steps.setdefault(step.name, step)
        for param in base.parameters:
            if param.name not in own_params:
                inherited_params.setdefault(param.name, param)
    lineage = dict.fromkeys(
        [ClassRef(decl.name, decl.class_line, origin), *(c for b in bases for c in b.lineage)]
    )
    open_bases = dict.fromkeys([*unresolved, *(o for b in bases for o in b.open_bases)])
    return FlowInfo(
        name=decl.name,
        line=decl.line,
        end_line=decl.end_line,
        steps=_in_order([*steps, *inherited_steps.values()]),
        parameters=_in_order([*params, *inherited_params.values()]),
        lineage=tuple(lineage),
        open_bases=tuple(open_bases),
    )


_Located = TypeVar("_Located", StepInfo, ParameterInfo)


def _in_order(items: list[_Located]) -> tuple[_Located, ...]:
    """The analysed text's by line; then each other file's, in inheritance order."""
    rank: dict[str | None, int] = {None: -1}
    for item in items:
        rank.setdefault(item.defined_in, len(rank))
    return tuple(sorted(items, key=lambda item: (rank[item.defined_in], item.line)))


def _parameters(stmt: ast.stmt, names: Mapping[str, str]) -> Iterator[ParameterInfo]:
    if isinstance(stmt, ast.Assign):
        targets, value = stmt.targets, stmt.value
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets, value = [stmt.target], stmt.value
    else:
        return
    if not isinstance(value, ast.Call):
        return
    kind = _canonical(value.func, names)
    if kind not in _PARAMETER_KINDS:
        return
    for target in targets:
        if isinstance(target, ast.Name):
            yield ParameterInfo(name=target.id, kind=kind, line=stmt.lineno)


def _step_info(
    node: ast.FunctionDef | ast.AsyncFunctionDef, names: Mapping[str, str], next_lines: list[int]
) -> StepInfo | None:
    decorators = tuple(_decorator_name(d, names) for d in node.decorator_list)
    if "step" not in decorators:
        return None
    positional = len(node.args.posonlyargs) + len(node.args.args)
    return StepInfo(
        name=node.name,
        line=node.decorator_list[0].lineno,
        def_line=node.lineno,
        end_line=node.end_lineno or node.lineno,
        decorators=decorators,
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
        for attr in ("body", "orelse", "finalbody"):
            children.extend(getattr(stmt, attr, ()))
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


def _main_calls(body: list[ast.stmt]) -> tuple[tuple[str, ...], ...]:
    """Per ``if __name__ == "__main__":``, the names it calls (``X()``), in order."""
    guards = []
    for stmt in body:
        if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
            calls = sorted(
                (node.lineno, node.col_offset, node.func.id)
                for part in stmt.body
                for node in ast.walk(part)
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            )
            guards.append(tuple(name for _, _, name in calls))
    return tuple(guards)


def _main_flow(
    main_calls: tuple[tuple[str, ...], ...], flows: Mapping[str, FlowInfo]
) -> str | None:
    """The first flow called inside the first ``__main__`` guard that calls one."""
    for guard in main_calls:
        for name in guard:
            if name in flows:
                return name
    return None
