"""``textDocument/inlayHint`` (the ``spinlens.inlayHints`` setting, off by default):
after a line assigning ``self.x = ...`` in a step, the value ``x`` had when that
step's last spin ended (its summary, from the spin's events)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from .analyses import DocumentView
from .describe import one_line, short_type

if TYPE_CHECKING:
    from .server import SpinlensServer

HINT_CHARS = 40


def inlay_hints(
    server: SpinlensServer, view: DocumentView, wanted: types.Range
) -> list[types.InlayHint]:
    if view.path is None:
        return []
    first, last = wanted.start.line + 1, wanted.end.line + 1
    by_line: dict[int, list[str]] = {}
    for flow in view.analysis.flows:
        for step in flow.steps.values():
            spin = server.last_spins.get(view.path, flow.name, step.name)
            if spin is None:
                continue
            for access in step.writes:
                location = access.location
                artifact = spin.artifacts.get(access.name)
                if location.file is not None or artifact is None:
                    continue
                if not first <= location.line <= last or access.function != step.name:
                    continue
                text = one_line(
                    f"{access.name}: {short_type(artifact.type)} {artifact.summary}", HINT_CHARS
                )
                names = by_line.setdefault(location.line, [])
                if text not in names:
                    names.append(text)
    hints = []
    for line, texts in sorted(by_line.items()):
        end = len(view.lines.line(line))
        hints.append(
            types.InlayHint(
                position=types.Position(line=line - 1, character=view.lines.character(line, end)),
                label=" = " + "; ".join(texts),
                padding_left=True,
                tooltip="the value in this step's last spin",
            )
        )
    return hints
