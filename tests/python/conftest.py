"""Fixtures: Metaflow sandboxed per test session, and runs of the fixture flows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flowruns import FlowRun, metaflow_sandbox, run_flow

__all__ = ["metaflow_sandbox"]  # shared autouse fixture: Metaflow sandboxed per session


@pytest.fixture(scope="session")
def flow_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., FlowRun]:
    """One shared, read-only run per fixture flow (and arguments) per session."""
    cache: dict[tuple[str, tuple[str, ...], tuple[str, ...]], FlowRun] = {}

    def get(flow_file: str, *run_args: str, top_args: tuple[str, ...] = ()) -> FlowRun:
        key = (flow_file, run_args, top_args)
        if key not in cache:
            folder = tmp_path_factory.mktemp(flow_file.removesuffix(".py"))
            cache[key] = run_flow(folder, flow_file, *run_args, top_args=top_args)
        return cache[key]

    return get


@pytest.fixture
def fresh_run(tmp_path: Path) -> Callable[..., FlowRun]:
    """A private run whose flow file a test may edit."""

    def make(flow_file: str, *run_args: str, top_args: tuple[str, ...] = ()) -> FlowRun:
        return run_flow(tmp_path / "work", flow_file, *run_args, top_args=top_args)

    return make
