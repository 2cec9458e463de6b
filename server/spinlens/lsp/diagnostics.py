"""``textDocument/publishDiagnostics`` (source ``spinlens``) and their quick fixes.

Warnings come from the artifact analysis of the buffer (undefined artifacts,
missing or unknown ``self.next`` targets, joins without ``inputs``, foreach or
condition names never assigned), published ``DEBOUNCE_S`` after the last edit;
a buffer that does not parse keeps its previous warnings. The last spin's
failure of each step is an error at its line (a raise in a helper module: the
step's line that led there), the user's frames of its traceback as related
information, through the same source.
Closing the document clears them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from ..artifact_flow import Diagnostic, analyze_artifacts
from ..wire.events import Failed, Frame
from .analyses import DocumentView, document_path
from .outcomes import shorten
from .positions import DocumentLines, other_file

if TYPE_CHECKING:
    from .server import SpinlensServer

SOURCE = "spinlens"
SPIN_FAILED = "spin-failed"
DEBOUNCE_S = 0.3


def lsp_diagnostic(lines: DocumentLines, found: Diagnostic) -> types.Diagnostic:
    return types.Diagnostic(
        range=lines.range(found.line, found.col, found.end_line, found.end_col),
        message=found.message,
        severity=types.DiagnosticSeverity.Warning,
        code=found.code,
        source=SOURCE,
    )


class Diagnostics:
    """Debounced publishing per document."""

    def __init__(self, server: SpinlensServer) -> None:
        self._server = server
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def schedule(self, uri: str, delay: float = DEBOUNCE_S) -> None:
        """Publish the document's diagnostics ``delay`` seconds from now (on the
        event loop), unless another edit comes first."""
        loop = self._server.workers.loop
        if loop is None:
            return
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._timers[uri] = loop.call_later(delay, self._start, uri)

    def _start(self, uri: str) -> None:
        self._timers.pop(uri, None)
        running = self._tasks.get(uri)
        if running is not None and not running.done():
            running.cancel()  # an older text's publication: the new one replaces it
        self._tasks[uri] = asyncio.ensure_future(self.publish(uri))

    async def publish(self, uri: str) -> None:
        server = self._server
        document = server.workspace.text_documents.get(uri)
        if document is None:
            return
        path = document_path(uri)
        text, version = document.source, document.version
        # The first analysis of a large file takes a while: off the event loop.
        await server.workers.in_worker(analyze_artifacts, text, path or uri)
        if server.workspace.text_documents.get(uri) is not document or document.version != version:
            return  # edited or closed meanwhile: a later publication follows
        view = server.analyses.view(document, path)
        if view is None or not view.current:
            if view is None and document.source == text:
                self._send(uri, version, [])
            return
        found = [lsp_diagnostic(view.lines, d) for d in view.analysis.diagnostics()]
        found.extend(self._failures(view))
        self._send(uri, version, found)

    def _failures(self, view: DocumentView) -> list[types.Diagnostic]:
        """Each step's last spin that failed at a line of this file: where it
        raised, or (a raise in a helper module) the innermost line of this file
        on the way there; the user's other frames are its related information."""
        if view.path is None:
            return []
        found = []
        for spin in self._server.last_spins.of_file(view.path):
            failure = spin.failure
            at = _line_in(failure, view.path) if failure is not None else None
            if failure is None or at is None:
                continue
            line, frame = at
            text = view.lines.line(line)
            start = len(text) - len(text.lstrip())
            inner = failure.frames[-1] if failure.frames else None
            where = "here"
            if frame is not None and inner is not None and frame is not inner:
                raised = f"{Path(inner.file).name} line {inner.line} ({inner.function})"
                where = f"in {raised}, called from here"
            found.append(
                types.Diagnostic(
                    range=view.lines.range(line, start, line, len(text)),
                    message=f"The last spin of {spin.step} failed {where}: "
                    f"{shorten(failure.error, 300)} (spin {spin.spin_id})",
                    severity=types.DiagnosticSeverity.Error,
                    code=SPIN_FAILED,
                    source=SOURCE,
                    related_information=_related(view, failure, frame) or None,
                )
            )
        return found

    def _send(self, uri: str, version: int | None, found: list[types.Diagnostic]) -> None:
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )

    def clear(self, uri: str) -> None:
        """The document closed: no timer left, no diagnostics shown."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        task = self._tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        self._send(uri, None, [])

    def refresh_file(self, flow_file: str) -> None:
        """After a spin of the file: its failure lines may have changed."""
        for uri in list(self._server.workspace.text_documents):
            if document_path(uri) == flow_file:
                self.schedule(uri, 0)


def _same_file(a: str, b: str) -> bool:
    return str(Path(a).resolve()) == str(Path(b).resolve())


def _line_in(failure: Failed, path: str) -> tuple[int, Frame | None] | None:
    """The 1-based line of ``path`` a failure is shown at, with its frame (None:
    only ``file``/``line`` said it, e.g. a syntax error): the raising line when it
    is in ``path``, else the innermost of the user's frames in ``path``."""
    if failure.file is not None and failure.line is not None and _same_file(failure.file, path):
        inner = failure.frames[-1] if failure.frames else None
        if inner is not None and inner.line == failure.line and _same_file(inner.file, path):
            return failure.line, inner
        return failure.line, None
    for frame in reversed(failure.frames):
        if _same_file(frame.file, path):
            return frame.line, frame
    return None


def _related(
    view: DocumentView, failure: Failed, shown: Frame | None
) -> list[types.DiagnosticRelatedInformation]:
    """The user's frames from the step down to the raise, but the one the
    diagnostic sits on: where each called the next, and where it raised."""
    related = []
    frames = failure.frames
    for i, frame in enumerate(frames):
        if frame is shown:
            continue
        if i + 1 < len(frames):
            message = f"{frame.function} calls {frames[i + 1].function}"
        else:
            message = f"{frame.function} raised {shorten(failure.error, 120)}"
        in_document = view.path is not None and _same_file(frame.file, view.path)
        file = view.lines if in_document else other_file(frame.file, view.lines.codec)
        text = file.line(frame.line)
        start = len(text) - len(text.lstrip())
        related.append(
            types.DiagnosticRelatedInformation(
                location=types.Location(
                    uri=file.uri, range=file.range(frame.line, start, frame.line, len(text))
                ),
                message=message,
            )
        )
    return related


def code_actions(view: DocumentView, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The analysis's quick fixes for the diagnostics touching the requested range."""
    wanted = params.range
    actions = []
    for found in view.analysis.diagnostics():
        if found.fix is None:
            continue
        diagnostic = lsp_diagnostic(view.lines, found)
        if not _touches(diagnostic.range, wanted):
            continue
        edits = [view.lines.edit(edit) for edit in found.fix.edits]
        actions.append(
            types.CodeAction(
                title=found.fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[diagnostic],
                is_preferred=True,
                edit=types.WorkspaceEdit(changes={view.lines.uri: edits}),
            )
        )
    return actions


def _touches(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)
