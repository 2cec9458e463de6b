"""What the tests ask Linux about processes (/proc): which live, whose children,
what they run. A zombie (exited, not yet reaped) counts as gone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    session: int


def _stat(pid: int | str) -> tuple[str, int, int] | None:
    """(state, parent pid, session id), or None if the process is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses.
    state, ppid, _pgrp, session = stat[stat.rindex(")") + 2 :].split()[:4]
    return state, int(ppid), int(session)


def processes() -> Iterator[Process]:
    """Every live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None and stat[0] not in ("Z", "X"):
                yield Process(int(entry.name), stat[1], stat[2])


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def children(pid: int | None) -> set[int]:
    """Live child processes of ``pid`` (a kernel's: its spin processes)."""
    return {p.pid for p in processes() if p.ppid == pid}


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def mentioning(text: str) -> list[int]:
    """Live processes but this one whose command line holds ``text``."""
    me = os.getpid()
    return [p.pid for p in processes() if p.pid != me and text in cmdline(p.pid)]


def still_running(pids: set[int], limit_s: float = 10) -> set[int]:
    """Those of ``pids`` still alive after waiting up to ``limit_s`` for them to end."""
    deadline = time.monotonic() + limit_s
    while (running := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running
