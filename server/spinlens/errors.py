"""Errors a user can act on. Their messages are shown as they are."""

from __future__ import annotations


class SpinError(Exception):
    """A spin could not start; the message says why and what to do."""

    code = "setup"


class NoSuccessfulRun(SpinError):
    """The flow has no successful run to take inputs from."""

    code = "no-successful-run"

    def __init__(self, flow: str, latest: str | None) -> None:
        detail = f" (the latest run, {latest}, did not succeed)" if latest else ""
        super().__init__(
            f"Flow {flow} has no successful run to take inputs from{detail}. "
            f"Run the flow first (spinlens spin ... --run-flow does it for you), "
            f"or pick a run with --run ID."
        )
        self.flow = flow


class ArtifactLoadError(SpinError):
    """An input artifact exists but cannot be loaded in this environment."""

    code = "artifact-load"

    def __init__(self, name: str, pathspec: str, reason: str) -> None:
        super().__init__(f"Input artifact '{name}' of {pathspec} could not be loaded: {reason}")
        self.name = name
