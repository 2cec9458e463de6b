"""Editor settings: initializationOptions, workspace/didChangeConfiguration and,
per workspace folder, workspace/configuration."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

from ..engine.history import DEFAULT_KEEP

SECTION = "spinlens"
DEFAULT_DIFF_ROWS = 20
DEFAULT_PREWARM_MB = 2048


@dataclass(frozen=True)
class Settings:
    default_source_run: str | None = None  # None: the latest successful run
    history_size: int = DEFAULT_KEEP  # spins kept per step in .spinlens (0 keeps none)
    diff_rows: int = DEFAULT_DIFF_ROWS  # stored for the client; the engine bounds diffs itself
    memory_limit_mb: int | None = None  # a step may allocate this much more; None: no limit
    inlay_hints: bool = False  # textDocument/inlayHint answers (off by default)
    prewarm_memory_mb: int = DEFAULT_PREWARM_MB  # inputs a prewarm may load; 0: no prewarm

    def updated(self, payload: object) -> Settings:
        """These settings with the known keys of ``payload`` applied.

        Clients send either the flat object of protocol.md or, as VS Code's
        configuration sync does, ``{"spinlens": {...}}``; unknown keys and values
        of the wrong type are ignored so a bad setting never breaks the server.
        """
        values = _section(payload)
        if values is None:
            return self
        changes: dict[str, Any] = {}
        if "defaultSourceRun" in values:
            run = values["defaultSourceRun"]
            if run is None or (isinstance(run, (str, int)) and not isinstance(run, bool)):
                # "" (an emptied settings field) means "latest successful", like null.
                changes["default_source_run"] = _run_id(run)
        size = values.get("historySize")
        if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
            changes["history_size"] = size
        rows = values.get("diffRows")
        if isinstance(rows, int) and not isinstance(rows, bool) and rows > 0:
            changes["diff_rows"] = rows
        memory = values.get("memoryLimitMB")
        if _whole_megabytes(memory):
            changes["memory_limit_mb"] = int(memory) or None  # 0: no limit
        hints = values.get("inlayHints")
        if isinstance(hints, bool):
            changes["inlay_hints"] = hints
        prewarm = values.get("prewarmMemoryMB")
        if _whole_megabytes(prewarm):
            changes["prewarm_memory_mb"] = int(prewarm)
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "defaultSourceRun": self.default_source_run,
            "historySize": self.history_size,
            "diffRows": self.diff_rows,
            "memoryLimitMB": self.memory_limit_mb or 0,
            "inlayHints": self.inlay_hints,
            "prewarmMemoryMB": self.prewarm_memory_mb,
        }


_KEYS = (
    "defaultSourceRun",
    "historySize",
    "diffRows",
    "memoryLimitMB",
    "inlayHints",
    "prewarmMemoryMB",
)


def _whole_megabytes(value: object) -> TypeGuard[int | float]:
    """A usable memory limit: a finite number >= 0 (editors send floats too)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and value >= 0


def _run_id(value: str | int | None) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _section(payload: object) -> Mapping[str, Any] | None:
    if not isinstance(payload, Mapping):
        return None
    nested = payload.get(SECTION)
    if isinstance(nested, Mapping):
        return nested
    if any(key in payload for key in _KEYS):
        return payload
    return None


def containing_folder(path: str, roots: Iterable[str]) -> str | None:
    """The deepest of ``roots`` holding ``path`` (a multi-root workspace may nest them)."""
    holding = [root for root in roots if Path(path).is_relative_to(root)]
    return max(holding, key=len) if holding else None


class WorkspaceSettings:
    """The settings in force for each flow file: its workspace folder's (folders of a
    multi-root workspace may differ in history size, source run or memory limit),
    else the window's. The server asks the client for each folder's section."""

    def __init__(self) -> None:
        self.window = Settings()
        self._folders: dict[str, Settings] = {}  # resolved folder path -> its settings

    def update_window(self, payload: object) -> None:
        self.window = self.window.updated(payload)

    def set_folders(self, values: Mapping[str, object]) -> None:
        """Each folder's section as the client answered it (folder path -> section)."""
        self._folders = {
            str(Path(root).resolve()): self.window.updated({SECTION: section})
            for root, section in values.items()
        }

    def for_file(self, path: str) -> Settings:
        folder = containing_folder(path, self._folders)
        return self._folders[folder] if folder is not None else self.window


def has_settings(payload: object) -> bool:
    """Whether ``payload`` carries any Spinlens setting (else the client must be asked)."""
    return _section(payload) is not None
