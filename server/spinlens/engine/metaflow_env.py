"""Process environment that Metaflow needs."""

from __future__ import annotations

import os

FALLBACK_USER = "spinlens"


def ensure_user() -> None:
    """Give Metaflow a user name when the environment has no usable one.

    Metaflow reads SUDO_USER, USERNAME and USER and refuses "root", so a CI
    machine running as root with none of them set cannot run or read flows.
    """
    names = [os.environ.get(var) for var in ("SUDO_USER", "USERNAME", "USER")]
    if not any(name and name != "root" for name in names):
        os.environ["USERNAME"] = FALLBACK_USER
