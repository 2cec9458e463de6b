"""A spun step's outputs: compared three ways, diffed, stored in the history, reported.

Runs in the spin child with every value still in memory. Each output is
compared with the step's inputs, with the same step's output in the source run
and with the previous spin of the same task; fingerprints decide "unchanged"
without looking at the values, and only a changed comparison pays for a diff.
Events go out untouched pass-throughs first, then the rest from small to
large, so a UI fills in progressively: those ready within ``BATCH_S`` of each
other travel in one frame (a frame per event costs a spin ~0.1 ms each).
"""

from __future__ import annotations

import reprlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metaflow.includefile import IncludedFile

from ..wire import events
from .diff import diff_values
from .fingerprint import Fingerprint, UnpicklableValue, fingerprint
from .history import ArtifactRecord, ArtifactReference, SpinRecord, SpinWriter
from .inputs import ArtifactTable, InputStore
from .resolve import Resolved
from .storage import read_value

BATCH_S = 0.02
LARGE = 1 << 20  # bytes: an output this big may be slow to compare

_repr = reprlib.Repr()
_repr.maxstring = 80
_repr.maxother = 80


def type_name(value: Any) -> str:
    cls = type(value)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def summary(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and not isinstance(value, (str, bytes)):
        return f"{type(value).__name__} shape={shape}"
    try:
        return _repr.repr(value)
    except Exception:  # a user __repr__ may raise; the summary is best effort
        return f"<{type(value).__name__}>"


def is_internal(name: str) -> bool:
    """Metaflow's own bookkeeping: its ``_`` artifacts, and ``name`` (the flow's
    class name, which every task stores)."""
    return name.startswith("_") or name == "name"


@dataclass
class _Output:
    name: str
    touched: bool  # the step set it (or read it, so it may have changed in place)
    key: str | None  # content key it was passed through with, if any
    value_of: Callable[[], Any]
    fingerprint: Fingerprint | None
    error: str | None = None


class OutputReporter:
    def __init__(
        self,
        spin_id: str,
        resolved: Resolved,
        store: InputStore,
        emit: Callable[[events.Event], None],
        writer: SpinWriter | None,
        previous: SpinRecord | None,
        previous_folder: Path | None,
        emit_many: Callable[[list[events.Event]], None] | None = None,
        parameters: frozenset[str] = frozenset(),
    ) -> None:
        self.spin_id = spin_id
        self.parameters = parameters  # the flow's Parameters and Configs, by artifact name
        self.resolved = resolved
        self.store = store
        self.emit = emit
        self.writer = writer
        self.previous = previous
        self.previous_folder = previous_folder
        self.records: list[ArtifactRecord] = []
        self.emit_many = emit_many

    def report(
        self,
        table: ArtifactTable,
        attributes: dict[str, Any],
        parents: list[ArtifactTable],
        partial: bool = False,
    ) -> dict[str, Callable[[], Any]]:
        """Report every output (Metaflow's internal ones flagged, last; the flow's
        Parameters and Configs flagged ``parameter``); return a
        value getter for each. ``partial``: the step failed, and these are the
        values it had assigned."""
        getters: dict[str, Callable[[], Any]] = {}
        outputs: list[_Output] = []
        for name in sorted(set(table.names()) | set(attributes)):
            touched = name in attributes
            if touched:
                getters[name] = _constant(name, attributes[name])
            else:
                getters[name] = _lookup(table, name)
            output = _Output(name, touched, table.key_of(name), getters[name], None)
            if touched:
                try:
                    output.fingerprint = fingerprint(attributes[name])
                except UnpicklableValue as exc:
                    output.error = f"cannot be pickled, so Metaflow could not store it: {exc}"
            else:
                output.fingerprint = self.store.fingerprint_of(output.key or "")
            outputs.append(output)
        outputs.sort(
            key=lambda o: (
                is_internal(o.name),
                o.touched,
                o.fingerprint.size if o.fingerprint else 0,
            )
        )
        internal: list[events.Event] = []
        batch = _Batch(self.emit, self.emit_many)
        for output in outputs:
            if output.touched and output.fingerprint and output.fingerprint.size > LARGE:
                batch.flush()  # its diff may take a while: what is ready goes first
            described = self._describe(output, table, parents, partial)
            if described.internal:
                internal.append(described)  # Metaflow's own, hidden by default: last
            else:
                batch.add(described)
        for event in internal:
            batch.add(event)
        batch.flush()
        return getters

    def _describe(
        self, output: _Output, table: ArtifactTable, parents: list[ArtifactTable], partial: bool
    ) -> events.Artifact:
        name, fp = output.name, output.fingerprint
        internal = is_internal(name)
        info = table.info_of(name)
        known = output.touched or (output.key or "") in self.store.values
        value = output.value_of() if known else None

        def same(other_key: str) -> bool:
            if not output.touched and other_key == output.key:
                return True
            other = self.store.fingerprint_of(other_key)
            return fp is not None and other is not None and other.digest == fp.digest

        inputs = [(t.pathspec, key) for t in parents if (key := t.key_of(name)) is not None]
        source = self.resolved.source_task
        source_key = source.objects.get(name) if source else None
        vs_inputs = _status([k for _, k in inputs], same)
        vs_source = _status([source_key] if source_key else [], same)
        previous = self.previous.artifact(name) if self.previous else None
        vs_previous: events.Status | None = None
        if self.previous is not None:
            if previous is None:
                vs_previous = "new"
            elif fp is not None and previous.fingerprint == fp.digest:
                vs_previous = "unchanged"
            else:
                vs_previous = "changed"

        diffs: dict[str, dict[str, Any]] = {}
        if known and not internal:  # Metaflow's bookkeeping gets statuses, no diffs
            if vs_inputs == "changed":
                diffs["inputs"] = self._diff(lambda: self._baseline(inputs[0][1], value), value)
            if vs_source == "changed" and source_key:
                diffs["source"] = self._diff(lambda: self._baseline(source_key, value), value)
            if vs_previous == "changed" and previous is not None:
                diffs["previous"] = self._diff(lambda: self._previous_value(previous), value)

        error = output.error
        stored: ArtifactReference | Any = None
        if vs_inputs == "unchanged" and inputs:
            pathspec, key = next((p, k) for p, k in inputs if same(k))
            stored = ArtifactReference(pathspec, name, key)
        elif self.writer is not None and error is None and not internal:
            # Metaflow's own bookkeeping is recorded (type, fingerprint, statuses)
            # but not kept: a file each would cost a spin ~5 ms.
            try:
                stored = self.writer.store(name, output.value_of())
            except Exception as exc:  # this artifact is not kept; the others are
                error = f"could not be stored in the spin history: {type(exc).__name__}: {exc}"
        status: dict[str, str | None] = {
            "inputs": vs_inputs,
            "source": vs_source,
            "previous": vs_previous,
        }
        self.records.append(
            ArtifactRecord(
                name=name,
                type=type_name(value) if known else str(info.get("type")),
                size=fp.size if fp else info.get("size"),
                fingerprint=fp.digest if fp else None,
                status=status,
                stored=stored,
                error=error,
            )
        )
        return events.Artifact(
            spin_id=self.spin_id,
            name=name,
            type=self.records[-1].type,
            size=self.records[-1].size,
            summary=summary(value) if known else "(not loaded)",
            vs_inputs=vs_inputs,
            vs_source=vs_source,
            vs_previous=vs_previous,
            diffs=diffs,
            error=error,
            internal=internal,
            parameter=name in self.parameters,
            partial=partial,
        )

    def _baseline(self, key: str, new: Any) -> Any:
        """The stored value for key; if the step changed that very object in place,
        a pristine copy read again (the one in memory is the changed one)."""
        old = self.store.values[key]
        return self.store.pristine(key) if old is new else old

    def _previous_value(self, record: ArtifactRecord) -> Any:
        stored = record.stored
        if isinstance(stored, ArtifactReference):
            if stored.key in self.store.values:
                return self.store.values[stored.key]
            from metaflow import Task

            return Task(stored.pathspec, _namespace_check=False)[stored.name].data
        if stored is None or self.previous_folder is None:
            raise LookupError("the previous spin could not store this artifact")
        return read_value(self.previous_folder, stored)

    @staticmethod
    def _diff(old_of: Callable[[], Any], new: Any) -> dict[str, Any]:
        try:
            old = old_of()
        except Exception as exc:  # the baseline value is unavailable: say so in the diff
            return {
                "changed": True,
                "kind": "error",
                "summary": "baseline value unavailable",
                "detail": {},
                "truncated": False,
                "error": f"{type(exc).__name__}: {exc}",
            }
        return diff_values(old, new).to_dict()


class _Batch:
    """Events gathered for up to ``BATCH_S``, then sent in one frame."""

    def __init__(
        self,
        emit: Callable[[events.Event], None],
        emit_many: Callable[[list[events.Event]], None] | None,
    ) -> None:
        self.emit, self.emit_many = emit, emit_many
        self.pending: list[events.Event] = []
        self.since = 0.0

    def add(self, event: events.Event) -> None:
        if not self.pending:
            self.since = time.perf_counter()
        self.pending.append(event)
        if time.perf_counter() - self.since >= BATCH_S:
            self.flush()

    def flush(self) -> None:
        if self.emit_many is not None and len(self.pending) > 1:
            self.emit_many(self.pending)
        else:
            for event in self.pending:
                self.emit(event)
        self.pending = []


def _constant(name: str, value: Any) -> Callable[[], Any]:
    return lambda: _as_the_client_reads(name, value)


def _lookup(table: ArtifactTable, name: str) -> Callable[[], Any]:
    return lambda: _as_the_client_reads(name, table[name])


def _as_the_client_reads(name: str, value: Any) -> Any:
    """An IncludeFile parameter is stored as a reference to the file; Metaflow's
    Client (and the step) read it as the file's text."""
    if isinstance(value, IncludedFile):
        return value.decode(name)
    return value


def _status(keys: list[str], same: Callable[[str], bool]) -> events.Status:
    if not keys:
        return "new"
    return "unchanged" if any(same(key) for key in keys) else "changed"
