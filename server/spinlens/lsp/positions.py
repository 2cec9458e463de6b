"""Positions between the analysis (1-based lines, code-point columns) and the
client (0-based lines, columns in the negotiated encoding: UTF-16 by default).

A location may be in another file (a base flow's module beside the document):
its lines are read from disk, once per modification time.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

from lsprotocol import types
from pygls.uris import from_fs_path
from pygls.workspace import PositionCodec

from ..artifact_flow import Location, TextEdit


@dataclass(frozen=True)
class DocumentLines:
    """One file's lines (no line endings), and how its client counts columns."""

    uri: str
    lines: list[str]
    codec: PositionCodec

    def line(self, line: int) -> str:
        """1-based; "" past the end."""
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def character(self, line: int, col: int) -> int:
        """A code-point column of 1-based ``line`` in client units."""
        return int(self.codec.client_num_units(self.line(line)[:col]))

    def column(self, line: int, character: int) -> int:
        """A client column of 1-based ``line`` as a code-point column."""
        text = self.line(line)
        units = 0
        for index, char in enumerate(text):
            if units >= character:
                return index
            units += int(self.codec.client_num_units(char))
        return len(text)

    def range(self, line: int, col: int, end_line: int, end_col: int) -> types.Range:
        return types.Range(
            start=types.Position(line=line - 1, character=self.character(line, col)),
            end=types.Position(line=end_line - 1, character=self.character(end_line, end_col)),
        )

    def location_range(self, location: Location) -> types.Range:
        return self.range(location.line, location.col, location.line, location.end_col)

    def edit(self, edit: TextEdit) -> types.TextEdit:
        return types.TextEdit(
            range=self.range(edit.line, edit.col, edit.end_line, edit.end_col),
            new_text=edit.new_text,
        )


_NEWLINE = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """Lines as LSP and Python's tokenizer count them (not str.splitlines, which
    also breaks at form feeds and other separators)."""
    return _NEWLINE.split(text)


_FILES: dict[str, tuple[tuple[int, int], list[str]]] = {}
_FILES_LOCK = threading.Lock()


def file_lines(path: str) -> list[str]:
    """The lines of a file on disk (a base flow's module), read again when it changes."""
    try:
        info = os.stat(path)
    except OSError:
        return []
    stamp = (info.st_mtime_ns, info.st_size)
    with _FILES_LOCK:
        cached = _FILES.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = split_lines(handle.read())
    except (OSError, UnicodeDecodeError):
        lines = []
    with _FILES_LOCK:
        _FILES[path] = (stamp, lines)
    return lines


def other_file(path: str, codec: PositionCodec) -> DocumentLines:
    return DocumentLines(from_fs_path(path) or path, file_lines(path), codec)


def lsp_location(document: DocumentLines, location: Location) -> types.Location:
    """An analysis location as the client's: in the document, or in the module it names."""
    lines = document if location.file is None else other_file(location.file, document.codec)
    return types.Location(uri=lines.uri, range=lines.location_range(location))


def link(document: DocumentLines, file: str | None, line: int) -> str:
    """A ``file-uri#LN`` link to a 1-based line, as editors open them."""
    uri = document.uri if file is None else (from_fs_path(file) or file)
    return f"{uri}#L{line}"
