"""The language server starts without the engine's heavy imports: Metaflow,
pyarrow, numpy and pandas load in the kernel, or when a value is first read."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("metaflow", "pyarrow", "numpy", "pandas")


@pytest.mark.parametrize("entry", ["spinlens.lsp.server", "spinlens.cli"])
def test_the_server_imports_none_of_the_engine_s_heavy_modules(entry: str) -> None:
    probe = f"import sys, {entry}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    assert loaded == [], f"importing {entry} loads {loaded}"
