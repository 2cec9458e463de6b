"""Where each document's steps are, kept up to date cheaply while the user types.

A fresh ``flow_analysis.analyze_source`` parses the whole file: on a 3,000-line
file that costs tens of milliseconds, on every keystroke's CodeLens request.
Most edits stay inside one step's body, and then the steps' names and their
order cannot change: only the lines after the edit move. So when the lines that
changed (against the last analysed text) lie inside one step's body, the step
alone is re-parsed (wrapped in a class, at its own indentation) and, if it is
still exactly one method with that name, the index is shifted instead of
re-analysed. Anything else (an edit between steps, on a decorator or ``def``
line, across two steps, or a step that no longer parses on its own) takes the
full analysis. The old text parsed and the new one differs from it only by a
method replaced with another complete method, so the new text parses too.

While the user types, many intermediate texts do not parse (``self.`` before
the attribute); those take the full analysis, which is what says there are no
lenses. The next text that parses again is compared with the last text that
parsed (``base``), so typing inside a step keeps the cheap path.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from ..flow_analysis import analyze_source

_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class IndexedStep:
    flow: str
    name: str
    line: int  # 1-based first decorator line (the lens line)
    def_line: int
    end_line: int

    def shifted(self, delta: int) -> IndexedStep:
        return replace(
            self,
            line=self.line + delta,
            def_line=self.def_line + delta,
            end_line=self.end_line + delta,
        )


@dataclass(frozen=True)
class StepIndex:
    text: str
    lines: tuple[str, ...]  # text.split("\n"): numbered as the parser numbers lines
    steps: tuple[IndexedStep, ...] | None  # None: syntax error (no lenses)
    base: StepIndex | None = None  # the last index with steps (itself if it has them)
    error: str | None = None  # why ``steps`` is None

    @property
    def last_good(self) -> StepIndex | None:
        return self if self.steps is not None else self.base


def _lines(text: str) -> tuple[str, ...]:
    # Not splitlines(): it also splits at \f, \v, \x1c, \u2028..., which Python's
    # tokenizer does not count as line ends.
    return tuple(text.split("\n"))


def full_index(text: str, filename: str) -> StepIndex:
    """The steps written in ``text``, each once (in line order).

    Steps a flow inherits from a module beside the file are left out: their
    lines are that module's. A method inherited by another flow of the file is
    listed for the flow ``python file.py`` runs (the one with runs to spin) if
    that flow has it, else for the first flow having it.
    """
    analysis = analyze_source(text, filename)
    if analysis.error is not None:
        return StepIndex(text, _lines(text), None, error=f"syntax error at {analysis.error}")
    default = analysis.flow().name if analysis.flows else None
    flows = sorted(analysis.flows, key=lambda flow: flow.name != default)  # stable
    steps: dict[tuple[int, str], IndexedStep] = {}
    for flow in flows:
        for step in flow.steps:
            if step.defined_in is None:
                steps.setdefault(
                    (step.line, step.name),
                    IndexedStep(flow.name, step.name, step.line, step.def_line, step.end_line),
                )
    return StepIndex(text, _lines(text), tuple(sorted(steps.values(), key=lambda s: s.line)))


def update_index(previous: StepIndex | None, text: str, filename: str) -> StepIndex:
    """The index of ``text``, from ``previous`` (the same document's) when it can be."""
    if previous is not None and previous.text == text:
        return previous
    base = previous.last_good if previous is not None else None
    if base is not None and base.steps and _plain_newlines(text):
        shifted = _shift(base, text)
        if shifted is not None:
            return shifted
    index = full_index(text, filename)
    if index.steps is None and base is not None:
        return replace(index, base=base)
    return index


def _plain_newlines(text: str) -> bool:
    """No lone carriage returns (the parser counts them as line ends, split does not)."""
    return text.count("\r") == text.count("\r\n")


def _shift(previous: StepIndex, text: str) -> StepIndex | None:
    assert previous.steps is not None
    old, new = previous.lines, _lines(text)
    limit = min(len(old), len(new))
    prefix = 0
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    # 0-based, end-exclusive: old[prefix:old_end] became new[prefix:len(new) - suffix].
    old_end = len(old) - suffix
    delta = len(new) - len(old)
    edited = next(
        (
            step
            for step in previous.steps
            # Decorators and def line (index def_line - 1) untouched; the change
            # within the body, or lines added right after its last line.
            if prefix >= step.def_line and old_end <= step.end_line
        ),
        None,
    )
    if edited is None:
        return None
    snippet = "\n".join(new[edited.line - 1 : edited.end_line + delta]) + "\n"
    method_end = _one_method(snippet, edited.name)
    if method_end is None:
        return None
    end_line = edited.line + method_end - 2  # snippet line 2 is the file's edited.line
    steps = []
    for step in previous.steps:
        if step.line > edited.end_line:
            steps.append(step.shifted(delta))
        elif step.line == edited.line and step.name == edited.name:
            steps.append(replace(step, end_line=end_line))
        else:
            steps.append(step)
    return StepIndex(text, new, tuple(steps))


def _one_method(snippet: str, name: str) -> int | None:
    """If ``snippet`` (a method at its class's indentation) is exactly one complete
    method called ``name``, its last line within ``"class _:\n" + snippet``."""
    try:
        tree = ast.parse("class _:\n" + snippet)
    except (SyntaxError, ValueError, RecursionError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.ClassDef):
        return None
    body = tree.body[0].body
    if len(body) != 1 or not isinstance(body[0], _FUNCTION_DEFS) or body[0].name != name:
        return None
    return body[0].end_lineno


class StepIndexes:
    """Each open document's index, by URI, kept from one text to the next."""

    def __init__(self) -> None:
        self._by_uri: dict[str, StepIndex] = {}

    def index(self, uri: str, text: str, filename: str) -> StepIndex:
        """The index of ``text``, the document's current text (updated from its last)."""
        index = update_index(self._by_uri.get(uri), text, filename)
        self._by_uri[uri] = index
        return index

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)
