"""Water-phantom checks of the dose model against published 6 MV beam data.

Everything goes through the real pipeline (grid -> ray trace -> beamlet dose),
only the query points are restricted to the lines a physicist would scan
(central axis, lateral profiles). The isocentre is placed on the water
surface, so SSD = SAD (100 cm for the C-arm reference field, 80 cm for the
robotic cones), the usual measurement set-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dose.beams import Beam, BeamletShape
from yangcheng.radiotherapy.dose.grid import DoseGrid
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel, beamlet_dose
from yangcheng.radiotherapy.dose.raytrace import radiological_depth

__all__ = [
    "FieldCheck",
    "central_axis_dose",
    "check_field",
    "lung_slab_ratio",
    "penumbra_80_20_mm",
    "water_phantom",
]

FloatArray = NDArray[np.float64]


def water_phantom(
    depth_mm: float = 300.0, width_mm: float = 240.0, spacing_mm: float = 2.0
) -> DoseGrid:
    """Water box with its entrance surface at y = 0 (beams from -y), centred in x and z."""
    ny = round(depth_mm / spacing_mm)
    nw = round(width_mm / spacing_mm)
    half = (nw - 1) * spacing_mm / 2
    return DoseGrid(np.ones((nw, ny, nw)), (spacing_mm,) * 3, (-half, spacing_mm / 2, -half))


def _surface_beam(sad_mm: float) -> Beam:
    return Beam.from_angles(np.zeros(3), 0.0, sad_mm=sad_mm)


def central_axis_dose(
    model: PhotonBeamModel,
    grid: DoseGrid,
    sad_mm: float,
    shape: BeamletShape,
    size_mm: float,
    depths_mm: FloatArray,
) -> FloatArray:
    """Dose along the central axis at the given depths below the surface (y = 0)."""
    beam = _surface_beam(sad_mm)
    pts = np.zeros((len(depths_mm), 3))
    pts[:, 1] = depths_mm
    d = radiological_depth(grid, beam, pts)
    return beamlet_dose(model, beam, 0.0, 0.0, size_mm, shape, pts, d)


def penumbra_80_20_mm(
    model: PhotonBeamModel,
    grid: DoseGrid,
    sad_mm: float,
    shape: BeamletShape,
    size_mm: float,
    depth_mm: float,
) -> float:
    """Distance between the 80 % and 20 % points of the x profile (relative to the axis)."""
    beam = _surface_beam(sad_mm)
    x = np.arange(0.0, size_mm * 1.5 + 40.0, 0.1)
    pts = np.zeros((len(x), 3))
    pts[:, 1] = depth_mm
    pts[:, 2] = x
    d = radiological_depth(grid, beam, pts)
    prof = beamlet_dose(model, beam, 0.0, 0.0, size_mm, shape, pts, d)
    prof = prof / prof[0]
    # profile falls monotonically outside the axis: interpolate on the reversed arrays
    x80 = float(np.interp(0.8, prof[::-1], x[::-1]))
    x20 = float(np.interp(0.2, prof[::-1], x[::-1]))
    return x20 - x80


@dataclass(frozen=True)
class FieldCheck:
    """Measured figures of one field in water."""

    dmax_mm: float
    pdd10_pct: float
    penumbra_50mm_mm: float
    penumbra_100mm_mm: float


def check_field(
    model: PhotonBeamModel,
    sad_mm: float,
    shape: BeamletShape,
    size_mm: float,
    spacing_mm: float = 2.0,
) -> FieldCheck:
    grid = water_phantom(spacing_mm=spacing_mm)
    depths = np.arange(0.5, 250.0, 0.5)
    dd = central_axis_dose(model, grid, sad_mm, shape, size_mm, depths)
    i = int(np.argmax(dd))
    pdd10 = float(np.interp(100.0, depths, dd) / dd[i] * 100)
    return FieldCheck(
        dmax_mm=float(depths[i]),
        pdd10_pct=pdd10,
        penumbra_50mm_mm=penumbra_80_20_mm(model, grid, sad_mm, shape, size_mm, 50.0),
        penumbra_100mm_mm=penumbra_80_20_mm(model, grid, sad_mm, shape, size_mm, 100.0),
    )


def lung_slab_ratio(
    model: PhotonBeamModel,
    lung_density: float = 0.25,
    slab_mm: tuple[float, float] = (30.0, 80.0),
    depth_mm: float = 120.0,
    spacing_mm: float = 2.0,
) -> float:
    """Dose beyond a lung slab over dose at the same point in plain water (60 mm cone)."""
    water = water_phantom(spacing_mm=spacing_mm)
    dens = water.density.copy()
    y = water.origin_mm[1] + spacing_mm * np.arange(water.shape[1])
    dens[:, (y > slab_mm[0]) & (y < slab_mm[1]), :] = lung_density
    lung = DoseGrid(dens, water.spacing_mm, water.origin_mm)
    pt = np.array([[0.0, depth_mm, 0.0]])
    out = []
    for g in (lung, water):
        beam = _surface_beam(800.0)
        d = radiological_depth(g, beam, pt)
        out.append(float(beamlet_dose(model, beam, 0.0, 0.0, 60.0, "cone", pt, d)[0]))
    return out[0] / out[1]
