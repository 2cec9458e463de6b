"""Re-exports the base flow, so the flow file imports it from the package."""

from .base import BaseFlow

__all__ = ["BaseFlow"]
