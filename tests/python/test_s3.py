"""A run stored in S3 (moto's server on loopback) spins like a local one.

Its inputs download once per kernel, with progress while they do; re-spins on
the warm kernel ask S3 for nothing; and the run's objects stay untouched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from flowruns import FlowRun, run_flow, tree_digest
from latency_proxy import LatencyProxy
from s3server import BUCKET, Request, S3Server, s3_server
from spinlens import SpinSession
from spinlens.session import SpinResult
from spinlens.wire.events import Progress, Started

__all__ = ["s3_server"]  # the fixture, used by name below

# Settings a developer's shell may carry that would take Metaflow or boto3
# somewhere other than the test server.
_FOREIGN = ("METAFLOW_PROFILE", "METAFLOW_SERVICE_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")


@pytest.fixture(scope="module")
def s3_run(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowRun]:
    """payload_flow run with ``--datastore s3``; the environment keeps pointing
    Metaflow at the server for the module, so kernels started by tests inherit it."""
    home = tmp_path_factory.mktemp("metaflow-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in _FOREIGN:
            patch.delenv(name, raising=False)
        for name, value in s3_server.metaflow_env(home).items():
            patch.setenv(name, value)
        folder = tmp_path_factory.mktemp("s3run")
        yield run_flow(folder, "payload_flow.py", top_args=("--datastore", "s3"))


def _expected() -> tuple[np.ndarray, bytes]:
    rng = np.random.default_rng(7)  # as payload_flow's start
    return rng.random(500_000), rng.bytes(2 << 20)


def _checked(result: SpinResult) -> SpinResult:
    """The spin worked and saw the run's values (read now: a spin's values are
    served by its process only until the next spin)."""
    assert result.ok, result.error
    samples, raw = _expected()
    assert result.artifacts["mean"] == float(samples.mean())
    assert result.artifacts["raw_len"] == len(raw)
    assert result.artifacts["head"] == raw[:4]
    np.testing.assert_array_equal(result.artifacts["samples"], samples)
    assert result.artifact_events["mean"].vs_source == "unchanged"
    return result


def _progress(result: SpinResult) -> list[str]:
    return [e.message for e in result.events if isinstance(e, Progress)]


def _started(result: SpinResult) -> Started:
    return next(e for e in result.events if isinstance(e, Started))


def _blob_gets(requests: list[Request]) -> list[str]:
    """Object keys of the content-addressed blobs read, one per GET."""
    prefix = f"/{BUCKET}/metaflow/PayloadFlow/data/"
    return [
        r.path.split("?")[0].removeprefix(f"/{BUCKET}/")
        for r in requests
        if r.method == "GET" and r.path.startswith(prefix)
    ]


def _announced(messages: list[str]) -> int:
    """Artifacts the progress messages said would be downloaded."""
    return sum(
        int(m.split()[1]) for m in messages if m.startswith("downloading ") and " from " in m
    )


def test_s3_run_downloads_once_per_kernel_and_is_never_written(
    s3_server: S3Server, s3_run: FlowRun, tmp_path: Path
) -> None:
    run = s3_run
    stored = s3_server.objects()
    blobs = {
        k: size for k, (_, size) in stored.items() if k.startswith("metaflow/PayloadFlow/data/")
    }
    big = sorted(k for k, size in blobs.items() if size > 1 << 20)
    assert len(big) == 2, blobs  # samples and raw, stored in S3, not locally
    assert any(k.startswith(f"metaflow/PayloadFlow/{run.run_id}/start/") for k in stored)
    local_before = tree_digest(run.datastore)  # the run's local metadata
    folder_before = sorted(p.name for p in run.folder.iterdir())

    mark = len(s3_server.requests())
    with SpinSession(run.file, history_dir=tmp_path / "history") as session:
        cold = _checked(session.spin("summarize"))
        after_cold = len(s3_server.requests())
        warm = _checked(session.spin("summarize"))
        after_warm = len(s3_server.requests())
        session.restart()  # a new kernel: cold again, but the blobs are in the client cache
        cached = _checked(session.spin("summarize"))
        after_cached = len(s3_server.requests())

    requests = s3_server.requests()
    cold_requests = requests[mark:after_cold]
    warm_requests = requests[after_cold:after_warm]
    cached_requests = requests[after_warm:after_cached]

    # Cold: each large input was fetched from S3 once, and progress said so.
    cold_gets = _blob_gets(cold_requests)
    assert set(big) <= set(cold_gets), cold_gets
    assert len(cold_gets) == len(set(cold_gets)), cold_gets  # no blob fetched twice
    messages = _progress(cold)
    where = f"{s3_server.sysroot}/PayloadFlow/{run.run_id}/start/"
    assert any(m.startswith("downloading ") and where in m for m in messages), messages
    assert any(m.startswith("downloading samples (3.8 MB") for m in messages), messages
    assert any(m.startswith("downloading raw (2.0 MB") for m in messages), messages
    assert any(m.startswith("downloaded ") for m in messages), messages
    assert 2 <= _announced(messages) <= len(cold_gets)
    assert not _started(cold).warm

    # Warm: the kernel kept the inputs; S3 heard nothing at all.
    assert _started(warm).warm
    assert warm_requests == []
    assert not any("download" in m for m in _progress(warm))

    # New kernel, same machine: metadata may be listed again, but no blob is
    # downloaded, and progress does not claim one.
    assert not _started(cached).warm
    assert _blob_gets(cached_requests) == []
    assert not any("download" in m for m in _progress(cached))

    # Read-only: no write request reached S3, every object is as it was, and the
    # local metadata of the run is byte-identical.
    writes = [r for r in requests[mark:] if r.method not in ("GET", "HEAD")]
    assert writes == []
    assert s3_server.objects() == stored
    assert tree_digest(run.datastore) == local_before
    # Metaflow's S3 client downloads through temporary folders beside the flow: gone.
    assert sorted(p.name for p in run.folder.iterdir()) == folder_before


def test_a_wide_s3_join_reads_its_inputs_side_by_side(
    s3_server: S3Server,
    s3_run: FlowRun,  # for the module's environment, which points Metaflow at the server
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run = run_flow(tmp_path / "run", "wide_join_flow.py", "--max-workers", "4")
    items = [7, 3, 11, 0, 9, 4, 1, 10, 6, 2, 8, 5]  # as wide_join_flow's start
    # Each request to S3 now waits 50 ms, as over a network: one at a time, the
    # twelve parents' datastores and blobs would be in flight one by one.
    proxy = LatencyProxy(s3_server.port, 0.05).start()
    try:
        monkeypatch.setenv("METAFLOW_S3_ENDPOINT_URL", proxy.endpoint)
        mark = len(s3_server.requests())
        with SpinSession(run.file, history_dir=tmp_path / "history") as session:
            result = session.spin("join")
    finally:
        proxy.stop()
    assert result.ok, result.error
    # The run's split order, which Metaflow's metadata records for every task.
    assert result.artifacts["order"] == [10 * item for item in items]
    assert result.artifacts["tags"] == [f"split-{i}" for i in range(len(items))]
    assert result.artifact_events["order"].vs_source == "unchanged"
    messages = _progress(result)
    assert any(m.startswith("downloading ") and " of 13 tasks " in m for m in messages), messages
    gets = [r.path for r in s3_server.requests()[mark:] if r.method == "GET" and "/data/" in r.path]
    assert len(gets) == len(set(gets)), gets  # each blob fetched once
    assert proxy.peak_in_flight >= 4, proxy.peak_in_flight


def test_team_settings_from_a_metaflow_profile_reach_the_kernel(
    s3_server: S3Server,
    s3_run: FlowRun,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documented set-up: S3 settings in $METAFLOW_HOME/config_<profile>.json
    and METAFLOW_PROFILE in the environment, nothing else."""
    home = tmp_path / "metaflowconfig"
    home.mkdir()
    settings = {
        key: value
        for key, value in s3_server.metaflow_env(home).items()
        if key.startswith("METAFLOW_") and key != "METAFLOW_HOME"
    }
    (home / "config_team.json").write_text(json.dumps(settings))
    for key in settings:
        monkeypatch.delenv(key)
    monkeypatch.setenv("METAFLOW_HOME", str(home))
    monkeypatch.setenv("METAFLOW_PROFILE", "team")
    # An empty client cache, so this kernel has to reach S3 through the profile.
    monkeypatch.setenv("METAFLOW_CLIENT_CACHE_PATH", str(tmp_path / "client-cache"))

    mark = len(s3_server.requests())
    with SpinSession(s3_run.file, history_dir=tmp_path / "history") as session:
        result = _checked(session.spin("summarize"))
    assert any(m.startswith("downloading samples") for m in _progress(result))
    assert _blob_gets(s3_server.requests()[mark:])
