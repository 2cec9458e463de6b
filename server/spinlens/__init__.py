"""Spinlens: spin one Metaflow step's current code against a past run's inputs."""

from .errors import SpinError
from .events import SourceInfo
from .session import SpinResult, SpinSession

__all__ = ["SourceInfo", "SpinError", "SpinResult", "SpinSession"]
__version__ = "0.1.0"
