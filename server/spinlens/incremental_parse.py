"""Re-parse one function of a file whose other lines did not change.

Hover, completion and diagnostics analyse the whole buffer after every edit, and
``ast.parse`` of a 3,000-line flow costs ~85 ms of that. Most keystrokes change
lines inside one method's body and keep the number of lines: then every other
statement of the file, and every line number in it, is what the last tree says.
The method alone is parsed again, at its own lines (blank lines before it keep
the numbering, a class line keeps the indentation), and put in place of the old
one in shallow copies of its class and the module; the old tree is not touched.

The new text differs from one that parsed by a complete method in place of
another, at the same indentation, so it parses too, to the same tree. Any other
edit (a different line count, a ``def`` or decorator line, lines outside a
method body, a method that no longer parses alone or parses as something else)
gets None, and the caller parses the whole file.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
Function = ast.FunctionDef | ast.AsyncFunctionDef
Parse = Callable[[str, str], ast.Module]


def reparse_function(
    old_source: str, old_tree: ast.Module, source: str, filename: str, parse: Parse
) -> ast.Module | None:
    """``source``'s tree from ``old_tree`` with one function parsed again, or None."""
    old_lines = old_source.split("\n")
    lines = source.split("\n")
    if len(old_lines) != len(lines) or old_source == source:
        return None
    changed = [
        n for n, (old, new) in enumerate(zip(old_lines, lines, strict=True), start=1) if old != new
    ]
    first, last = changed[0], changed[-1]
    for owner, function in _functions(old_tree):
        body_start = function.body[0].lineno
        end = function.end_lineno
        if end is None or not (function.lineno < body_start <= first and last <= end):
            continue
        start = function.decorator_list[0].lineno if function.decorator_list else function.lineno
        chunk = "\n".join(lines[start - 1 : end])
        replaced = _parse_alone(chunk, start, owner is not None, function.name, filename, parse)
        if replaced is None:
            return None
        return _splice(old_tree, owner, function, replaced)
    return None


def _functions(tree: ast.Module) -> list[tuple[ast.ClassDef | None, Function]]:
    """Top-level functions and the methods of top-level classes, with their class."""
    found: list[tuple[ast.ClassDef | None, Function]] = []
    for node in tree.body:
        if isinstance(node, _FUNCTIONS):
            found.append((None, node))
        elif isinstance(node, ast.ClassDef):
            found.extend((node, item) for item in node.body if isinstance(item, _FUNCTIONS))
    return found


def _parse_alone(
    chunk: str, start: int, method: bool, name: str, filename: str, parse: Parse
) -> Function | None:
    if method:  # a class line right above keeps the method's indentation valid
        padded = "\n" * (start - 2) + "class _Spliced:\n" + chunk
    else:
        padded = "\n" * (start - 1) + chunk
    try:
        tree = parse(padded, filename)
    except (SyntaxError, ValueError):
        return None
    body = tree.body
    if method:
        if len(body) != 1 or not isinstance(body[0], ast.ClassDef):
            return None
        body = body[0].body
    found = body[0] if len(body) == 1 else None
    if not isinstance(found, _FUNCTIONS) or found.name != name:
        return None
    return found


def _splice(
    tree: ast.Module, owner: ast.ClassDef | None, old: ast.stmt, new: ast.stmt
) -> ast.Module:
    module = copy.copy(tree)
    if owner is None:
        module.body = [new if node is old else node for node in tree.body]
        return module
    cls = copy.copy(owner)
    cls.body = [new if node is old else node for node in owner.body]
    cls.end_lineno = cls.body[-1].end_lineno
    cls.end_col_offset = cls.body[-1].end_col_offset
    module.body = [cls if node is owner else node for node in tree.body]
    return module
