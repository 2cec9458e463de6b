"""``textDocument/hover`` on ``self.x``, ``inputs.<step>.x`` and the flow's names.

An artifact's hover says what the analysis knows (where it was assigned
upstream, as links) and what the server has of its value: the source run's
(a bounded preview from the file's running kernel, waited for at most
``values.WAIT_S``) and the step's last spin (from its events, with its status).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..artifact_flow import Symbol
from .analyses import DocumentView
from .describe import assignment_links, last_spin_section, source_section
from .values import ValueKey

if TYPE_CHECKING:
    from .server import SpinlensServer

_VALUED = ("artifact", "parameter", "config")  # what a task of the run holds


def value_key(symbol: Symbol, run: str | None) -> ValueKey | None:
    """Which source-run value the symbol shows: of the task of the step it is
    read in (``inputs.<p>.x``: of parent ``p``'s task); None outside a step."""
    if symbol.kind not in _VALUED or symbol.step is None:
        return None
    return (symbol.flow, symbol.step, symbol.name, run, symbol.source)


async def hover(
    server: SpinlensServer, view: DocumentView, position: types.Position
) -> types.Hover | None:
    line = position.line + 1
    symbol = view.analysis.symbol_at(line, view.lines.column(line, position.character))
    if symbol is None:
        return None
    parts = [_title(symbol)]
    if view.path is not None:
        parts.extend(await _values(server, view.path, symbol))
    verb = "Declared in" if symbol.kind in ("parameter", "config", "class-attribute") else None
    if symbol.kind in ("step", "method"):
        verb = "Defined in"
    links = assignment_links(view.lines, symbol.definitions, verb or "Assigned in")
    if links:
        parts.append(links)
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n".join(parts)),
        range=view.lines.location_range(symbol.location),
    )


def _title(symbol: Symbol) -> str:
    where = f"{symbol.flow}.{symbol.step}" if symbol.step else symbol.flow
    via = ""
    if symbol.source == "*":
        via = " (from the join's inputs)"
    elif symbol.source is not None:
        via = f" (from input `{symbol.source}`)"
    return f"**{symbol.name}**: {symbol.kind} in `{where}`{via} · {symbol.detail}"


async def _values(server: SpinlensServer, path: str, symbol: Symbol) -> list[str]:
    run = server.source_runs.for_spin(path, None, server.settings.for_file(path).default_source_run)
    key = value_key(symbol, run)
    if key is None:
        return []
    found = []
    value = await server.source_values.get(server.kernels.get(path), key)
    if value is not None:
        found.append(source_section(value))
    # inputs.<p>.x is what p's last spin made; self.x what this step's did.
    step = symbol.source if symbol.source not in (None, "*") else symbol.step
    assert step is not None
    spin = server.last_spins.get(path, symbol.flow, step)
    outcome = server.outcomes.lookup(path)(symbol.flow, step)
    last = last_spin_section(symbol.name, spin, outcome)
    if last is not None:
        found.append(last)
    return found
