"""CodeLenses over the ``@step`` methods of a document's flows.

Computed from the buffer's text (``step_index``: static analysis, kept up to
date cheaply while the user types), so they follow unsaved edits.
"""

from __future__ import annotations

from lsprotocol import types

from .outcomes import OutcomeLookup
from .step_index import StepIndex

SPIN_TITLE = "▶ Spin this step"
DEBUG_TITLE = "Debug this step"
SPIN_COMMAND = "spinlens.spinStep"
DEBUG_COMMAND = "spinlens.debugStep"
RESULTS_COMMAND = "spinlens.showResults"


def is_python(uri: str, language_id: str | None) -> bool:
    if language_id:
        return language_id == "python"
    return uri.split("?", 1)[0].endswith((".py", ".pyw"))


def code_lenses(
    uri: str, index: StepIndex, outcome: OutcomeLookup, now: float
) -> list[types.CodeLens]:
    """Spin, Debug and (after a spin) status lenses on each step's first decorator line.

    Arguments are ``[uri, step, flow]``: protocol.md's ``[uri, step]`` plus the
    flow class, which tells two flows of one file apart.
    """
    if index.steps is None:
        return []
    lenses: list[types.CodeLens] = []
    for step in index.steps:  # one per method of this file (see step_index.full_index)
        line = step.line - 1
        where = types.Range(types.Position(line, 0), types.Position(line, 0))
        arguments = [uri, step.name, step.flow]
        lenses.append(_lens(where, SPIN_TITLE, SPIN_COMMAND, arguments))
        lenses.append(_lens(where, DEBUG_TITLE, DEBUG_COMMAND, arguments))
        last = outcome(step.flow, step.name)
        if last is not None:
            lenses.append(_lens(where, last.title(now), RESULTS_COMMAND, arguments))
    return lenses


def _lens(where: types.Range, title: str, command: str, arguments: list[str]) -> types.CodeLens:
    return types.CodeLens(
        range=where,
        command=types.Command(title=title, command=command, arguments=list(arguments)),
    )
