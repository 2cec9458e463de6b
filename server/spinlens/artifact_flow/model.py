"""The results of the artifact-flow analysis: plain, immutable payloads.

Lines are 1-based, as in ``flow_analysis``; columns are 0-based offsets in code
points within the line (an LSP handler converts them to UTF-16 if its client
asks for that). ``file`` is None for the analysed text, else the path of the
module beside it that holds the base flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

SymbolKind = Literal[
    "artifact", "parameter", "config", "class-attribute", "method", "step", "member"
]
AccessKind = Literal["read", "write"]
DiagnosticCode = Literal[
    "undefined-artifact",
    "missing-next",
    "unknown-step",
    "join-without-inputs",
    "undefined-foreach",
    "undefined-condition",
]


@dataclass(frozen=True)
class Location:
    """A name in a file: one line, ``col`` to ``end_col``."""

    file: str | None
    line: int
    col: int
    end_col: int

    def contains(self, line: int, col: int) -> bool:
        """The cursor at ``col`` touches the name (its end included, as editors do)."""
        return line == self.line and self.col <= col <= self.end_col


@dataclass(frozen=True)
class Assignment:
    """Where a name gets its value: ``step`` None for a class-level declaration
    (a Parameter, Config or class attribute)."""

    step: str | None
    location: Location


@dataclass(frozen=True)
class Access:
    """One read or write of an artifact in a step (or a helper method it calls).

    ``source`` says how it is reached: None for ``self.<name>``; a step name for
    ``inputs.<step>.<name>``; ``"*"`` for any input of a join (``inputs[i].<name>``,
    ``for inp in inputs: inp.<name>``). ``function`` is the method the text is in
    (the step itself, or a helper).
    """

    name: str
    kind: AccessKind
    step: str
    function: str
    location: Location
    source: str | None = None


@dataclass(frozen=True)
class StepFlow:
    """What one step sees and does."""

    name: str
    is_join: bool
    parents: tuple[str, ...]
    # Artifacts that may be set on ``self`` when the step starts (a join: those its
    # own merge_artifacts brings), each with the assignments it may come from.
    reaching: Mapping[str, tuple[Assignment, ...]]
    reads: tuple[Access, ...]
    writes: tuple[Access, ...]
    # Why the step may set artifacts nobody can see (setattr, a user decorator...),
    # or None.
    open_reason: str | None
    # Something upstream is open: more artifacts than ``reaching`` may arrive.
    open_upstream: bool


@dataclass(frozen=True)
class Symbol:
    """The name under the cursor, what it is, where it is set and used."""

    name: str
    kind: SymbolKind
    flow: str
    step: str | None  # the step the cursor is in (None: elsewhere in the class)
    location: Location  # the name under the cursor
    source: str | None  # as Access.source, for artifacts read through ``inputs``
    definitions: tuple[Assignment, ...]
    references: tuple[Access, ...]
    detail: str


@dataclass(frozen=True)
class Completion:
    name: str
    kind: SymbolKind
    detail: str
    definitions: tuple[Assignment, ...]


@dataclass(frozen=True)
class TextEdit:
    line: int
    col: int
    end_line: int
    end_col: int
    new_text: str


@dataclass(frozen=True)
class QuickFix:
    title: str
    edits: tuple[TextEdit, ...]


@dataclass(frozen=True)
class Diagnostic:
    """A warning in the analysed text."""

    code: DiagnosticCode
    message: str
    line: int
    col: int
    end_line: int
    end_col: int
    step: str
    fix: QuickFix | None = None
