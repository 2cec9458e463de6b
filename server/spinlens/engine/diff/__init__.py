"""What changed in an artifact: diff_values(old, new) -> ValueDiff, for any two values.

One handler per kind of value (tables, arrays, containers, scalars, objects),
picked by type in dispatch.py; results are capped in size and time, and a
handler that fails is reported in the result instead of raising.
"""

from .dispatch import CATEGORIES, DEFAULT_LIMITS, Category, diff_values
from .model import DiffLimits, Kind, ValueDiff

__all__ = [
    "CATEGORIES",
    "DEFAULT_LIMITS",
    "Category",
    "DiffLimits",
    "Kind",
    "ValueDiff",
    "diff_values",
]
