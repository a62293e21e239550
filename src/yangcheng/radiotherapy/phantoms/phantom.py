"""The `Phantom`: a CT grid with named structures, the common input of dose and evaluation.

Arrays are (nz, ny, nx) C order; `spacing_mm = (dz, dy, dx)`; `origin_mm = (z0, y0, x0)` is the
centre of voxel [0, 0, 0]. Coordinates: x left-right, y anterior-posterior, z superior-inferior
(the matRad/DICOM patient axes; no IEC rotation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.phantoms.errors import InvalidPhantomError, UnknownStructureError
from yangcheng.radiotherapy.phantoms.hlut import MATRAD_DEFAULT_HLUT, hu_to_red, validate_hlut

StructureKind = Literal["target", "oar", "external"]
_KINDS = ("target", "oar", "external")


@dataclass(frozen=True)
class Structure:
    """A named boolean mask. `priority` follows matRad: the LOWER number wins where
    structures overlap (targets usually 1, OARs 2, the body last)."""

    name: str
    mask: NDArray[np.bool_]
    kind: StructureKind
    priority: int = 2

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidPhantomError(
                f"structure {self.name!r}: kind {self.kind!r} is not one of {_KINDS}"
            )
        if self.mask.dtype != np.bool_:
            raise InvalidPhantomError(
                f"structure {self.name!r}: mask dtype is {self.mask.dtype}, expected bool"
            )

    @property
    def voxel_count(self) -> int:
        return int(np.count_nonzero(self.mask))


@dataclass
class Phantom:
    """CT numbers plus structures on one grid; `hlut` converts HU to electron density."""

    hu: NDArray[np.generic]
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    structures: dict[str, Structure] = field(default_factory=dict)
    hlut: NDArray[np.float64] = field(default_factory=lambda: MATRAD_DEFAULT_HLUT.copy())
    name: str = "phantom"

    def __post_init__(self) -> None:
        if self.hu.ndim != 3:
            raise InvalidPhantomError(
                f"{self.name}: hu must be 3-D (nz, ny, nx); got {self.hu.shape}"
            )
        if len(self.spacing_mm) != 3 or any(s <= 0 for s in self.spacing_mm):
            raise InvalidPhantomError(
                f"{self.name}: spacing_mm must be three positive numbers; got {self.spacing_mm}"
            )
        if len(self.origin_mm) != 3:
            raise InvalidPhantomError(f"{self.name}: origin_mm must have 3 values")
        self.spacing_mm = tuple(float(s) for s in self.spacing_mm)  # type: ignore[assignment]
        self.origin_mm = tuple(float(o) for o in self.origin_mm)  # type: ignore[assignment]
        self.hlut = validate_hlut(self.hlut)
        for key, structure in self.structures.items():
            if structure.mask.shape != self.hu.shape:
                raise InvalidPhantomError(
                    f"{self.name}: structure {key!r} mask shape {structure.mask.shape} "
                    f"differs from grid {self.hu.shape}"
                )

    @property
    def shape(self) -> tuple[int, int, int]:
        nz, ny, nx = self.hu.shape
        return (nz, ny, nx)

    @property
    def voxel_volume_cc(self) -> float:
        dz, dy, dx = self.spacing_mm
        return dz * dy * dx / 1000.0

    def relative_electron_density(self) -> NDArray[np.float32]:
        """RED per voxel through this phantom's HLUT (default: matRad's default table)."""
        return hu_to_red(self.hu, self.hlut)

    def mask_of(self, name: str) -> NDArray[np.bool_]:
        try:
            return self.structures[name].mask
        except KeyError:
            raise UnknownStructureError(name, list(self.structures)) from None

    def volume_cc(self, name: str) -> float:
        return float(np.count_nonzero(self.mask_of(name))) * self.voxel_volume_cc

    def axes_mm(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Voxel-centre coordinates (z, y, x) along each axis."""
        z, y, x = (
            o + s * np.arange(n, dtype=np.float64)
            for o, s, n in zip(self.origin_mm, self.spacing_mm, self.shape, strict=True)
        )
        return z, y, x

    def targets(self) -> list[str]:
        return [k for k, s in self.structures.items() if s.kind == "target"]
