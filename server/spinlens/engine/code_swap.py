"""Which functions an edit changed, found by comparing compiled code: the
speculative spare's test of whether the flow it built ahead still fits.

A spare that has executed the last text and let Metaflow's CLI build the flow
can serve the next text only if running that text would have built the same
flow: the module's and every class body's code must be the same but for line
numbers (no Parameter, decorator, default value or top-level statement
changed), and each function whose code differs keeps its signature. Those
functions then get the new code object in place (``function.__code__``), so
every reference to them (the flow class, Metaflow's step bindings) runs it.
A step whose last statement (the ``self.next`` call Metaflow's graph reads its
transitions from) or docstring changed would change the graph, so it never
qualifies.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass
from types import CodeType, FunctionType, ModuleType
from typing import Any

_FUNCTION_FLAGS = inspect.CO_OPTIMIZED | inspect.CO_NEWLOCALS


class NotSwappable(Exception):
    """The edit changes more than function bodies; the reason is the message."""


@dataclass(frozen=True)
class Swap:
    old: CodeType
    new: CodeType
    moved: bool  # the same code at other lines (an edit above it)


def function_swaps(old: CodeType, new: CodeType) -> list[Swap]:
    """The function code objects to replace so that ``old``'s module runs as
    ``new``'s would; ``NotSwappable`` if any other code differs."""
    swaps: list[Swap] = []
    _compare_body(old, new, swaps)
    return swaps


def _compare_body(old: CodeType, new: CodeType, swaps: list[Swap]) -> None:
    """A module or class body: equal but for line numbers, its functions aside."""
    if _shape(old) != _shape(new) or len(old.co_consts) != len(new.co_consts):
        raise NotSwappable(f"{_where(old)} changed outside its functions")
    for before, after in zip(old.co_consts, new.co_consts, strict=True):
        if isinstance(before, CodeType) and isinstance(after, CodeType):
            if before.co_flags & _FUNCTION_FLAGS == _FUNCTION_FLAGS:
                _compare_function(before, after, swaps)
            else:
                _compare_body(before, after, swaps)  # a class body
        elif type(before) is not type(after) or before != after:
            raise NotSwappable(f"a value in {_where(old)} changed")


def _compare_function(old: CodeType, new: CodeType, swaps: list[Swap]) -> None:
    if old == new:
        return  # the same code at the same lines
    if _signature(old) != _signature(new):
        raise NotSwappable(f"the signature of {old.co_name} changed")
    swaps.append(Swap(old, new, moved=_without_lines(old) == _without_lines(new)))


def _without_lines(code: CodeType) -> tuple[Any, ...]:
    consts = tuple(_without_lines(c) if isinstance(c, CodeType) else c for c in code.co_consts)
    return (_shape(code), consts)


def _shape(code: CodeType) -> tuple[Any, ...]:
    """Everything about a body's code except where its lines are."""
    return (
        code.co_code,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags,
        code.co_name,
        getattr(code, "co_exceptiontable", None),
    )


def _signature(code: CodeType) -> tuple[Any, ...]:
    """What the enclosing body and callers rely on: name, arguments, kind, closure."""
    arguments = code.co_argcount + code.co_kwonlyargcount
    arguments += bool(code.co_flags & inspect.CO_VARARGS)
    arguments += bool(code.co_flags & inspect.CO_VARKEYWORDS)
    return (
        code.co_name,
        getattr(code, "co_qualname", code.co_name),
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
        code.co_varnames[:arguments],
        code.co_freevars,
        code.co_flags,
    )


def _where(code: CodeType) -> str:
    return "the module" if code.co_name == "<module>" else f"class {code.co_name}"


def functions_by_code(module: ModuleType) -> dict[int, list[FunctionType]]:
    """The module's functions and its classes' methods, by ``id`` of their code."""
    found: dict[int, list[FunctionType]] = {}
    seen: set[int] = set()

    def add(value: Any) -> None:
        for candidate in (
            value,
            getattr(value, "__func__", None),  # staticmethod, classmethod
            getattr(value, "fget", None),
            getattr(value, "fset", None),
            getattr(value, "fdel", None),
        ):
            if isinstance(candidate, FunctionType) and id(candidate) not in seen:
                seen.add(id(candidate))
                found.setdefault(id(candidate.__code__), []).append(candidate)

    def walk(cls: type) -> None:
        if id(cls) in seen:
            return
        seen.add(id(cls))
        for value in vars(cls).values():
            if isinstance(value, type):
                walk(value)
            else:
                add(value)

    for value in list(vars(module).values()):
        flow_cls = getattr(value, "_flow_cls", None)  # a bare @FlowMutator holds the class
        if isinstance(value, type):
            walk(value)
        elif isinstance(flow_cls, type):
            walk(flow_cls)
        else:
            add(value)
    return found


def graph_of_step(function: FunctionType, text: str, code: CodeType) -> tuple[Any, ...]:
    """What Metaflow's graph reads from a step's source: its last statement (the
    ``self.next`` call that gives the transitions) and its docstring."""
    lines = text.splitlines(True)
    first = code.co_firstlineno - 1
    end = max(line for _, _, line in code.co_lines() if line is not None)
    indent = len(lines[first]) - len(lines[first].lstrip())
    # A statement's closing lines (a lone ")") carry no code: the block runs on
    # to the next line indented no deeper than the def.
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
    ):
        end += 1
    block = "".join(lines[first:end])
    try:
        tree = ast.parse(textwrap.dedent(block))
    except SyntaxError:
        raise NotSwappable(f"the source of step {function.__name__} could not be read") from None
    definition = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    if definition is None or definition.name != function.__name__:
        raise NotSwappable(f"the source of step {function.__name__} could not be read")
    final = definition.body[-1]
    call = final.value if isinstance(final, ast.Expr) else None
    transition = (
        ast.dump(final)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "next"
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "self"
        else None  # the graph finds no transition here, whatever the statement
    )
    return (transition, ast.get_docstring(definition))


def apply_swaps(
    module: ModuleType, swaps: list[Swap], old_text: str, new_text: str
) -> list[FunctionType]:
    """Give each changed function its new code; the functions changed.

    Every function must be found (a function wrapped by a decorator of the
    user's is not, so the edit is not swappable), and a step's graph must stay
    the same. Nothing is changed unless all of them can be.
    """
    by_code = functions_by_code(module)
    planned: list[tuple[FunctionType, CodeType]] = []
    for swap in swaps:
        functions = by_code.get(id(swap.old))
        if not functions:
            raise NotSwappable(f"{swap.old.co_name} is not a plain function of the flow file")
        for function in functions:
            if len(function.__code__.co_freevars) != len(swap.new.co_freevars):
                raise NotSwappable(f"the closure of {function.__name__} changed")
            if (
                not swap.moved
                and getattr(function, "is_step", False)
                and graph_of_step(function, old_text, swap.old)
                != graph_of_step(function, new_text, swap.new)
            ):
                raise NotSwappable(f"step {function.__name__} changed its self.next or docstring")
            planned.append((function, swap.new))
    for function, code in planned:
        function.__code__ = code
    return [function for function, _ in planned]
