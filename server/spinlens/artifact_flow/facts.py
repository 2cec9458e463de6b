"""What one method or class body does with ``self``, read off its AST.

Per method: every ``self.<name>`` read and write, the reads through a join's
``inputs``, ``merge_artifacts`` and ``self.next`` calls, and whether it does
something that may set attributes no one can list (then it is *open*). Per class:
its Parameters, Configs, class attributes and methods. Nothing is imported or run.

A method's facts depend only on its own text and where it starts, so they are
memoized on that: typing inside one step re-walks that step alone.
"""

from __future__ import annotations

import ast
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from ..flow_analysis import canonical_name
from .members import PARAMETER_KINDS, QUIET_FLOW_DECORATORS, QUIET_STEP_DECORATORS
from .model import AccessKind

_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
# Calls that may take ``self`` without setting anything on it.
_HARMLESS_CALLS = frozenset({"isinstance", "print", "repr", "str", "type", "id", "hash", "format"})
_DYNAMIC_CALLS = frozenset({"exec", "eval", "vars", "locals", "globals", "__import__"})
# Handlers that catch a failed ``self.x`` read: reads in their ``try`` are guarded.
_ATTRIBUTE_CATCHERS = frozenset({"AttributeError", "Exception", "BaseException"})
_TRY_NODES = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* from 3.11
_ITERATION_WRAPPERS = frozenset({"list", "tuple", "sorted", "reversed", "iter"})


class Columns:
    """Turns the parser's UTF-8 byte columns into code-point columns, per line."""

    def __init__(self, source: str) -> None:
        if "\r" in source:
            source = source.replace("\r\n", "\n").replace("\r", "\n")
        self.lines = source.split("\n")

    def text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def col(self, line: int, byte_col: int) -> int:
        text = self.text(line)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


@dataclass(frozen=True)
class Span:
    line: int
    col: int
    end_col: int


@dataclass(frozen=True)
class RawAccess:
    name: str
    kind: AccessKind
    span: Span
    # None: self.<name>; "*": any input of a join; else the attribute after
    # ``inputs`` (a step name, checked once the flow's steps are known).
    source: str | None = None
    definite: bool = False  # a write that always runs once the step gets there
    guarded: bool = False  # a read under try/except AttributeError


@dataclass(frozen=True)
class StringArg:
    """A string literal argument (``foreach="items"``)."""

    value: str
    span: Span
    quote: str


@dataclass(frozen=True)
class NextCall:
    targets: tuple[tuple[str, Span], ...]
    foreach: StringArg | None
    condition: StringArg | None
    line: int


@dataclass(frozen=True)
class Merge:
    """A ``self.merge_artifacts(inputs, include=..., exclude=...)`` call."""

    include: tuple[StringArg, ...] | None
    exclude: frozenset[str]
    dynamic: bool  # include/exclude not literal: it may merge anything
    span: Span


@dataclass(frozen=True)
class FunctionFacts:
    name: str
    name_span: Span
    is_step: bool
    num_args: int
    inputs_param: str | None
    # Where `, inputs` goes to make the method a join (after its last argument).
    args_end: Span
    accesses: tuple[RawAccess, ...]
    self_refs: frozenset[str]  # every self.<name> loaded: the helper methods it may call
    merges: tuple[Merge, ...]
    nexts: tuple[NextCall, ...]
    tail_next: bool
    open_reason: str | None
    free_inputs: bool  # reads a name ``inputs`` it does not bind
    guard_names: frozenset[str]  # hasattr(self, "x") / getattr(self, "x", d)
    catch_var: StringArg | None  # @catch(var="x") sets x
    is_start: bool  # @step(start=True)
    is_end: bool  # @step(end=True)
    first_line: int  # the first decorator's
    last_line: int
    input_aliases: Mapping[str, str]  # name bound to one input -> "*" or its step


@dataclass(frozen=True)
class ClassMember:
    name: str
    kind: str  # parameter, config, class-attribute, method, step
    span: Span
    detail: str


@dataclass(frozen=True)
class ClassFacts:
    name: str
    members: Mapping[str, ClassMember]
    functions: Mapping[str, FunctionFacts]
    open_reason: str | None


def _span(columns: Columns, line: int, start: int, end: int) -> Span:
    return Span(line, columns.col(line, start), columns.col(line, end))


def _attr_span(columns: Columns, node: ast.Attribute) -> Span:
    """The attribute name of ``a.name``: at the end of the node."""
    line = node.end_lineno or node.lineno
    end = node.end_col_offset or 0
    return _span(columns, line, end - len(node.attr.encode("utf-8")), end)


def _string_arg(columns: Columns, node: ast.expr | None) -> StringArg | None:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return None
    line = node.lineno
    span = _span(columns, line, node.col_offset, node.end_col_offset or node.col_offset)
    if node.end_lineno != line:
        span = Span(line, span.col, span.col)
    text = columns.text(line)
    quote = text[span.col] if span.col < len(text) and text[span.col] in "'\"" else '"'
    return StringArg(node.value, span, quote)


def _is_name(node: ast.AST | None, name: str | None) -> bool:
    return name is not None and isinstance(node, ast.Name) and node.id == name


_Key = tuple[str, int, str, tuple[tuple[str, str], ...]]


class _Memo:
    """A small LRU of function facts, shared by the language server's threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_Key, FunctionFacts] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _Key) -> FunctionFacts | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: _Key, value: FunctionFacts) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_FUNCTIONS = _Memo(4096)


def function_facts(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    columns: Columns,
    names: Mapping[str, str],
    filename: str,
) -> FunctionFacts:
    """The facts of one method, memoized on its text and first line."""
    first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
    last = node.end_lineno or node.lineno
    text = "\n".join(columns.lines[first - 1 : last])
    key: _Key = (filename, first, text, tuple(sorted(names.items())))
    found = _FUNCTIONS.get(key)
    if found is None:
        found = _FunctionWalker(node, columns, names).facts()
        _FUNCTIONS.put(key, found)
    return found


class _FunctionWalker:
    def __init__(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        columns: Columns,
        names: Mapping[str, str],
    ) -> None:
        self.node = node
        self.columns = columns
        self.names = names
        positional = [*node.args.posonlyargs, *node.args.args]
        static = any(_is_bare(d, "staticmethod") for d in node.decorator_list)
        self.self_name = positional[0].arg if positional and not static else None
        self.inputs_param = positional[1].arg if len(positional) >= 2 else None
        self.num_args = len(positional)
        self.accesses: list[RawAccess] = []
        self.self_refs: set[str] = set()
        self.merges: list[Merge] = []
        self.nexts: list[NextCall] = []
        self.open_reason: str | None = None
        self.guards: set[str] = set()
        self.bound: set[str] = {a.arg for a in positional}
        self.free_inputs = False
        self.aliases = self._input_aliases() if self.inputs_param else {}

    def facts(self) -> FunctionFacts:
        node = self.node
        decorators = _DecoratorFacts(node, self.columns, self.names)
        if self.self_name is not None:
            for stmt in node.body:
                self._stmt(stmt, definite=True, guarded=False)
        elif decorators.is_step:
            self._open("the step takes no self argument")
        tail = node.body[-1]
        tail_next = isinstance(tail, ast.Expr) and self._is_self_call(tail.value, "next")
        name_line = node.lineno
        # `def name(`: the name follows "def " (or "async def ") on the def line.
        text = self.columns.text(name_line)
        name_col = text.find(node.name, self.columns.col(name_line, node.col_offset))
        name_span = Span(name_line, max(name_col, 0), max(name_col, 0) + len(node.name))
        return FunctionFacts(
            name=node.name,
            name_span=name_span,
            is_step=decorators.is_step,
            num_args=self.num_args,
            inputs_param=self.inputs_param,
            args_end=self._args_end(),
            accesses=tuple(self.accesses),
            self_refs=frozenset(self.self_refs),
            merges=tuple(self.merges),
            nexts=tuple(self.nexts),
            tail_next=tail_next,
            open_reason=decorators.open_reason or self.open_reason,
            free_inputs=self.free_inputs and "inputs" not in self.bound,
            guard_names=frozenset(self.guards),
            catch_var=decorators.catch_var,
            is_start=decorators.is_start,
            is_end=decorators.is_end,
            first_line=node.decorator_list[0].lineno if node.decorator_list else node.lineno,
            last_line=node.end_lineno or node.lineno,
            input_aliases=self.aliases,
        )

    def _args_end(self) -> Span:
        positional = [*self.node.args.posonlyargs, *self.node.args.args]
        if positional:
            last = positional[-1]
            line = last.end_lineno or last.lineno
            col = self.columns.col(line, last.end_col_offset or last.col_offset)
            return Span(line, col, col)
        return Span(self.node.lineno, 0, 0)

    def _open(self, reason: str) -> None:
        if self.open_reason is None:
            self.open_reason = reason

    # -- inputs of a join -------------------------------------------------------

    def _input_aliases(self) -> dict[str, str]:
        """Names bound to one input of the join: ``for inp in inputs``, ``x = inputs[0]``,
        ``a = inputs.a``; each maps to its source ("*" or the step)."""
        aliases: dict[str, str] = {}
        for sub in ast.walk(self.node):
            if isinstance(sub, (ast.For, ast.AsyncFor, ast.comprehension)):
                alias = self._iterated_target(sub.iter, sub.target)
                if alias is not None:
                    aliases[alias] = "*"
            elif isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                target, value = sub.targets[0], sub.value
                if not isinstance(target, ast.Name):
                    continue
                if isinstance(value, ast.Subscript) and _is_name(value.value, self.inputs_param):
                    aliases[target.id] = "*"
                elif isinstance(value, ast.Attribute) and _is_name(value.value, self.inputs_param):
                    aliases[target.id] = value.attr
        return aliases

    def _iterated_target(self, iterable: ast.expr, target: ast.expr) -> str | None:
        if _is_name(iterable, self.inputs_param):
            return target.id if isinstance(target, ast.Name) else None
        if not (isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Name)):
            return None
        func, args = iterable.func.id, iterable.args
        if func in _ITERATION_WRAPPERS and args and _is_name(args[0], self.inputs_param):
            return target.id if isinstance(target, ast.Name) else None
        if isinstance(target, ast.Tuple):
            if func == "enumerate" and args and _is_name(args[0], self.inputs_param):
                element = target.elts[1] if len(target.elts) == 2 else None
                return element.id if isinstance(element, ast.Name) else None
            if func == "zip":
                for index, arg in enumerate(args):
                    if _is_name(arg, self.inputs_param) and index < len(target.elts):
                        element = target.elts[index]
                        return element.id if isinstance(element, ast.Name) else None
        return None

    # -- statements -------------------------------------------------------------

    def _stmt(self, stmt: ast.stmt, definite: bool, guarded: bool) -> None:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if stmt.value is not None:
                self._expr(stmt.value, guarded)
            for target in targets:
                if isinstance(stmt, ast.AugAssign):
                    self._expr(target, guarded, load_too=True)
                self._target(target, definite, guarded)
        elif isinstance(stmt, ast.Expr):
            self._expr(stmt.value, guarded)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            self._expr(stmt.iter, guarded)
            self._target(stmt.target, False, guarded)
            for child in (*stmt.body, *stmt.orelse):
                self._stmt(child, False, guarded)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                self._expr(item.context_expr, guarded)
                if item.optional_vars is not None:
                    self._target(item.optional_vars, definite, guarded)
            for child in stmt.body:
                self._stmt(child, definite, guarded)
        elif isinstance(stmt, _TRY_NODES):
            catches = any(self._catches_attribute_error(h) for h in stmt.handlers)
            for child in stmt.body:
                self._stmt(child, definite and not stmt.handlers, guarded or catches)
            for handler in stmt.handlers:
                if handler.type is not None:
                    self._expr(handler.type, guarded)
                if handler.name:
                    self.bound.add(handler.name)
                for child in handler.body:
                    self._stmt(child, False, guarded)
            for child in stmt.orelse:
                self._stmt(child, False, guarded)
            for child in stmt.finalbody:
                self._stmt(child, definite, guarded)
        elif isinstance(stmt, _FUNCTION_DEFS):
            self.bound.add(stmt.name)
            self._function(stmt, guarded)
        elif isinstance(stmt, ast.ClassDef):
            # Its methods' `self` is another object; only what runs now is walked.
            self.bound.add(stmt.name)
            for expr in (*stmt.decorator_list, *stmt.bases):
                self._expr(expr, guarded)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                self.bound.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                if _is_name(target, self.self_name):
                    self._open("self is deleted")
                elif not (
                    isinstance(target, ast.Attribute) and _is_name(target.value, self.self_name)
                ):
                    self._expr(target, guarded)
        else:
            # if/while/match/return/raise/assert/global...: children are conditional.
            for part in ast.iter_child_nodes(stmt):
                if isinstance(part, ast.stmt):
                    self._stmt(part, False, guarded)
                elif isinstance(part, ast.expr):
                    self._expr(part, guarded)
                elif isinstance(part, ast.match_case):
                    self._match_case(part, guarded)

    def _match_case(self, case: ast.match_case, guarded: bool) -> None:
        for sub in ast.walk(case.pattern):
            if isinstance(sub, (ast.MatchAs, ast.MatchStar)) and sub.name:
                self.bound.add(sub.name)
            elif isinstance(sub, ast.expr):
                self._expr(sub, guarded)
        if case.guard is not None:
            self._expr(case.guard, guarded)
        for child in case.body:
            self._stmt(child, False, guarded)

    def _catches_attribute_error(self, handler: ast.ExceptHandler) -> bool:
        if handler.type is None:
            return True
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        return any(canonical_name(k, {}) in _ATTRIBUTE_CATCHERS for k in kinds)

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, guarded: bool
    ) -> None:
        args = node.args
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self._expr(default, guarded)
        if not isinstance(node, ast.Lambda):
            for decorator in node.decorator_list:
                self._expr(decorator, guarded)
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        if any(a.arg == self.self_name for a in every):
            return  # `self` there is another object
        if isinstance(node, ast.Lambda):
            self._expr(node.body, guarded)
        else:
            for child in node.body:
                self._stmt(child, False, guarded)

    def _target(self, target: ast.expr, definite: bool, guarded: bool) -> None:
        if isinstance(target, ast.Attribute) and _is_name(target.value, self.self_name):
            if target.attr == "__dict__":
                self._open("self.__dict__ is replaced")
            self.accesses.append(
                RawAccess(target.attr, "write", _attr_span(self.columns, target), definite=definite)
            )
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(element, definite, guarded)
        elif isinstance(target, ast.Starred):
            self._target(target.value, definite, guarded)
        elif isinstance(target, ast.Name):
            if target.id == self.self_name:
                self._open("self is reassigned")
            self.bound.add(target.id)
        else:
            self._expr(target, guarded)

    # -- expressions ------------------------------------------------------------

    def _is_self_call(self, node: ast.expr, method: str) -> bool:
        return (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
            and _is_name(node.func.value, self.self_name)
        )

    def _expr(self, node: ast.expr, guarded: bool, load_too: bool = False) -> None:
        stack: list[ast.AST] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Attribute):
                self._attribute(current, guarded, stack, load_too)
            elif isinstance(current, ast.Call):
                self._call(current, guarded, stack)
            elif isinstance(current, ast.Name):
                self._name(current)
            elif isinstance(current, ast.Lambda):
                self._function(current, guarded)
            elif isinstance(current, ast.NamedExpr):
                self.bound.add(current.target.id)
                stack.append(current.value)
            elif isinstance(current, ast.comprehension):
                self._target(current.target, False, guarded)
                stack.append(current.iter)
                stack.extend(current.ifs)
            else:
                stack.extend(ast.iter_child_nodes(current))

    def _name(self, node: ast.Name) -> None:
        if node.id == self.self_name:
            if isinstance(node.ctx, ast.Store):
                self._open("self is reassigned")
            else:
                self._open("self is used as a value")
        elif node.id == "inputs" and isinstance(node.ctx, ast.Load):
            self.free_inputs = True
        elif isinstance(node.ctx, ast.Store):
            self.bound.add(node.id)

    def _attribute(
        self, node: ast.Attribute, guarded: bool, stack: list[ast.AST], load_too: bool
    ) -> None:
        value = node.value
        if _is_name(value, self.self_name):
            if node.attr == "__dict__":
                self._open("self.__dict__ is used")
            elif node.attr.startswith("__") and node.attr.endswith("__"):
                pass  # self.__class__ and the like: not artifacts
            elif isinstance(node.ctx, ast.Load) or load_too:
                self.self_refs.add(node.attr)
                self.accesses.append(
                    RawAccess(node.attr, "read", _attr_span(self.columns, node), guarded=guarded)
                )
            elif isinstance(node.ctx, ast.Store):
                self.accesses.append(RawAccess(node.attr, "write", _attr_span(self.columns, node)))
            return
        source = self._input_source(value)
        if source is not None and isinstance(node.ctx, ast.Load):
            self.accesses.append(
                RawAccess(
                    node.attr,
                    "read",
                    _attr_span(self.columns, node),
                    source=source,
                    guarded=guarded,
                )
            )
            if isinstance(value, ast.Subscript):
                stack.append(value.slice)
            return
        stack.append(value)

    def _input_source(self, node: ast.expr) -> str | None:
        """What ``node`` is as one input of the join: ``inputs.a`` -> "a",
        ``inputs[0]`` or an alias -> "*" (or the alias's step); else None."""
        if self.inputs_param is None:
            return None
        if isinstance(node, ast.Attribute) and _is_name(node.value, self.inputs_param):
            return node.attr
        if isinstance(node, ast.Subscript) and _is_name(node.value, self.inputs_param):
            return "*"
        if isinstance(node, ast.Name) and node.id in self.aliases:
            return self.aliases[node.id]
        return None

    def _call(self, node: ast.Call, guarded: bool, stack: list[ast.AST]) -> None:
        func = node.func
        if self._is_self_call(node, "next"):
            self._next(node, stack)
            return
        if self._is_self_call(node, "merge_artifacts"):
            self._merge(node)
        arguments = [*node.args, *(k.value for k in node.keywords)]
        takes_self = any(_is_name(a, self.self_name) for a in arguments)
        if isinstance(func, ast.Name):
            if func.id in _DYNAMIC_CALLS:
                self._open(f"{func.id}() is called")
            elif func.id == "super":
                self._open("super() runs inherited code")
            elif takes_self:
                self._self_argument(func.id, node)
                stack.extend(a for a in arguments if not _is_name(a, self.self_name))
                stack.append(func)
                return
        elif takes_self:
            self._open(f"self is passed to {ast.unparse(func)}()")
        stack.append(func)
        stack.extend(arguments)

    def _self_argument(self, func: str, node: ast.Call) -> None:
        """``f(self, ...)`` for a builtin ``f``: what it does to the flow."""
        args = node.args
        literal = (
            args[1].value
            if len(args) >= 2
            and _is_name(args[0], self.self_name)
            and isinstance(args[1], ast.Constant)
            and isinstance(args[1].value, str)
            else None
        )
        if func in ("hasattr", "getattr") and literal is not None:
            self.guards.add(literal)
        elif func == "setattr" and literal is not None:
            span = _string_arg(self.columns, args[1])
            assert span is not None
            self.accesses.append(RawAccess(literal, "write", span.span))
        elif func not in _HARMLESS_CALLS:
            self._open(f"self is passed to {func}()")

    def _next(self, node: ast.Call, stack: list[ast.AST]) -> None:
        targets: list[tuple[str, Span]] = []
        for arg in node.args:
            values = arg.values if isinstance(arg, ast.Dict) else [arg]
            for value in values:
                if isinstance(value, ast.Attribute) and _is_name(value.value, self.self_name):
                    targets.append((value.attr, _attr_span(self.columns, value)))
                else:
                    stack.append(value)
            if isinstance(arg, ast.Dict):
                stack.extend(k for k in arg.keys if k is not None)
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        for keyword in node.keywords:
            if keyword.arg not in ("foreach", "condition"):
                stack.append(keyword.value)
        self.nexts.append(
            NextCall(
                targets=tuple(targets),
                foreach=_string_arg(self.columns, keywords.get("foreach")),
                condition=_string_arg(self.columns, keywords.get("condition")),
                line=node.lineno,
            )
        )

    def _merge(self, node: ast.Call) -> None:
        keywords = {k.arg: k.value for k in node.keywords if k.arg is not None}
        dynamic = any(k.arg is None for k in node.keywords) or len(node.args) > 1
        include: tuple[StringArg, ...] | None = None
        exclude: frozenset[str] = frozenset()
        if "include" in keywords:
            found = self._strings(keywords["include"])
            dynamic = dynamic or found is None
            include = found if found else None
        if "exclude" in keywords:
            found = self._strings(keywords["exclude"])
            dynamic = dynamic or found is None
            exclude = frozenset(s.value for s in found or ())
        line = node.lineno
        span = _span(self.columns, line, node.col_offset, node.col_offset)
        self.merges.append(Merge(include, exclude, dynamic, span))

    def _strings(self, node: ast.expr) -> tuple[StringArg, ...] | None:
        if isinstance(node, ast.Constant) and node.value is None:
            return ()
        if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return None
        found = [_string_arg(self.columns, e) for e in node.elts]
        if any(f is None for f in found):
            return None
        return tuple(f for f in found if f is not None)


class _DecoratorFacts:
    """What a method's decorators say: a step or not, and whether one may set
    attributes (anything but Metaflow's own quiet decorators)."""

    def __init__(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        columns: Columns,
        names: Mapping[str, str],
    ) -> None:
        self.is_step = False
        self.is_start = False
        self.is_end = False
        self.catch_var: StringArg | None = None
        others: list[str] = []
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call is not None else decorator
            name = canonical_name(target, names)
            keywords = {k.arg: k.value for k in call.keywords if k.arg} if call else {}
            from_metaflow = _from_metaflow(target, names)
            if name == "step" and (from_metaflow or _is_bare(target, "step")):
                self.is_step = True
                self.is_start = _is_true(keywords.get("start"))
                self.is_end = _is_true(keywords.get("end"))
            elif name == "catch" and from_metaflow:
                var = keywords.get("var")
                self.catch_var = _string_arg(columns, var)
                if var is not None and self.catch_var is None:
                    others.append("@catch(var=...) with a computed name")
            elif name in ("property", "staticmethod", "classmethod") and isinstance(
                target, ast.Name
            ):
                continue
            elif not (from_metaflow and name in QUIET_STEP_DECORATORS):
                others.append(f"@{ast.unparse(target)}")
        self.open_reason = (
            f"decorated with {others[0]}, which may set artifacts" if others else None
        )


def _from_metaflow(node: ast.expr, names: Mapping[str, str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    root = node
    while isinstance(root, ast.Attribute):
        root = root.value
    return isinstance(root, ast.Name) and names.get(root.id) == "metaflow"


def _is_bare(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def class_facts(
    node: ast.ClassDef, columns: Columns, names: Mapping[str, str], filename: str
) -> ClassFacts:
    """The names a flow class defines at class level, and its methods' facts."""
    members: dict[str, ClassMember] = {}
    functions: dict[str, FunctionFacts] = {}
    open_reason: str | None = None
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = canonical_name(target, names)
        if not (_from_metaflow(target, names) and name in QUIET_FLOW_DECORATORS):
            open_reason = f"the flow is decorated with @{ast.unparse(target)}"
            break

    def add(name: str, kind: str, target: ast.expr | ast.stmt, detail: str) -> None:
        line = target.lineno
        if isinstance(target, ast.Name):
            span = _span(columns, line, target.col_offset, target.end_col_offset or 0)
        else:
            text = columns.text(line)
            col = text.find(name, columns.col(line, target.col_offset))
            span = Span(line, max(col, 0), max(col, 0) + len(name))
        members.pop(name, None)
        members[name] = ClassMember(name, kind, span, detail)

    for stmt in node.body:
        if isinstance(stmt, _FUNCTION_DEFS):
            facts = function_facts(stmt, columns, names, filename)
            functions.pop(stmt.name, None)
            functions[stmt.name] = facts
            kind = "step" if facts.is_step else "method"
            add(stmt.name, kind, stmt, "step" if facts.is_step else "method")
        elif isinstance(stmt, ast.ClassDef):
            add(stmt.name, "class-attribute", stmt, "class")
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = stmt.value
            declared = None
            if isinstance(value, ast.Call):
                declared = PARAMETER_KINDS.get(canonical_name(value.func, names) or "")
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        if declared is not None:
                            detail = (
                                canonical_name(value.func, names)
                                if isinstance(value, ast.Call)
                                else ""
                            )
                            add(sub.id, declared, sub, detail or declared)
                        else:
                            add(sub.id, "class-attribute", sub, "class attribute")
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                bound = (alias.asname or alias.name).split(".")[0]
                add(bound, "class-attribute", stmt, "imported module or name")
        elif isinstance(stmt, (ast.Expr, ast.Pass)) and not _calls_dynamic(stmt):
            continue  # docstrings, plain expressions
        else:
            # Loops, conditionals, with... at class level may bind anything.
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    add(sub.id, "class-attribute", sub, "class attribute")
            if open_reason is None and _calls_dynamic(stmt):
                open_reason = "the class body builds names dynamically"
        if open_reason is None and not isinstance(stmt, _FUNCTION_DEFS) and _calls_dynamic(stmt):
            open_reason = "the class body builds names dynamically"
    return ClassFacts(node.name, members, functions, open_reason)


def _calls_dynamic(stmt: ast.stmt) -> bool:
    return any(
        isinstance(sub, ast.Call)
        and isinstance(sub.func, ast.Name)
        and sub.func.id in (*_DYNAMIC_CALLS, "setattr")
        for sub in ast.walk(stmt)
    )
