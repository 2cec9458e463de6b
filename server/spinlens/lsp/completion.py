"""``textDocument/completion`` after ``self.``, ``inputs.``, ``inputs.<step>.`` and
``inputs[i].``: the artifacts reaching the step, Parameters, Configs, class
attributes, methods, steps and Metaflow's members.

Never asks the kernel (a completion list must come at once): a value shown in
an item's detail is one the server holds already, from the step's last spin or
an earlier hover's preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from ..artifact_flow import Completion, SymbolKind
from .analyses import DocumentView
from .describe import facts, fenced, one_line, short_type

if TYPE_CHECKING:
    from .server import SpinlensServer

TRIGGERS = ["."]

_KINDS: dict[SymbolKind, types.CompletionItemKind] = {
    "artifact": types.CompletionItemKind.Field,
    "parameter": types.CompletionItemKind.Property,
    "config": types.CompletionItemKind.Constant,
    "class-attribute": types.CompletionItemKind.Variable,
    "method": types.CompletionItemKind.Method,
    "step": types.CompletionItemKind.Function,
    "member": types.CompletionItemKind.Method,
}


def completion(
    server: SpinlensServer, view: DocumentView, position: types.Position
) -> types.CompletionList | None:
    line = position.line + 1
    text = view.lines.line(line)
    before = text[: view.lines.column(line, position.character)]
    asked = view.query_line(line)
    found = view.analysis.completions_at(asked, before)
    if not found:
        return None
    known = _known_values(server, view, asked)
    items = [_item(c, index, known.get(c.name)) for index, c in enumerate(found)]
    return types.CompletionList(is_incomplete=False, items=items)


# name -> (type, size, preview text)
Known = dict[str, tuple[str | None, int | None, str | None]]


def _known_values(server: SpinlensServer, view: DocumentView, line: int) -> Known:
    """The values the server holds for the step at ``line``: its last spin's
    artifacts, else previews of the source run already asked for."""
    if view.path is None:
        return {}
    found = view.analysis.step_at(line)
    step = found[1] if found is not None else None
    if found is None or step is None:
        return {}
    flow = found[0]
    known: Known = {}
    run = server.source_runs.for_spin(
        view.path, None, server.settings.for_file(view.path).default_source_run
    )
    for (key_flow, key_step, name, key_run, parent), value in server.source_values.items(view.path):
        if (key_flow, key_step, key_run, parent) == (flow, step, run, None) and not value.error:
            known[name] = (value.type, value.size, value.text)
    spin = server.last_spins.get(view.path, flow, step)
    if spin is not None:
        for name, artifact in spin.artifacts.items():
            known[name] = (artifact.type, artifact.size, artifact.summary)
    return known


def _item(
    found: Completion, index: int, value: tuple[str | None, int | None, str | None] | None
) -> types.CompletionItem:
    detail = found.detail
    documentation = found.detail
    if value is not None:
        type_name, size, text = value
        detail = f"{short_type(type_name)} = {one_line(text)}" if text else short_type(type_name)
        documentation = f"{facts(type_name, size)} · {found.detail}"
        if text:
            documentation += "\n\n" + fenced(text)
    return types.CompletionItem(
        label=found.name,
        kind=_KINDS[found.kind],
        detail=detail,
        documentation=types.MarkupContent(kind=types.MarkupKind.Markdown, value=documentation),
        sort_text=f"{index:05d}",  # the analysis's order: artifacts first
    )
