"""Moved to :mod:`aigate.ops.drift`; this name stays importable for existing callers."""

from aigate.ops.drift import METHODS, DriftConfig, drift_report

__all__ = ["METHODS", "DriftConfig", "drift_report"]
