"""Real Metaflow runs in temporary folders, and ways to compare their artifacts."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from spinlens.engine.metaflow_env import ensure_user

FLOWS = Path(__file__).parent / "flows"


@pytest.fixture(scope="session", autouse=True)
def metaflow_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Metaflow's user name and client cache inside the test session (inherited by
    every process a test starts). Imported by the conftest files that need it."""
    saved = dict(os.environ)
    ensure_user()
    os.environ["METAFLOW_CLIENT_CACHE_PATH"] = str(tmp_path_factory.mktemp("client-cache"))
    os.environ.pop("METAFLOW_DATASTORE_SYSROOT_LOCAL", None)
    yield
    os.environ.clear()
    os.environ.update(saved)


@dataclass(frozen=True)
class FlowRun:
    """A flow file in its own folder, and the run Metaflow made of it there."""

    folder: Path
    file: Path
    flow: str
    run_id: str

    @property
    def datastore(self) -> Path:
        return self.folder / ".metaflow"

    def client_run(self) -> Any:
        """The run through Metaflow's Client, pointed at this folder's datastore."""
        from metaflow import Run
        from metaflow.plugins.datastores.local_storage import LocalStorage

        # The Client caches the local datastore root per process; tests use many.
        LocalStorage.datastore_root = str(self.datastore)
        return Run(f"{self.flow}/{self.run_id}", _namespace_check=False)


def run_flow(
    folder: Path, flow_file: str, *run_args: str, top_args: tuple[str, ...] = (), ok: bool = True
) -> FlowRun:
    """Copy a fixture flow into ``folder`` and run it there with Metaflow."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / flow_file
    shutil.copy(FLOWS / flow_file, target)
    completed = subprocess.run(
        [sys.executable, flow_file, *top_args, "run", *run_args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if ok:
        assert completed.returncode == 0, completed.stdout + completed.stderr
    flow = flow_class(target)
    run_id = latest_run_id(folder, flow)
    return FlowRun(folder, target, flow, run_id)


def flow_class(path: Path) -> str:
    from spinlens.flow_analysis import analyze_file

    return analyze_file(path).flow().name


def latest_run_id(folder: Path, flow: str) -> str:
    runs = sorted(
        (p for p in (folder / ".metaflow" / flow).iterdir() if p.name.isdigit()),
        key=lambda p: int(p.name),
    )
    return runs[-1].name


def tree_digest(folder: Path) -> str:
    """Every file's path, size and bytes under folder: proof nothing was written."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assert_same(actual: Any, expected: Any, where: str = "value") -> None:
    """Deep equality that understands numpy arrays and pandas objects."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, obj=where)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, obj=where)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), where
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, (list, tuple)) and not hasattr(expected, "_fields"):
        assert type(actual) is type(expected) and len(actual) == len(expected), where
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def python_without_metaflow(folder: Path) -> Path:
    """A venv whose Python has Spinlens and its dependencies (this interpreter's
    packages, linked) but neither Metaflow nor pip: a user's wrong interpreter."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120
    )
    shadow = folder / "shadow"
    shadow.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(("metaflow", "pip", "__editable__", "__pycache__")):
            (shadow / entry.name).symlink_to(entry)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    server = Path(__file__).resolve().parents[2] / "server"
    Path(purelib, "spinlens.pth").write_text(f"{server}\n{shadow}\n")
    return python
