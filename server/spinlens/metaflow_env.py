"""Process environment that Metaflow needs."""

from __future__ import annotations

import getpass
import os


def ensure_user() -> None:
    """Metaflow refuses to work without a user name, which CI machines often lack."""
    if not (os.environ.get("USERNAME") or os.environ.get("USER")):
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "spinlens"
        os.environ["USERNAME"] = name or "spinlens"
