"""The standard LSP features on a flow's artifacts: hover, completion, definition,
references, diagnostics with quick fixes, and inlay hints (docs/protocol.md,
"Language server"). ``register`` adds their handlers to the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from . import completion as completion_feature
from . import hover as hover_feature
from . import inlay, navigation
from .analyses import DocumentView, document_path
from .diagnostics import code_actions

if TYPE_CHECKING:
    from .server import SpinlensServer


def view_of(server: SpinlensServer, uri: str, current: bool = True) -> DocumentView | None:
    """The document's analysis; with ``current`` only one of its current text
    (positions in an earlier one may have moved: only completion, which needs
    the method around the cursor, takes one)."""
    document = server.workspace.text_documents.get(uri)
    if document is None:
        return None
    view = server.analyses.view(document, document_path(uri))
    return view if view is not None and (view.current or not current) else None


def inlay_hints_enabled(server: SpinlensServer, path: str) -> bool:
    """The ``spinlens.inlayHints`` setting of the file's folder (off by default)."""
    return server.settings.for_file(path).inlay_hints


def register(server: SpinlensServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: SpinlensServer, params: types.HoverParams) -> types.Hover | None:
        view = view_of(ls, params.text_document.uri)
        return await hover_feature.hover(ls, view, params.position) if view else None

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=completion_feature.TRIGGERS),
    )
    def completion(
        ls: SpinlensServer, params: types.CompletionParams
    ) -> types.CompletionList | None:
        view = view_of(ls, params.text_document.uri, current=False)
        return completion_feature.completion(ls, view, params.position) if view else None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(
        ls: SpinlensServer, params: types.DefinitionParams
    ) -> list[types.Location] | None:
        view = view_of(ls, params.text_document.uri)
        return navigation.definition(view, params.position) if view else None

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(
        ls: SpinlensServer, params: types.ReferenceParams
    ) -> list[types.Location] | None:
        view = view_of(ls, params.text_document.uri)
        if view is None:
            return None
        return navigation.references(view, params.position, params.context.include_declaration)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: SpinlensServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        view = view_of(ls, params.text_document.uri)
        return code_actions(view, params) if view is not None else []

    @server.feature(types.TEXT_DOCUMENT_INLAY_HINT, types.InlayHintOptions(resolve_provider=False))
    def inlay_hint(ls: SpinlensServer, params: types.InlayHintParams) -> list[types.InlayHint]:
        view = view_of(ls, params.text_document.uri)
        if view is None or view.path is None or not inlay_hints_enabled(ls, view.path):
            return []
        return inlay.inlay_hints(ls, view, params.range)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SpinlensServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.diagnostics.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SpinlensServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.diagnostics.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SpinlensServer, params: types.DidSaveTextDocumentParams) -> None:
        # A base flow's module may have been saved: documents deriving from it change too.
        for uri in list(ls.workspace.text_documents):
            ls.diagnostics.schedule(uri)


def forget_document(server: SpinlensServer, uri: str) -> None:
    """The document closed: its analyses, values and diagnostics go."""
    server.analyses.forget(uri)
    server.diagnostics.clear(uri)
    path = document_path(uri)
    if path is not None:
        server.last_spins.forget(path)
        server.source_values.forget(path)


def after_spin(server: SpinlensServer, flow_file: str) -> None:
    """A spin of the file ended: previews may be stale (a new latest run), failure
    lines and inlay hints changed."""
    server.source_values.forget(flow_file)
    server.diagnostics.refresh_file(flow_file)
    workspace = server.client_capabilities.workspace
    if workspace and workspace.inlay_hint and workspace.inlay_hint.refresh_support:
        server.workspace_inlay_hint_refresh(None)
