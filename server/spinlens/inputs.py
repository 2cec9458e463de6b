"""Input artifacts held warm in the kernel, and the table a spun step reads them from.

The kernel loads each distinct blob once (artifacts are keyed by content, so a
DataFrame passed down ten steps is one object) and fingerprints it. A forked
child sees the same objects copy-on-write through ``ArtifactTable``, which
stands in for the parts of Metaflow's TaskDataStore that a running step uses.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import ArtifactLoadError
from .fingerprint import Fingerprint, UnpicklableValue, fingerprint
from .resolve import TaskInputs

_MAIN_MODULE_HINT = "on <module '__main__'"


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

    def load(
        self,
        task: TaskInputs,
        keep: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        """Load (or, with keep=False, only fingerprint) every artifact of a task."""
        for name, key in task.objects.items():
            if key in self.values or key in self.errors or key in self.deferred:
                continue
            if not keep and key in self.fingerprints:
                continue
            size = task.info.get(name, {}).get("size") or 0
            if progress and size > 8 << 20:
                progress(f"loading {name} ({size / 2**20:.0f} MB) from {task.pathspec}")
            try:
                value = next(iter(task.datastore.load_artifacts([name])))[1]
            except Exception as exc:  # any unpickling failure is reported per artifact
                reason = f"{type(exc).__name__}: {exc}"
                if _MAIN_MODULE_HINT in str(exc):
                    self.deferred[key] = (task, name)
                else:
                    self.errors[key] = reason
                continue
            try:
                self.fingerprints[key] = fingerprint(value, remember=keep)
            except UnpicklableValue:
                pass
            if keep:
                self.values[key] = value
                self.origins[key] = (task, name)

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
                self.errors[key] = f"{type(exc).__name__}: {exc}"
            else:
                self.values[key] = value
                return value
        raise ArtifactLoadError(name, pathspec, self.errors.get(key, "it is not in the datastore"))

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
    ) -> None:
        self.pathspec = pathspec
        self.store = store
        self._objects: dict[str, str] = dict(objects or {})
        self._info: dict[str, dict[str, Any]] = dict(info or {})
        self.accessed: dict[str, Any] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._objects

    def __getitem__(self, name: str) -> Any:
        key = self._objects[name]
        value = self.store.get(key, name, self.pathspec)
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
        self._info[name] = {}

    def __repr__(self) -> str:
        return f"<ArtifactTable {self.pathspec} ({len(self._objects)} artifacts)>"
