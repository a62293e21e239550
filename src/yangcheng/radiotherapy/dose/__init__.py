"""Photon dose engines: a pencil-beam engine (MLC beamlets or cones) and a TMR/OCR ray-tracing
engine for a robotic linac's circular cones; beams, ray tracing, influence matrices."""

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
from yangcheng.radiotherapy.dose.cone_data import (
    CONE_DIAMETERS_MM,
    REFERENCE_CONE_MM,
    REFERENCE_DEPTH_MM,
    ConeBeamData,
    ConeDataError,
    ConeTable,
    cone_data_from_dict,
    cone_data_to_dict,
    generate_cone_data,
    load_cone_data,
    save_cone_data,
)
from yangcheng.radiotherapy.dose.cone_raytrace import (
    ConeLookup,
    cone_columns,
    cone_dose,
    cone_influence_matrix,
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
    "CONE_DIAMETERS_MM",
    "REFERENCE_CONE_MM",
    "REFERENCE_DEPTH_MM",
    "ROBOTIC_SAD_MM",
    "Beam",
    "BeamError",
    "BeamletShape",
    "Beamlets",
    "ConeBeamData",
    "ConeDataError",
    "ConeLookup",
    "ConeTable",
    "DoseGrid",
    "DoseGridError",
    "FieldCheck",
    "PhotonBeamModel",
    "beamlet_dose",
    "check_field",
    "cone_beamlets",
    "cone_columns",
    "cone_data_from_dict",
    "cone_data_to_dict",
    "cone_dose",
    "cone_influence_matrix",
    "field_beamlets",
    "generate_cone_data",
    "influence_matrix",
    "lateral_profile",
    "load_cone_data",
    "lung_slab_ratio",
    "pencil_beamlets",
    "penumbra_80_20_mm",
    "radiological_depth",
    "radiological_depth_cube",
    "save_cone_data",
    "water_phantom",
]
