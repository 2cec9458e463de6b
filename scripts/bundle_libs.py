"""Fill bundled/ with the backend's own Python libraries, for the VSIX.

    python scripts/bundle_libs.py [OUT]        OUT defaults to bundled/
    python scripts/bundle_libs.py --wheel DIR  only spinlens's wheel, into DIR

spinlens is built from this checkout, and its declared dependencies (read from
the built wheel's metadata: pyproject.toml is the one list) are installed from
PyPI with pip into

    OUT/libs/    spinlens itself, cloudpickle, debugpy: what kernels import too
    OUT/server/  pygls, lsprotocol and their dependencies: the language server only

plus OUT/spinlens_main.py (scripts/spinlens_main.py), which runs the server
(or the CLI) with both on sys.path. Only pure-Python wheels are taken
(`--platform any`, for Python 3.10, with its backports), so one VSIX runs on any
OS and CPU and any Python from 3.10 on. For debugpy that is its py2.py3-none-any
wheel: pure-Python pydevd, without the optional Cython speedups (stepping is
slower, nothing else changes). Metaflow is not bundled: the user's interpreter
has it, as their flows need it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import PathDistribution
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KERNEL_LIBS = {"cloudpickle", "debugpy"}  # imported by kernels and spin children too
NOT_BUNDLED = {"metaflow"}  # the user's interpreter has it
OLDEST_PYTHON = "3.10"
# pip evaluates dependency markers for the Python running it, not for
# --python-version: what the bundle needs on 3.10 only is named here
# (cattrs imports exceptiongroup below 3.11).
BACKPORTS = ["exceptiongroup"]
# The native files inside debugpy's pure wheel: helpers to attach to a process by
# pid (16 MB; the spin child calls debugpy.listen itself, so they are never used)
# and a Windows/CPython 3.9 speedup; pydevd runs without them.
NATIVE = ("*.so", "*.pyd", "*.dll", "*.dylib", "*.exe", "*.pdb")


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    if match is None:
        raise ValueError(f"unreadable requirement {requirement!r}")
    return match.group(0).lower().replace("_", "-")


def runtime_requirements(libs: Path) -> list[str]:
    """The dependencies the spinlens in ``libs`` declares, without extras."""
    (info,) = libs.glob("spinlens-*.dist-info")
    declared = PathDistribution(info).requires or []
    return [r for r in declared if "extra ==" not in r and _name(r) not in NOT_BUNDLED]


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*command, "--no-compile", *args], check=True)


def _pure(target: Path, requirements: list[str]) -> None:
    if requirements:
        _pip(
            "--target", str(target), "--only-binary=:all:", "--platform", "any",
            "--implementation", "py", "--python-version", OLDEST_PYTHON, *requirements,
        )  # fmt: skip


def build_wheel(out: Path) -> Path:
    """spinlens's wheel, built from a copy of what it is made of: setuptools builds
    in the source tree's build/, which keeps modules that no longer exist."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
        shutil.copytree(REPO / "server", source / "server", ignore=ignore)
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(REPO / name, source / name)
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*command, "--no-deps", "-w", tmp, str(source)], check=True)
        (wheel,) = Path(tmp).glob("spinlens-*.whl")
        return Path(shutil.copy2(wheel, out / wheel.name))


def bundle(out: Path) -> None:
    libs, server = out / "libs", out / "server"
    for folder in (libs, server):
        shutil.rmtree(folder, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        _pip("--target", str(libs), "--no-deps", str(build_wheel(Path(tmp))))
    shutil.rmtree(libs / "bin")  # the console script, for the build's own Python
    requirements = runtime_requirements(libs)
    kernel = [r for r in requirements if _name(r) in KERNEL_LIBS]
    _pure(libs, kernel)
    _pure(server, [r for r in requirements if r not in kernel] + BACKPORTS)
    for folder in (libs, server):
        shutil.rmtree(folder / "bin", ignore_errors=True)  # console scripts: not used
        for cache in list(folder.rglob("__pycache__")):
            shutil.rmtree(cache, ignore_errors=True)
    for pattern in NATIVE:
        for binary in (libs / "debugpy").rglob(pattern):
            binary.unlink()
    shutil.copy2(REPO / "scripts" / "spinlens_main.py", out / "spinlens_main.py")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--wheel"]:
        print(build_wheel(Path(sys.argv[2])))
    else:
        bundle(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "bundled")
