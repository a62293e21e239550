"""Errors of the dose engine: each names the argument that is wrong and why."""

from __future__ import annotations

__all__ = ["BeamError", "DoseGridError"]


class DoseGridError(ValueError):
    """The density grid, its spacing or origin, or a mask does not fit."""


class BeamError(ValueError):
    """A beam or beamlet definition is geometrically impossible."""
