"""Step sources for Metaflow's graph, read once per text of a function.

Metaflow builds a flow's graph when the class is made and again after its
mutators ran; each build reads every step's source with ``inspect`` (a Python
tokenizer over the function, ~1 ms a step) and parses it with ``ast``. A spin
child runs a new text of the flow, usually with one step edited, so most steps
are the same text as in the spin before.

The kernel never runs the flow, but it sees every text it is asked to spin:
``prime`` (in the kernel, after a spin, before the spare is forked) reads each
decorated function's block and parses it, exactly as ``inspect`` and Metaflow
would. A child inherits those caches and, for a function whose lines (and the
lines that end its block) are the same in its text, reuses them; any other
function is read the usual way.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import types
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

# (file, first line) -> blocks seen there: (lines of the block, lines after it
# that the tokenizer reads to end it). The lines start at the first line.
_blocks: dict[tuple[str, int], list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
# Deindented source of a step -> its parsed tree (Metaflow only reads it).
_trees: dict[str, ast.AST] = {}
_primed: list[tuple[str, int]] = []  # (file, hash of text) primed lately, oldest first
_PRIMED_KEPT = 8
_BLOCKS_PER_LINE = 4  # texts of a function kept at one first line (the latest ones)
_MAX_ENTRIES = 4096  # past this (a file edited for a long time), start afresh


def _tail(lines: Sequence[str], end: int) -> tuple[str, ...]:
    """Lines from ``end`` through the first one with code: the tokenizer ends a
    block on that line's indentation; comments and blank lines before it may
    still belong to the block."""
    tail = []
    for line in lines[end:]:
        tail.append(line)
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            break
    return tuple(tail)


def _first_lines(tree: ast.AST) -> list[int]:
    """First line (as ``co_firstlineno`` has it) of every decorated function."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.decorator_list:
            found.append(min([node.lineno, *(d.lineno for d in node.decorator_list)]))
    return found


def prime(path: str, text: str) -> None:
    """Read and parse the decorated functions of this text of ``path`` ahead."""
    key = (path, hash(text))
    if key in _primed:
        return
    try:
        tree = ast.parse(text, path)
    except (SyntaxError, ValueError):
        return
    from metaflow.graph import deindent_docstring

    lines = text.splitlines(True)
    for first in _first_lines(tree):
        block = inspect.getblock(lines[first - 1 :])
        entry = (tuple(block), _tail(lines, first - 1 + len(block)))
        seen = _blocks.setdefault((path, first), [])
        if entry not in seen:
            seen.append(entry)
            del seen[:-_BLOCKS_PER_LINE]
        source = deindent_docstring("".join(block))
        if source not in _trees:
            try:
                _trees[source] = ast.parse(source)
            except SyntaxError:
                pass
    _primed.append(key)
    del _primed[:-_PRIMED_KEPT]
    if len(_blocks) > _MAX_ENTRIES or len(_trees) > _MAX_ENTRIES:
        _blocks.clear()
        _trees.clear()
        _primed.clear()


def _primed_lines(func: Any) -> tuple[list[str], int] | None:
    """The block primed for func's text, if its lines are that text's."""
    if not isinstance(func, types.FunctionType) or hasattr(func, "__wrapped__"):
        return None
    code = func.__code__
    seen = _blocks.get((code.co_filename, code.co_firstlineno))
    if not seen:
        return None
    lines = linecache.getlines(code.co_filename)
    start = code.co_firstlineno - 1
    for block, tail in seen:
        end = start + len(block)
        if tuple(lines[start:end]) == block and _tail(lines, end) == tail:
            return list(block), code.co_firstlineno
    return None


# In a child: a function (by its code, which a speculative spare swaps when
# the function's text changes) -> its lines.
_remembered: dict[Any, tuple[list[str], int]] = {}


def getsourcelines(func: Any) -> tuple[list[str], int]:
    """``inspect.getsourcelines``, read once per function text, from the primed
    blocks when its text is one of theirs."""
    key = (func, getattr(func, "__code__", None))
    if key not in _remembered:
        _remembered[key] = _primed_lines(func) or inspect.getsourcelines(func)
    return _remembered[key]


def install() -> None:
    """Point Metaflow's graph at the caches (in the kernel, before any child):
    a child then reads each step function's source once at most, and not at all
    for a function primed with the same text."""
    from metaflow import graph

    def parse(source: str, *args: Any, **kwargs: Any) -> ast.AST:
        if args or kwargs:
            return ast.parse(source, *args, **kwargs)
        if source not in _trees:  # kept for the graph's second build in this child
            _trees[source] = ast.parse(source)
        return _trees[source]

    graph.inspect = SimpleNamespace(  # type: ignore[assignment]
        **{**vars(inspect), "getsourcelines": getsourcelines}
    )
    graph.ast = SimpleNamespace(**{**vars(ast), "parse": parse})  # type: ignore[assignment]
