"""Fixtures for the language server tests: a sandboxed Metaflow and one real run."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The engine tests' helpers (real Metaflow runs of the fixture flows).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))

from flowruns import FlowRun, run_flow  # noqa: E402
from spinlens.metaflow_env import ensure_user  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def metaflow_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Metaflow's user name and client cache inside the test session (inherited by
    the server and its kernels)."""
    saved = dict(os.environ)
    ensure_user()
    os.environ["METAFLOW_CLIENT_CACHE_PATH"] = str(tmp_path_factory.mktemp("client-cache"))
    os.environ.pop("METAFLOW_DATASTORE_SYSROOT_LOCAL", None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def linear_run(tmp_path_factory: pytest.TempPathFactory) -> FlowRun:
    """One run of LinearFlow; tests edit the flow only in the editor buffer, never on disk."""
    return run_flow(tmp_path_factory.mktemp("linear"), "linear_flow.py")
