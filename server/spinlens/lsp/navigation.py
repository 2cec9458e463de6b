"""``textDocument/definition`` and ``textDocument/references`` on the flow's names.

Definition of ``self.x`` lands on the assignments whose value may reach the
cursor (upstream steps, or earlier in the same step), or on the Parameter or
Config declaration; references list every read and write of it in the flow's
steps (and the helpers they call).
"""

from __future__ import annotations

from lsprotocol import types

from ..artifact_flow import Symbol
from .analyses import DocumentView
from .positions import lsp_location


def _symbol(view: DocumentView, position: types.Position) -> Symbol | None:
    line = position.line + 1
    return view.analysis.symbol_at(line, view.lines.column(line, position.character))


def definition(view: DocumentView, position: types.Position) -> list[types.Location] | None:
    symbol = _symbol(view, position)
    if symbol is None or not symbol.definitions:
        return None
    return [lsp_location(view.lines, a.location) for a in symbol.definitions]


def references(
    view: DocumentView, position: types.Position, include_declaration: bool
) -> list[types.Location] | None:
    symbol = _symbol(view, position)
    if symbol is None:
        return None
    locations = [a.location for a in symbol.references]
    if include_declaration:
        declared = [a.location for a in symbol.definitions if a.step is None]
        locations = declared + [loc for loc in locations if loc not in declared]
    return [lsp_location(view.lines, loc) for loc in locations] or None
