"""A helper package beside the flow, imported by its steps."""

from scoring.metrics import weighted_mean

__all__ = ["weighted_mean"]
