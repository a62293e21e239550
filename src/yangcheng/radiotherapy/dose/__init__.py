"""Photon pencil-beam dose engine: beams, ray tracing, dose model, influence matrix."""

from __future__ import annotations

from yangcheng.radiotherapy.dose.beams import (
    CARM_SAD_MM,
    ROBOTIC_SAD_MM,
    Beam,
    Beamlets,
    BeamletShape,
    cone_beamlets,
    field_beamlets,
    pencil_beamlets,
)
from yangcheng.radiotherapy.dose.errors import BeamError, DoseGridError
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.influence import influence_matrix
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel, beamlet_dose, lateral_profile
from yangcheng.radiotherapy.dose.raytrace import radiological_depth, radiological_depth_cube
from yangcheng.radiotherapy.dose.validation import (
    FieldCheck,
    check_field,
    lung_slab_ratio,
    penumbra_80_20_mm,
    water_phantom,
)

__all__ = [
    "CARM_SAD_MM",
    "ROBOTIC_SAD_MM",
    "Beam",
    "BeamError",
    "BeamletShape",
    "Beamlets",
    "DoseGrid",
    "DoseGridError",
    "FieldCheck",
    "PhotonBeamModel",
    "beamlet_dose",
    "check_field",
    "cone_beamlets",
    "field_beamlets",
    "influence_matrix",
    "lateral_profile",
    "lung_slab_ratio",
    "pencil_beamlets",
    "penumbra_80_20_mm",
    "radiological_depth",
    "radiological_depth_cube",
    "water_phantom",
]
