"""Spinlens in interpreters it does not own: fresh venvs, no numpy, no pyarrow.

1. A venv with only the declared dependencies (pyproject.toml) and spinlens
   (``--no-deps``): every module imports, and a real spin of a stdlib-only flow works.
2. A venv with only Metaflow, plus the libraries the VSIX bundles
   (scripts/bundle_libs.py, run through bundled/spinlens_main.py as the
   extension does): the language server starts, and a spin works.

Both install from the package index (pip's cache makes it quick) and take
about a minute together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OPTIONAL_LIBS = ("numpy", "pandas", "polars", "pyarrow")
# Modules that exist to handle values of an optional library, imported by
# diff/dispatch.py only for such a value: importing one without them must fail.
NEEDS_OPTIONAL = {
    "spinlens.engine.diff.arrays": "numpy",
    "spinlens.engine.diff.scan": "numpy",
    "spinlens.engine.diff.tables": "numpy",
}

FLOW = """\
from metaflow import FlowSpec, Parameter, step


class FirstUseFlow(FlowSpec):
    scale = Parameter("scale", default=2)

    @step
    def start(self):
        self.numbers = [3, 1, 2]
        self.next(self.total)

    @step
    def total(self):
        import statistics

        self.total = sum(self.numbers) * self.scale
        self.mean = statistics.mean(self.numbers)
        self.summary = {"n": len(self.numbers), "max": max(self.numbers)}
        print("total is", self.total)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FirstUseFlow()
"""

IMPORT_ALL = """
import importlib, json, pkgutil, sys
import spinlens
names = sorted(m.name for m in pkgutil.walk_packages(spinlens.__path__, "spinlens."))
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except ImportError as exc:
        failed[name] = exc.name
loaded = [m for m in %r if m in sys.modules]
print(json.dumps({"names": names, "failed": failed, "loaded": loaded, "file": spinlens.__file__}))
"""


def _env() -> dict[str, str]:
    """The test session's environment (Metaflow sandboxed) without this venv's paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"  # nothing from ~/.local either
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path | None = None, timeout: float = 300) -> str:
    started = time.monotonic()
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    label = " ".join([Path(args[0]).name, *(str(a)[:40] for a in args[1:3])])
    print(f"{label}: {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _pip(python: Path) -> list[str | Path]:
    """This pip, installing into ``python``'s environment (no pip of its own needed)."""
    return [sys.executable, "-m", "pip", "--python", python, "install", "--quiet"]


def _venv(folder: Path, *packages: str) -> Path:
    _run([sys.executable, "-m", "venv", "--without-pip", folder])
    python = folder / "bin" / "python"
    if packages:
        _run([*_pip(python), *packages])
    return python


def _importable(python: Path, name: str) -> bool:
    probe = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({name!r}) else 1)"
    return subprocess.run([python, "-c", probe], env=_env()).returncode == 0


REQUIRES = """
import json
from importlib.metadata import requires
declared = [r for r in requires("spinlens") or [] if "extra ==" not in r]
print(json.dumps(declared))
"""


def _flow_folder(root: Path) -> Path:
    folder = root / "flow"
    folder.mkdir()
    (folder / "first_use_flow.py").write_text(FLOW)
    return folder


def _spin_events(python: Path, *entry: str | Path, folder: Path) -> list[dict[str, Any]]:
    """`spinlens spin first_use_flow.py total --json` (after one `run`): its events."""
    _run([python, "first_use_flow.py", "run"], cwd=folder)
    out = _run([python, *entry, "spin", "first_use_flow.py", "total", "--json"], cwd=folder)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _assert_spun(events: list[dict[str, Any]]) -> None:
    finished = [e for e in events if e["event"] == "finished"]
    assert finished, events
    logs = "".join(e["text"] for e in events if e["event"] == "log")
    assert "total is 12" in logs
    artifacts = {e["name"]: e for e in events if e["event"] == "artifact"}
    assert {"total", "mean", "summary", "numbers"} <= artifacts.keys()
    assert artifacts["total"]["type"] == "int"
    assert artifacts["summary"]["vs_inputs"] == "new"


def _declared_venv(root: Path) -> Path:
    """spinlens (--no-deps), then exactly what its metadata declares (pyproject.toml)."""
    python = _venv(root / "venv")
    pip = _pip(python)
    wheel = _run([sys.executable, REPO / "scripts" / "bundle_libs.py", "--wheel", root]).strip()
    _run([*pip, "--no-deps", wheel])
    declared = json.loads(_run([python, "-c", REQUIRES]))
    assert any(r.startswith("metaflow") for r in declared), declared
    _run([*pip, *declared])
    return python


def _bundle(out: Path) -> Path:
    _run([sys.executable, REPO / "scripts" / "bundle_libs.py", out])
    return out


@pytest.fixture(scope="module")
def setups(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future[Path]]]:
    """The two venvs and the bundle, built side by side (mostly waiting on pip)."""
    with ThreadPoolExecutor(3) as pool:
        yield {
            "declared": pool.submit(_declared_venv, tmp_path_factory.mktemp("declared")),
            "bundle": pool.submit(_bundle, tmp_path_factory.mktemp("bundled")),
            "metaflow": pool.submit(
                _venv, tmp_path_factory.mktemp("metaflow-only") / "venv", "metaflow"
            ),
        }


@pytest.fixture
def declared_venv(setups: dict[str, Future[Path]]) -> Path:
    return setups["declared"].result()


@pytest.fixture
def bundle(setups: dict[str, Future[Path]]) -> Path:
    return setups["bundle"].result()


@pytest.fixture
def metaflow_venv(setups: dict[str, Future[Path]]) -> Path:
    return setups["metaflow"].result()


def test_every_module_imports_with_only_the_declared_dependencies(declared_venv: Path) -> None:
    for lib in OPTIONAL_LIBS:
        assert not _importable(declared_venv, lib), f"{lib} is in the fresh venv"
    report = json.loads(_run([declared_venv, "-c", IMPORT_ALL % (OPTIONAL_LIBS,)]))
    assert not report["file"].startswith(str(REPO)), "imported the checkout, not the install"
    assert len(report["names"]) > 40, report["names"]
    assert set(NEEDS_OPTIONAL) <= set(report["names"])
    assert report["failed"] == {name: lib for name, lib in NEEDS_OPTIONAL.items()}
    assert report["loaded"] == []


def test_a_spin_runs_with_only_the_declared_dependencies(
    declared_venv: Path, tmp_path: Path
) -> None:
    spinlens = declared_venv.parent / "spinlens"
    _assert_spun(_spin_events(declared_venv, spinlens, folder=_flow_folder(tmp_path)))


def test_the_bundle_holds_pure_python_only(bundle: Path) -> None:
    assert (bundle / "spinlens_main.py").is_file()
    libs = {p.name for p in (bundle / "libs").iterdir()}
    assert {"spinlens", "cloudpickle", "debugpy"} <= libs
    server = {p.name for p in (bundle / "server").iterdir()}
    assert {"pygls", "lsprotocol", "cattrs", "attrs", "exceptiongroup"} <= server
    assert not any(name.startswith(("metaflow", "pyarrow", "numpy")) for name in libs | server)
    native = [p for p in bundle.rglob("*") if p.suffix in (".so", ".pyd", ".dll", ".dylib")]
    assert native == []


def _lsp_initialize(python: Path, bundle: Path, cwd: Path) -> dict[str, Any]:
    """Start the server as the extension does and read its initialize result."""
    server = subprocess.Popen(
        [python, bundle / "spinlens_main.py", "lsp"],
        cwd=cwd,
        env=_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    try:

        def send(message: dict[str, Any]) -> None:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))  # type: ignore[union-attr]
            server.stdin.flush()  # type: ignore[union-attr]

        send({"id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}})
        length = 0
        while line := server.stdout.readline().strip():
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        reply: dict[str, Any] = json.loads(server.stdout.read(length))
        send({"id": 2, "method": "shutdown"})
        send({"method": "exit"})
        server.wait(timeout=30)
        return reply
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_an_interpreter_with_only_metaflow_spins_with_the_bundle(
    bundle: Path, metaflow_venv: Path, tmp_path: Path
) -> None:
    python = metaflow_venv
    for lib in ("spinlens", "pygls", "cloudpickle", "debugpy", *OPTIONAL_LIBS):
        assert not _importable(python, lib), f"{lib} is in the Metaflow-only venv"
    folder = _flow_folder(tmp_path)
    reply = _lsp_initialize(python, bundle, folder)
    commands = reply["result"]["capabilities"]["executeCommandProvider"]["commands"]
    assert "spinlens.server.spin" in commands
    # The kernel runs with the same interpreter and sees the bundle's libs/ only.
    _assert_spun(_spin_events(python, bundle / "spinlens_main.py", folder=folder))


# -- optional libraries, in this process: what happens where they are missing ----------


@pytest.fixture
def without_pyarrow(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """pyarrow unimportable (None in sys.modules makes ``import pyarrow`` raise)."""
    from spinlens.engine.diff import detect

    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    detect._installed.cache_clear()
    monkeypatch.setattr(detect, "_installed", lambda name: name != "pyarrow")
    yield


def test_the_history_pickles_arrays_without_pyarrow(without_pyarrow: None, tmp_path: Path) -> None:
    # (A DataFrame cannot stand in here: pandas 3, loaded with pyarrow, backs its
    # strings by pyarrow, and pickles them through it.)
    import numpy as np

    from spinlens.engine.storage import MissingPyarrow, StoredValue, read_value, write_value

    array = np.arange(12, dtype=np.float64).reshape(3, 4)
    stored = write_value(tmp_path, "array", array)
    assert (stored.format, stored.file) == ("pickle", "array.pkl")
    np.testing.assert_array_equal(read_value(tmp_path, stored), array)
    with pytest.raises(MissingPyarrow, match="needs pyarrow"):
        read_value(tmp_path, StoredValue("arrow", "numpy", "old.arrow", 10))


def test_tables_diff_as_objects_without_pyarrow(without_pyarrow: None) -> None:
    import pandas as pd

    from spinlens.engine.diff import diff_values

    result = diff_values(pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 3]}))
    assert result.changed
    assert result.kind != "table"
    assert "pyarrow" not in sys.modules or sys.modules["pyarrow"] is None
