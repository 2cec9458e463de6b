"""Input artifacts held warm in the kernel, and the table a spun step reads them from.

The kernel loads each distinct blob once (artifacts are keyed by content, so a
DataFrame passed down ten steps is one object) and fingerprints it. A forked
child sees the same objects copy-on-write through ``ArtifactTable``, which
stands in for the parts of Metaflow's TaskDataStore that a running step uses.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator, KeysView
from dataclasses import dataclass, field
from typing import Any

from ..errors import ArtifactLoadError
from .fingerprint import Fingerprint, UnpicklableValue, fingerprint
from .flow_loader import needs_flow_module
from .resolve import TaskInputs

# A download at least this large gets its own progress message.
_REPORT_EACH_FROM = 1 << 20


def _size(task: TaskInputs, name: str) -> int:
    """The artifact's size as Metaflow recorded it (0 when unknown)."""
    return int(task.info.get(name, {}).get("size") or 0)


def _human(size: float) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


_IMMUTABLE_TYPES = (type(None), bool, int, float, complex, str, bytes, range)


def _immutable(value: Any, depth: int = 0) -> bool:
    """Whether no step can change the value in place: builtin scalars, and small
    tuples (namedtuples too: no instance dict) and frozensets of them. Exact
    types, as a subclass may carry attributes a step can set."""
    if type(value) in _IMMUTABLE_TYPES:
        return True
    collection = type(value) is frozenset or (
        isinstance(value, tuple) and not hasattr(value, "__dict__")
    )
    if collection and depth < 3 and len(value) <= 64:
        return all(_immutable(item, depth + 1) for item in value)
    return False


def _load_error(exc: Exception) -> str:
    """Why an artifact could not be loaded, in the user's terms."""
    if isinstance(exc, TypeError) and "NoneType" in str(exc):
        # Metaflow's content store hands back no file for a blob it cannot find.
        return "its blob is missing from the datastore (deleted, or a partial copy of it)"
    return f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True)
class _Unreadable:
    error: Exception


# One datastore read asks for this many bytes (or names) at most: Metaflow's
# load_artifacts fetches a batch's blobs together (in parallel from S3), and a
# prewarm can still stop between batches.
_BATCH_BYTES = 64 << 20
_BATCH_NAMES = 256


def _batches(task: TaskInputs, pending: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    batches: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for name, key in pending:
        this = _size(task, name)
        if current and (size + this > _BATCH_BYTES or len(current) >= _BATCH_NAMES):
            batches.append(current)
            current, size = [], 0
        current.append((name, key))
        size += this
    if current:
        batches.append(current)
    return batches


def _read(task: TaskInputs, names: list[str]) -> list[Any]:
    """The values of ``names`` in order, one ``load_artifacts`` call for all; an
    artifact that fails to load is an ``_Unreadable`` (the others still load)."""
    if not names:
        return []
    found: dict[str, Any] = {}
    try:
        for name, value in task.datastore.load_artifacts(names):
            found[name] = value
    except Exception:  # one bad artifact ends Metaflow's iterator: read the rest alone
        for name in names:
            if name in found:
                continue
            try:
                found[name] = next(iter(task.datastore.load_artifacts([name])))[1]
            except Exception as exc:  # any unpickling failure is reported per artifact
                found[name] = _Unreadable(exc)
    return [found.get(name, _Unreadable(KeyError(name))) for name in names]


class _Download:
    """Progress messages for a task whose blobs come from a remote datastore.

    Blobs already in the local client cache (read by an earlier kernel or by
    Metaflow's Client) are not downloaded, so they are not counted. Sizes are
    the artifacts' recorded sizes, close to the bytes on the wire.
    """

    def __init__(
        self,
        task: TaskInputs,
        pending: list[tuple[str, str]],
        progress: Callable[[str], None],
    ) -> None:
        self.task = task
        self.progress = progress
        self.fetch = {key for _, key in pending if not task.cached(key)}
        self.total = sum(_size(task, name) for name, key in pending if key in self.fetch)
        self.done = 0
        self.started = time.perf_counter()
        if self.fetch:
            count = len(self.fetch)
            progress(
                f"downloading {count} artifact{'s' if count != 1 else ''} "
                f"({_human(self.total)}) from {task.location}"
            )

    def before(self, name: str, key: str) -> bool:
        """Report the artifact about to be read; False if it comes from the cache."""
        if key not in self.fetch:
            return False
        size = _size(self.task, name)
        if size >= _REPORT_EACH_FROM:
            self.progress(
                f"downloading {name} ({_human(size)}; "
                f"{_human(self.done)} of {_human(self.total)} done)"
            )
        self.done += size
        return True

    def finish(self) -> None:
        if self.fetch:
            count = len(self.fetch)
            seconds = time.perf_counter() - self.started
            self.progress(
                f"downloaded {count} artifact{'s' if count != 1 else ''} "
                f"({_human(self.total)}) of {self.task.pathspec} in {seconds:.1f} s"
            )


# A prefetch checks its budget (and a prewarm whether to stop) between batches
# of at most this many blobs.
_PREFETCH_NAMES = 256
# So few blobs are not worth the threads.
_PARALLEL_FROM = 4


def _key_batches(sizes: dict[str, int]) -> Iterator[tuple[list[str], int]]:
    """Keys in batches of at most _BATCH_BYTES and _PREFETCH_NAMES, with their bytes."""
    batch: list[str] = []
    size = 0
    for key, this in sizes.items():
        if batch and (size + this > _BATCH_BYTES or len(batch) >= _PREFETCH_NAMES):
            yield batch, size
            batch, size = [], 0
        batch.append(key)
        size += this
    if batch:
        yield batch, size


@dataclass
class InputStore:
    """Artifact values by content key, loaded once per kernel."""

    values: dict[str, Any] = field(default_factory=dict)
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Keys whose value needs the flow module as __main__ (classes defined in the
    # flow file): only a child that has executed the flow can load them.
    deferred: dict[str, tuple[TaskInputs, str]] = field(default_factory=dict)
    # Where each value came from, to read a pristine copy when a step changed
    # an input in place (the child then holds only the changed object).
    origins: dict[str, tuple[TaskInputs, str]] = field(default_factory=dict)
    override_copies: dict[str, Any] = field(default_factory=dict)
    # In a spin child: which (table, name) holds the loaded object of a key. Under
    # Metaflow every name unpickles its own object, so equal artifacts (two `[0]`s,
    # a user `[]` and `_foreach_stack`) never alias; here the first name read gets
    # the loaded object and every other name a private copy.
    owners: dict[str, tuple[int, str]] = field(default_factory=dict)

    def load(
        self,
        task: TaskInputs,
        keep: bool = True,
        progress: Callable[[str], None] | None = None,
        admit: Callable[[str, int], bool] | None = None,
    ) -> list[str]:
        """Load (or, with keep=False, only fingerprint) every artifact of a task;
        ``admit(name, recorded size)`` False skips one (a prewarm's budget, or a
        prewarm preempted). The names skipped."""
        pending = self._pending(task, keep)
        skipped: list[str] = []
        download = _Download(task, pending, progress) if task.remote and progress else None
        for batch in _batches(task, pending):
            admitted = []
            for name, key in batch:
                size = _size(task, name)
                if admit is not None and not admit(name, size):
                    skipped.append(name)
                    continue
                admitted.append((name, key))
                downloading = download is not None and download.before(name, key)
                if not downloading and progress and size > 8 << 20:  # large reads from disk too
                    progress(f"loading {name} ({size / 2**20:.0f} MB) from {task.pathspec}")
            values = _read(task, [name for name, _ in admitted])
            for (name, key), value in zip(admitted, values, strict=True):
                self._hold(task, name, key, value, keep)
        if download is not None:
            download.finish()
        return skipped

    def prefetch(
        self,
        tasks: list[TaskInputs],
        progress: Callable[[str], None] | None = None,
        proceed: Callable[[int], bool] | None = None,
    ) -> None:
        """Download, in parallel, the small blobs that loading these remote tasks
        will read and the local client cache lacks, so a join over many tasks
        waits one round trip per PARALLEL_READS blobs, not one per blob.
        ``proceed(bytes so far with the next batch)`` False stops between
        batches (a prewarm's budget or preemption)."""
        wanted: dict[int, tuple[TaskInputs, dict[str, int]]] = {}
        for task in tasks:
            if not task.remote or task.content_store is None:
                continue
            _, keys = wanted.setdefault(id(task.content_store), (task, {}))
            for name, key in self._pending(task, keep=True):
                size = _size(task, name)
                # A large blob is bound by bandwidth, not round trips: it loads
                # in turn, with its own progress message.
                if size < _REPORT_EACH_FROM and key not in keys and not task.cached(key):
                    keys[key] = size
        for task, keys in wanted.values():
            if len(keys) < _PARALLEL_FROM:
                continue
            total = sum(keys.values())
            if progress:
                progress(
                    f"downloading {len(keys):,} artifacts ({_human(total)}) of "
                    f"{len(tasks):,} tasks from {task.datastore_root}"
                )
            started, done = time.perf_counter(), 0
            for batch, size in _key_batches(keys):
                if proceed is not None and not proceed(done + size):
                    return
                try:
                    task.download(batch)
                except Exception:  # a bad blob: loading each task reports it by name
                    return
                done += size
            if progress:
                progress(
                    f"downloaded {len(keys):,} artifacts ({_human(total)}) in "
                    f"{time.perf_counter() - started:.1f} s"
                )

    def _hold(self, task: TaskInputs, name: str, key: str, value: Any, keep: bool) -> None:
        """One artifact read (or its error): fingerprinted, and kept if ``keep``."""
        if isinstance(value, _Unreadable):
            if needs_flow_module(value.error):  # the kernel's __main__ is not the flow
                self.deferred[key] = (task, name)
            else:
                self.errors[key] = _load_error(value.error)
            return
        try:
            self.fingerprints[key] = fingerprint(value, remember=keep)
        except UnpicklableValue:
            pass
        if keep:
            self.values[key] = value
            self.origins[key] = (task, name)

    def _pending(self, task: TaskInputs, keep: bool) -> list[tuple[str, str]]:
        """The task's artifacts still to read: one name per content key not held yet."""
        seen: set[str] = set()
        pending = []
        for name, key in task.objects.items():
            if key in seen or key in self.values or key in self.errors or key in self.deferred:
                continue
            if not keep and key in self.fingerprints:
                continue
            seen.add(key)
            pending.append((name, key))
        return pending

    def add_value(self, value: Any) -> str:
        """Hold a value that did not come from the datastore (an override)."""
        fp = fingerprint(value)
        key = f"override:{fp.digest}"
        self.values[key] = value
        self.fingerprints[key] = fp
        try:
            self.override_copies[key] = copy.deepcopy(value)
        except Exception:  # an uncopyable override just has no pristine copy
            pass
        return key

    def pristine(self, key: str) -> Any:
        """The value as it was before any step touched it: read again, not from memory."""
        if key in self.override_copies:
            return copy.deepcopy(self.override_copies[key])
        if key not in self.origins:
            raise LookupError("no untouched copy of this value is available")
        task, name = self.origins[key]
        return next(iter(task.datastore.load_artifacts([name])))[1]

    def get(self, key: str, name: str, pathspec: str) -> Any:
        if key in self.values:
            return self.values[key]
        if key in self.deferred:
            task, stored_name = self.deferred.pop(key)
            try:
                value = next(iter(task.datastore.load_artifacts([stored_name])))[1]
            except Exception as exc:  # report, with the artifact's name
                self.errors[key] = _load_error(exc)
            else:
                self.values[key] = value
                try:
                    self.fingerprints[key] = fingerprint(value)
                except UnpicklableValue:
                    pass
                return value
        raise ArtifactLoadError(name, pathspec, self.errors.get(key, "it is not in the datastore"))

    def own_copy(self, key: str, value: Any, holder: tuple[int, str]) -> Any:
        """The value for one (table, name): the loaded object for its first
        holder, an untouched copy for any other (read again: the first holder's
        step may have changed the loaded object in place by now)."""
        if self.owners.setdefault(key, holder) == holder or _immutable(value):
            return value  # a shared immutable value can't alias (a join's 2,000 `None`s)
        try:
            return self.pristine(key)
        except LookupError:
            return copy.deepcopy(value)

    def fingerprint_of(self, key: str) -> Fingerprint | None:
        """A value's fingerprint; a deferred value is loaded for it first."""
        if key not in self.fingerprints and key in self.deferred:
            task, name = self.deferred[key]
            try:
                self.get(key, name, task.pathspec)
            except ArtifactLoadError:
                return None
        return self.fingerprints.get(key)

    def retain_only(self, keys: Iterable[str]) -> None:
        """Drop values no longer referenced by the loaded inputs."""
        wanted = set(keys)
        for table in (self.values, self.errors, self.deferred, self.origins):
            for key in [k for k in table if k not in wanted]:
                del table[key]


class ArtifactTable:
    """A task's artifacts as a running step sees them (duck-types TaskDataStore)."""

    def __init__(
        self,
        pathspec: str,
        store: InputStore,
        objects: dict[str, str] | None = None,
        info: dict[str, dict[str, Any]] | None = None,
        origin: Any = None,
    ) -> None:
        self.pathspec = pathspec
        self.store = store
        self._origin = origin  # the task's own (read-only) TaskDataStore, if any
        self._objects: dict[str, str] = dict(objects or {})
        self._info: dict[str, dict[str, Any]] = dict(info or {})
        self.accessed: dict[str, Any] = {}

    @property
    def orig_datastore(self) -> Any:
        """The original task's datastore: Metaflow's persist (``--persist``, for a
        @card step) copies the blobs of unchanged artifacts from it into the spin
        datastore. No origin: no attribute, as Metaflow checks with hasattr."""
        if self._origin is None:
            raise AttributeError("orig_datastore")
        return self._origin

    # ``_objects`` and ``_info`` keep TaskDataStore's names, which Metaflow reads;
    # Spinlens reads them through these.
    def names(self) -> KeysView[str]:
        return self._objects.keys()

    def key_of(self, name: str) -> str | None:
        """The artifact's content key; None if the task has no such artifact."""
        return self._objects.get(name)

    def info_of(self, name: str) -> dict[str, Any]:
        """What Metaflow recorded of the artifact (type, size, encoding); {} if nothing."""
        return self._info.get(name, {})

    def __contains__(self, name: str) -> bool:
        return name in self._objects

    def __getitem__(self, name: str) -> Any:
        if name in self.accessed:
            return self.accessed[name]
        key = self._objects[name]
        value = self.store.get(key, name, self.pathspec)
        value = self.store.own_copy(key, value, (id(self), name))
        self.accessed[name] = value
        return value

    def get(self, name: str, default: Any = None) -> Any:
        return self[name] if name in self._objects else default

    def is_none(self, name: str) -> bool:
        return name not in self._objects or self[name] is None

    def items(self) -> Iterable[tuple[str, str]]:
        return self._objects.items()

    def passdown_partial(self, origin: ArtifactTable, variables: Iterable[str]) -> None:
        for var in variables:
            key = origin._objects.get(var)
            if key:
                self._objects[var] = key
                self._info[var] = origin._info.get(var, {})
                if var in origin.accessed:
                    self.accessed[var] = origin.accessed[var]

    def override(self, name: str, value: Any) -> None:
        self._objects[name] = self.store.add_value(value)
        # What Metaflow records of an artifact; its task datastore reads it back.
        self._info[name] = {"type": str(type(value)), "size": 0, "encoding": "pickle-v4"}
        self.accessed.pop(name, None)

    def __repr__(self) -> str:
        return f"<ArtifactTable {self.pathspec} ({len(self._objects)} artifacts)>"
