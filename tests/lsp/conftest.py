"""Fixtures for the language server tests: a sandboxed Metaflow and one real run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The engine tests' helpers (real Metaflow runs of the fixture flows).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from flowruns import FlowRun, metaflow_sandbox, run_flow  # noqa: E402

__all__ = ["metaflow_sandbox"]  # shared autouse fixture: Metaflow sandboxed per session


@pytest.fixture(scope="session")
def linear_run(tmp_path_factory: pytest.TempPathFactory) -> FlowRun:
    """One run of LinearFlow; tests edit the flow only in the editor buffer, never on disk."""
    return run_flow(tmp_path_factory.mktemp("linear"), "linear_flow.py")
