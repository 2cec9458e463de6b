"""Arguments and results of the server commands (docs/protocol.md, "Language server")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams


def invalid(message: str) -> JsonRpcInvalidParams:
    return JsonRpcInvalidParams(message)


def _object(command: str, arguments: Sequence[Any]) -> Mapping[str, Any]:
    """The one object a server command takes (``arguments: [{...}]``)."""
    if len(arguments) != 1 or not isinstance(arguments[0], Mapping):
        raise invalid(f"{command} takes one object argument, e.g. [{{'uri': ...}}]")
    return arguments[0]


def _required(command: str, data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise invalid(f"{command}: '{name}' must be a non-empty string")
    return value


def _optional(command: str, data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # run and task ids are numeric in the local datastore
    return _required(command, data, name)


@dataclass(frozen=True)
class UriArgs:
    """``{uri}`` (cancel, listRuns, restartKernel); ``flow`` is optional."""

    uri: str
    flow: str | None = None

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> UriArgs:
        data = _object(command, arguments)
        return UriArgs(uri=_required(command, data, "uri"), flow=_optional(command, data, "flow"))


@dataclass(frozen=True)
class CancelArgs:
    """``{uri, spinId?}``: without ``spinId``, every spin of the file."""

    uri: str
    spin_id: str | None = None

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> CancelArgs:
        data = _object(command, arguments)
        return CancelArgs(
            uri=_required(command, data, "uri"), spin_id=_optional(command, data, "spinId")
        )


@dataclass(frozen=True)
class SpinArgs:
    """``{uri, step, flow?, run?, index?, task?, overrides?}``."""

    uri: str
    step: str
    flow: str | None = None
    run: str | None = None
    index: int | None = None
    task: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> SpinArgs:
        data = _object(command, arguments)
        uri = _required(command, data, "uri")
        step = _required(command, data, "step")
        index = data.get("index")
        if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
            raise invalid(f"{command}: 'index' must be an integer")
        overrides = data.get("overrides") or {}
        if not isinstance(overrides, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in overrides.items()
        ):
            raise invalid(f"{command}: 'overrides' maps artifact names to Python literal text")
        return SpinArgs(
            uri=uri,
            step=step,
            flow=_optional(command, data, "flow"),
            run=_optional(command, data, "run"),
            index=index,
            task=_optional(command, data, "task"),
            overrides=dict(overrides),
        )


@dataclass(frozen=True)
class SourceRunArgs:
    """``{uri, runId: string | null}``."""

    uri: str
    run_id: str | None

    @staticmethod
    def parse(command: str, arguments: Sequence[Any]) -> SourceRunArgs:
        data = _object(command, arguments)
        uri = _required(command, data, "uri")
        if "runId" not in data:
            raise invalid(f"{command}: 'runId' is required (null: the latest successful run)")
        return SourceRunArgs(uri=uri, run_id=_optional(command, data, "runId"))


@dataclass(frozen=True)
class SpinReply:
    """The result of ``spinlens.server.spin``."""

    spin_id: str
    status: str  # "ok" or "failed"
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"spinId": self.spin_id, "status": self.status}
        if self.error is not None:
            reply["error"] = self.error
        return reply


@dataclass(frozen=True)
class RunInfo:
    """One entry of ``spinlens.server.listRuns``."""

    run_id: str
    status: str  # "ok", "failed" or "running"
    created: float  # unix seconds

    def to_dict(self) -> dict[str, Any]:
        return {"runId": self.run_id, "status": self.status, "created": self.created}
