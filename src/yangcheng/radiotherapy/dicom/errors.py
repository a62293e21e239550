"""DICOM export errors: each names the argument that is wrong, so a service can map it to a 4xx."""

from __future__ import annotations

__all__ = ["DicomExportError", "InvalidDoseError", "InvalidPlanError"]


class DicomExportError(ValueError):
    """Base class of every DICOM export error."""


class InvalidDoseError(DicomExportError):
    """A dose cube that does not fit the phantom grid or holds NaN, infinite or negative dose."""


class InvalidPlanError(DicomExportError):
    """Beams, beamlets, weights or prescription that cannot be written as an RT Plan."""
