"""bench/RESULTS.md: each benchmark owns one "## " section and rewrites only that."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
from pathlib import Path


def write_section(path: Path, heading: str, section: str) -> None:
    """Replace (or add) the section that starts with ``heading``, keeping the others."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.M | re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip() + "\n\n", text, count=1)
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    path.write_text(text.rstrip() + "\n")


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine(packages: tuple[str, ...]) -> list[str]:
    """Two markdown lines naming the machine and the versions that matter."""
    cpu = _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown"
    memory = _proc_field("/proc/meminfo", "MemTotal")
    ram = f"; RAM {int(memory.split()[0]) / 2**20:.1f} GiB" if memory else ""
    versions = ", ".join(f"{name} {importlib.metadata.version(name)}" for name in packages)
    return [
        f"- CPU: {cpu}; nproc {len(os.sched_getaffinity(0))}{ram}",
        f"- Python {platform.python_version()} ({platform.system()} {platform.release()}); "
        f"{versions}",
    ]
