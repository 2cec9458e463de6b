"""How sizes and ages read, the same in the CLI, the language server, the extension
and the panel (extension/src/format.ts follows these rules; both are checked
against tests/fixtures/units.json).

- Sizes use binary units. Below 1 KB they are whole bytes; above, one decimal
  rounded half up in integer arithmetic (floats would round ties differently
  in Python and JavaScript), moving to the next unit when the rounding reaches
  1024.0 ("1024.0 KB" reads as "1.0 MB").
- Ages count whole units elapsed (floored): 90 s is "1 min ago", never "2".
"""

from __future__ import annotations

import math

_SIZE_UNITS = ("KB", "MB", "GB", "TB")
_AGE_UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def size_text(size: int | float | None) -> str:
    """ "512 B", "1.5 KB", "40.1 MB"; "?" for an unknown or negative size."""
    if size is None or not math.isfinite(size) or size < 0:
        return "?"
    size = int(size)
    if size < 1024:
        return f"{size} B"
    scale = 1024
    for index, unit in enumerate(_SIZE_UNITS):
        tenths = (size * 10 + scale // 2) // scale
        if tenths < 10240 or index == len(_SIZE_UNITS) - 1:
            return f"{tenths // 10}.{tenths % 10} {unit}"
        scale *= 1024
    raise AssertionError("unreachable")


def age_text(seconds: float) -> str:
    """ "12 s ago", "1 min ago" (60-119 s), "3 h ago", "2 d ago"; never in the future."""
    whole = max(0, int(seconds))
    for unit, length in _AGE_UNITS:
        if whole >= length:
            return f"{whole // length} {unit} ago"
    return f"{whole} s ago"
