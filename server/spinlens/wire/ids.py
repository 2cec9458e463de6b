"""The one spin-id format: ``YYYYMMDD-HHMMSS-xxxxxx`` (local time, six hex digits).

Ids start with the time they were asked for, so they sort by time; the random
tail tells apart spins asked for in the same second. A caller (the editor) may
choose a spin's id; it must have this form, since the id names the spin's
folder in the history.
"""

from __future__ import annotations

import re
import time
import uuid

_SPIN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
SECOND_LENGTH = len("20261127-170109")  # the part of an id that gives its time, to the second


def new_spin_id() -> str:
    """A fresh spin id: now, and a random tail."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def is_spin_id(value: object) -> bool:
    """Whether ``value`` is a spin id of the one format."""
    return isinstance(value, str) and _SPIN_ID.fullmatch(value) is not None
