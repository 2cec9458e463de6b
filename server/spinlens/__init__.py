"""Spinlens: spin one Metaflow step's current code against a past run's inputs."""

from .errors import SpinError
from .session import SpinResult, SpinSession
from .wire.events import SourceInfo

__all__ = ["SourceInfo", "SpinError", "SpinResult", "SpinSession"]
__version__ = "0.1.0"
