"""Per-spin limits: the step's memory (enforced in the child) and the output the
kernel forwards (a step printing 100 MB must not flood the session or the editor).
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..wire import events

MB = 1 << 20
# Output forwarded per spin (stdout and stderr together). Past it the kernel
# keeps reading, so the step never blocks on a full pipe, but drops the bytes.
LOG_LIMIT_BYTES = 4 * MB

MEMORY_LIMIT_CODE = "memory-limit"


# -- memory ------------------------------------------------------------------


def _address_space() -> int | None:
    """This process's virtual size in bytes (VmSize), or None without /proc."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def memory_limit(limit_mb: int | None) -> Iterator[bool]:
    """Let the code inside grow this process's address space by at most
    ``limit_mb`` MB; past it, allocations fail with MemoryError in the step.

    Relative to the current size, because a spin child already maps the
    kernel's inputs (copy-on-write) and Python, Metaflow and the flow's imports.
    Only the soft RLIMIT_AS is lowered, so it is restored afterwards and the
    outputs can be compared and stored. Yields whether a limit is in force.
    """
    current = _address_space() if limit_mb and limit_mb > 0 else None
    if current is None or limit_mb is None:
        yield False
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = current + limit_mb * MB
    for bound in (soft, hard):  # never loosen a limit the user set themselves
        if bound != resource.RLIM_INFINITY:
            wanted = min(wanted, bound)
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    try:
        yield True
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def memory_errors(limit_mb: int | None) -> tuple[type[BaseException], ...]:
    """What to catch as "past the memory limit": MemoryError when a limit is set,
    nothing otherwise (an ``except`` with an empty tuple catches nothing, so an
    unlimited step's MemoryError stays an ordinary exception)."""
    return (MemoryError,) if limit_mb and limit_mb > 0 else ()


def memory_failure(failure: events.Failed, limit_mb: int) -> events.Failed:
    """The step's MemoryError, said as the limit it hit and how to raise it."""
    where = f" (line {failure.line} of {os.path.basename(failure.file)})" if failure.file else ""
    return replace(
        failure,
        kind="memory",
        code=MEMORY_LIMIT_CODE,
        error=(
            f"The step went past its {limit_mb} MB memory limit{where} and got a MemoryError. "
            f"Raise the limit with --memory-limit MB (the spinlens.memoryLimitMB setting "
            f"in the editor), or 0 for no limit."
        ),
    )


# -- forwarded output --------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


@dataclass
class LogBudget:
    """How much of one spin's output the kernel still forwards."""

    limit: int = LOG_LIMIT_BYTES
    forwarded: int = 0
    dropped: int = 0
    announced: bool = False  # the "truncated" marker went out
    reported: int = 0  # dropped bytes already counted in a closing marker

    def take(self, data: bytes) -> tuple[bytes, str | None]:
        """The part of ``data`` to forward and, when this chunk crosses the limit,
        the marker that says the rest is not shown."""
        keep = max(min(len(data), self.limit - self.forwarded), 0)
        self.forwarded += keep
        self.dropped += len(data) - keep
        if keep == len(data) or self.announced:
            return data[:keep], None
        self.announced = True
        return data[:keep], (
            f"\n[spinlens] output truncated after {_megabytes(self.limit)}; "
            "the rest of this spin's output is not shown.\n"
        )

    def closing(self) -> str | None:
        """Once the output has ended: how much was not shown, if anything."""
        if self.dropped <= self.reported:
            return None
        self.reported = self.dropped
        return (
            f"[spinlens] output truncated after {_megabytes(self.limit)}; "
            f"{_megabytes(self.dropped)} more not shown.\n"
        )
