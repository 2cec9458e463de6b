"""Spin history: every spin's manifest and the artifacts it produced, under ``.spinlens/``.

Layout: ``<root>/<Flow>/<step>/<spin id>/manifest.json`` plus one file per
stored artifact. A spin is written into a hidden temporary folder and renamed
into place only when complete, so a killed spin leaves no half record visible.
Artifacts the step passed through unchanged are recorded as references to the
task they came from, not copied. The last ``keep`` spins per step are kept.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from ..wire.ids import SECOND_LENGTH
from .storage import StoredValue, read_value, write_value

HISTORY_DIR = ".spinlens"
DEFAULT_KEEP = 10
_TEMP_PREFIX = ".incomplete-"


@dataclass(frozen=True)
class ArtifactReference:
    """An artifact kept in Metaflow's datastore, not copied: where to find it."""

    pathspec: str  # task it comes from
    name: str
    key: str  # Metaflow content key

    def to_dict(self) -> dict[str, Any]:
        return {"format": "ref", **asdict(self)}


@dataclass
class ArtifactRecord:
    name: str
    type: str
    size: int | None
    fingerprint: str | None
    status: dict[str, str | None]  # comparison -> new/changed/unchanged (None: no baseline)
    stored: StoredValue | ArtifactReference | None = None
    error: str | None = None  # why it could not be stored or compared

    def to_dict(self) -> dict[str, Any]:
        # Shallow: asdict would deep-copy what is replaced or plain JSON anyway.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["stored"] = self.stored.to_dict() if self.stored else None
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ArtifactRecord:
        stored = data.get("stored")
        value: StoredValue | ArtifactReference | None = None
        if stored and stored.get("format") == "ref":
            value = ArtifactReference(stored["pathspec"], stored["name"], stored["key"])
        elif stored:
            value = StoredValue.from_dict(stored)
        return ArtifactRecord(**{**data, "stored": value})


@dataclass
class SpinRecord:
    """A spin's manifest."""

    id: str
    created: float  # unix time
    flow: str
    flow_file: str
    step: str
    source: dict[str, Any]  # events.SourceInfo as a dict
    step_source_hash: str | None
    status: str  # "ok" or "failed"
    timings: dict[str, float] = field(default_factory=dict)
    next_steps: list[str] = field(default_factory=list)
    error: str | None = None
    artifacts: list[ArtifactRecord] = field(default_factory=list)
    # The step's @card output: {"type", "id", "file"}, the file in the record's folder.
    cards: list[dict[str, Any]] = field(default_factory=list)

    def artifact(self, name: str) -> ArtifactRecord | None:
        # By name, built on first use: a spin's outputs each look up the previous
        # spin's record (a linear search made 1,000 artifacts cost 10^6 compares).
        by_name = self.__dict__.get("_by_name")
        if by_name is None or len(by_name) != len(self.artifacts):
            by_name = self.__dict__["_by_name"] = {}
            for record in self.artifacts:
                by_name.setdefault(record.name, record)
        return by_name.get(name)

    def to_dict(self) -> dict[str, Any]:
        """``id`` and ``created`` come first: ``History`` orders spins by reading
        only a manifest's first bytes."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["artifacts"] = [a.to_dict() for a in self.artifacts]
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SpinRecord:
        artifacts = [ArtifactRecord.from_dict(a) for a in data.get("artifacts", [])]
        return SpinRecord(**{**data, "artifacts": artifacts})


class SpinWriter:
    """Collects one spin's files in a hidden folder until ``commit``."""

    def __init__(self, history: History, flow: str, step: str, spin_id: str) -> None:
        self.history = history
        self.final = history.step_dir(flow, step) / spin_id
        self.folder = self.final.parent / f"{_TEMP_PREFIX}{spin_id}-{os.getpid()}"
        self.folder.mkdir(parents=True, exist_ok=True)

    def store(self, name: str, value: Any) -> StoredValue:
        return write_value(self.folder, name, value)

    def commit(self, record: SpinRecord, prune: bool = True) -> Path:
        """Make the record whole; ``prune``: then keep only the newest spins (a
        spin child prunes after its terminal event instead, off the spin's time)."""
        manifest = self.folder / "manifest.json"
        # No indent: json's C encoder only serves compact output (5x faster here).
        manifest.write_text(json.dumps(record.to_dict(), default=str))
        os.rename(self.folder, self.final)  # atomic: the record appears whole or not at all
        if prune:
            self.history.prune(record.flow, record.step)
        return self.final

    def abandon(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class History:
    def __init__(self, root: str | os.PathLike[str], keep: int = DEFAULT_KEEP) -> None:
        self.root = Path(root)
        self.keep = keep

    def step_dir(self, flow: str, step: str) -> Path:
        return self.root / flow / step

    def begin(self, flow: str, step: str, spin_id: str) -> SpinWriter:
        return SpinWriter(self, flow, step, spin_id)

    def _folders(self, flow: str, step: str) -> list[Path]:
        """Folders of the committed spins of a step, newest first."""
        folder = self.step_dir(flow, step)
        if not folder.is_dir():
            return []
        # A spin killed after writing its manifest but before the rename still
        # has a hidden temporary folder with a (perhaps partial) manifest: skip it.
        done = [
            p
            for p in folder.iterdir()
            if not p.name.startswith(_TEMP_PREFIX) and (p / "manifest.json").is_file()
        ]
        done.sort(key=lambda p: p.name, reverse=True)  # ids start with the time, to the second
        return self._order_same_second(done)

    def _order_same_second(self, folders: list[Path]) -> list[Path]:
        """Spins made in the same second, newest first by their manifests (the
        ids' random tails would order them by chance); others need no reading."""
        ordered: list[Path] = []
        for _, same in itertools.groupby(folders, key=lambda p: p.name[:SECOND_LENGTH]):
            group = list(same)
            if len(group) > 1:
                group.sort(key=_created, reverse=True)
            ordered.extend(group)
        return ordered

    def spins(self, flow: str, step: str) -> list[SpinRecord]:
        """Committed spins of a step, newest first."""
        return [record for record, _ in self.spins_with_folders(flow, step)]

    def spins_with_folders(self, flow: str, step: str) -> Iterator[tuple[SpinRecord, Path]]:
        for folder in self._folders(flow, step):
            try:
                record = self._read(folder)
            except FileNotFoundError:
                continue  # pruned meanwhile by another process (a parked spin child)
            yield record, folder

    def find(self, spin_id: str) -> tuple[SpinRecord, Path]:
        for folder in self.root.glob(f"*/*/{spin_id}*"):
            if (folder / "manifest.json").is_file():
                return self._read(folder), folder
        raise KeyError(f"No spin {spin_id} in {self.root}.")

    def record_folder(self, path: str | os.PathLike[str]) -> Path:
        """``path`` resolved, if it is a committed spin's folder of this history
        (``<root>/<Flow>/<step>/<spin id>``); else ValueError. A client names a
        spin by its folder: nothing else is read from a path it sends."""
        root = self.root.resolve()
        folder = Path(path).resolve()
        inside = folder.is_relative_to(root) and len(folder.relative_to(root).parts) == 3
        if not inside or folder.name.startswith((_TEMP_PREFIX, ".")):
            raise ValueError(f"{path} is not a spin record of the history in {root}")
        if not (folder / "manifest.json").is_file():
            raise ValueError(f"{path} holds no spin record (no manifest.json)")
        return folder

    def read_record(self, folder: Path) -> SpinRecord:
        """A committed spin's manifest, its folder checked by ``record_folder``."""
        return self._read(self.record_folder(folder))

    def load(self, spin_id: str, name: str) -> Any:
        """An artifact's value as the spin left it (references read through Metaflow)."""
        record, folder = self.find(spin_id)
        artifact = record.artifact(name)
        if artifact is None or artifact.stored is None:
            names = ", ".join(a.name for a in record.artifacts)
            raise KeyError(f"Spin {spin_id} stored no artifact {name!r}. It has: {names}.")
        if isinstance(artifact.stored, ArtifactReference):
            from metaflow import Task

            return Task(artifact.stored.pathspec, _namespace_check=False)[artifact.stored.name].data
        return read_value(folder, artifact.stored)

    def prune(self, flow: str, step: str) -> None:
        """Keep the newest ``keep`` spins; clear temporary folders of dead spins."""
        for old in self._folders(flow, step)[self.keep :]:
            # Renamed first: a prune killed midway (a parked child ended) leaves a
            # temporary folder of a dead process, which a later prune clears.
            doomed = old.with_name(f"{_TEMP_PREFIX}{old.name}-{os.getpid()}")
            try:
                os.rename(old, doomed)
            except OSError:
                continue  # another process pruned it first
            shutil.rmtree(doomed, ignore_errors=True)
        for temp in self.step_dir(flow, step).glob(f"{_TEMP_PREFIX}*"):
            pid = temp.name.rsplit("-", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(temp, ignore_errors=True)

    @staticmethod
    def _read(folder: Path) -> SpinRecord:
        return SpinRecord.from_dict(json.loads((folder / "manifest.json").read_text()))


_CREATED = re.compile(rb'"created": *(-?[0-9.eE+-]+)')


def _created(folder: Path) -> float:
    """When a spin was made, from its manifest's first bytes (``created`` is the
    second key) rather than the whole manifest: every commit orders its step's
    spins to prune them."""
    try:
        with open(folder / "manifest.json", "rb") as handle:
            found = _CREATED.search(handle.read(512))
    except FileNotFoundError:
        return 0.0  # pruned meanwhile: the oldest
    if found:
        return float(found.group(1))
    return History._read(folder).created  # a manifest written otherwise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
