"""Phantoms for planning and evaluation: the `Phantom` grid with named structures, matRad
`.mat` reading/writing, the real TG-119 phantom, and synthetic C-shape and water phantoms."""

from __future__ import annotations

from yangcheng.radiotherapy.phantoms.errors import (
    InvalidPhantomError,
    MatradFormatError,
    PhantomError,
    PhantomNotAvailableError,
    UnknownStructureError,
)
from yangcheng.radiotherapy.phantoms.hlut import MATRAD_DEFAULT_HLUT, hu_to_red, red_to_hu
from yangcheng.radiotherapy.phantoms.matrad import (
    mask_to_matrad_indices,
    matrad_indices_to_mask,
    read_matrad,
    write_matrad,
)
from yangcheng.radiotherapy.phantoms.phantom import Phantom, Structure, StructureKind
from yangcheng.radiotherapy.phantoms.synthetic import (
    c_shape_analytic_volumes_cc,
    c_shape_phantom,
    water_phantom,
)
from yangcheng.radiotherapy.phantoms.tg119 import default_cache_dir, find_pyradplan_wheel, tg119

__all__ = [
    "MATRAD_DEFAULT_HLUT",
    "InvalidPhantomError",
    "MatradFormatError",
    "Phantom",
    "PhantomError",
    "PhantomNotAvailableError",
    "Structure",
    "StructureKind",
    "UnknownStructureError",
    "c_shape_analytic_volumes_cc",
    "c_shape_phantom",
    "default_cache_dir",
    "find_pyradplan_wheel",
    "hu_to_red",
    "mask_to_matrad_indices",
    "matrad_indices_to_mask",
    "read_matrad",
    "red_to_hu",
    "tg119",
    "water_phantom",
    "write_matrad",
]
