"""The artifact analysis behind hover, completion, navigation, diagnostics and hints.

While the user types ``self.`` the buffer often does not parse; the queries then
use the document's last analysis that did (its lines barely moved), with the
current line's text before the cursor for completion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from ..artifact_flow import ArtifactAnalysis, analyze_artifacts
from .lenses import is_python
from .positions import DocumentLines, split_lines


def document_path(uri: str) -> str | None:
    """The absolute path of a ``file:`` URI (as the spins key files), else None."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return str(Path(path).resolve()) if path else None


@dataclass(frozen=True)
class DocumentView:
    """A document as the queries see it: an analysis that parsed, the current
    lines, and the flow file's path (None for a document not on disk)."""

    analysis: ArtifactAnalysis
    lines: DocumentLines
    path: str | None
    current: bool  # the analysis is of the current text (else of an earlier one)

    def query_line(self, line: int) -> int:
        """The line to ask the analysis about for 1-based ``line`` of the current
        text: itself, or, in an earlier analysis (the text does not parse now),
        the first line of the method the current text has around it (lines
        typed since then moved everything below them)."""
        if self.current:
            return line
        name = _enclosing_def(self.lines.lines, line)
        for flow in self.analysis.flows:
            function = flow.functions.get(name or "")
            if function is not None and function.file is None:
                return function.facts.first_line
        return line


_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")


def _enclosing_def(lines: list[str], line: int) -> str | None:
    """The name of the ``def`` whose body holds 1-based ``line``, by indentation."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = len(text) - len(text.lstrip()) if text.strip() else None
    for number in range(min(line, len(lines)) - 1, -1, -1):
        match = _DEF.match(lines[number])
        if match and (indent is None or len(match.group(1)) < indent):
            return match.group(2)
    return None


class DocumentAnalyses:
    """The last analysis that parsed, per open document."""

    def __init__(self) -> None:
        self._last: dict[str, ArtifactAnalysis] = {}

    def view(self, document: TextDocument, path: str | None) -> DocumentView | None:
        """The document's analysis; None for a document that is not Python, has no
        flow, or has never parsed since it was opened."""
        uri = document.uri
        if not is_python(uri, document.language_id):
            return None
        text = document.source
        analysis = analyze_artifacts(text, path or uri)
        current = analysis.error is None
        if current:
            self._last[uri] = analysis
        else:
            found = self._last.get(uri)
            if found is None:
                return None
            analysis = found
        if not analysis.flows:
            return None
        lines = DocumentLines(uri, split_lines(text), document.position_codec)
        return DocumentView(analysis, lines, path, current)

    def forget(self, uri: str) -> None:
        self._last.pop(uri, None)
