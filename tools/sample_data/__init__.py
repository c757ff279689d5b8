"""Calibrated sample landing files (customs bulletins, detail extracts, train logs)."""

from .generator import generate

__all__ = ["generate"]
