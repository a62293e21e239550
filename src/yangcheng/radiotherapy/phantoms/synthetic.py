"""Synthetic phantoms: a TG-119-like C-shape (small enough for unit tests) and a water cube.

TG-119 C-shape geometry (AAPM TG-119, Ezzell et al., Med Phys 36 (2009) 5359; checked against
matRad's TG119.mat): a cylindrical core of radius 10 mm along z, a C-shaped PTV that is the
annulus 15-37 mm around the same axis (a 5 mm gap to the core) with the side y > +5 mm cut
away (the C opens towards +y), 80 mm long; the core is 100 mm long (10 mm beyond each end of the
C, as in TG119.mat). Axes are centred on the C so that (x, y, z) = (0, 0, 0) is its centre.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.phantoms.errors import InvalidPhantomError
from yangcheng.radiotherapy.phantoms.phantom import Phantom, Structure

CORE_RADIUS_MM = 10.0
PTV_INNER_RADIUS_MM = 15.0
PTV_OUTER_RADIUS_MM = 37.0
PTV_OPEN_ABOVE_Y_MM = 5.0
PTV_LENGTH_MM = 80.0
CORE_LENGTH_MM = 100.0
AIR_HU = -1000
WATER_HU = 0


def _centred_axis(n: int, spacing: float) -> NDArray[np.float64]:
    return (np.arange(n, dtype=np.float64) - (n - 1) / 2.0) * spacing


def _grid(
    body_size_mm: tuple[float, float, float], spacing_mm: tuple[float, float, float], margin: int
) -> tuple[tuple[int, int, int], tuple[float, float, float]]:
    if len(spacing_mm) != 3 or any(s <= 0 for s in spacing_mm):
        raise InvalidPhantomError(f"spacing_mm must be three positive numbers; got {spacing_mm}")
    if len(body_size_mm) != 3 or any(s <= 0 for s in body_size_mm):
        raise InvalidPhantomError(f"size_mm must be three positive numbers; got {body_size_mm}")
    shape = tuple(
        int(np.ceil(size / s)) + 2 * margin
        for size, s in zip(body_size_mm, spacing_mm, strict=True)
    )
    origin = tuple(-(n - 1) / 2.0 * s for n, s in zip(shape, spacing_mm, strict=True))
    return (shape[0], shape[1], shape[2]), (origin[0], origin[1], origin[2])


def _noisy_hu(body: NDArray[np.bool_], noise_hu: float, seed: int) -> NDArray[np.int16]:
    hu = np.full(body.shape, AIR_HU, dtype=np.float64)
    hu[body] = WATER_HU
    if noise_hu > 0:
        rng = np.random.default_rng(seed)
        hu[body] += rng.normal(0.0, noise_hu, size=int(np.count_nonzero(body)))
    return np.round(hu).astype(np.int16)


def water_phantom(
    size_mm: tuple[float, float, float] = (100.0, 100.0, 100.0),
    spacing_mm: tuple[float, float, float] = (2.5, 2.5, 2.5),
    margin_voxels: int = 2,
    noise_hu: float = 0.0,
    seed: int = 0,
) -> Phantom:
    """A water box of `size_mm` (z, y, x) centred at the origin, one 'Body' structure, and
    `margin_voxels` of air around it (so beam entry is visible); used for dose validation."""
    shape, origin = _grid(size_mm, spacing_mm, margin_voxels)
    z, y, x = (_centred_axis(n, s) for n, s in zip(shape, spacing_mm, strict=True))
    half = [sz / 2.0 for sz in size_mm]
    inside = [np.abs(a) <= h + 1e-9 for a, h in zip((z, y, x), half, strict=True)]
    body = inside[0][:, None, None] & inside[1][None, :, None] & inside[2][None, None, :]
    return Phantom(
        hu=_noisy_hu(body, noise_hu, seed),
        spacing_mm=spacing_mm,
        origin_mm=origin,
        structures={"Body": Structure("Body", body, "external", priority=3)},
        name="water",
    )


def c_shape_phantom(
    spacing_mm: tuple[float, float, float] = (2.5, 2.5, 2.5),
    body_size_mm: tuple[float, float, float] = (110.0, 100.0, 100.0),
    margin_voxels: int = 2,
    noise_hu: float = 5.0,
    seed: int = 0,
) -> Phantom:
    """TG-119-like C-shape: 'PTV' (target, priority 1), 'Core' (OAR, priority 2) and 'Body'
    (external, a water box of `body_size_mm` (z, y, x)). Masks are decided at voxel centres;
    `seed` drives only the CT noise (`noise_hu` standard deviation inside the body)."""
    water = water_phantom(body_size_mm, spacing_mm, margin_voxels, noise_hu, seed)
    z, y, x = (_centred_axis(n, s) for n, s in zip(water.shape, spacing_mm, strict=True))
    r = np.hypot(y[:, None], x[None, :])
    core_2d = r <= CORE_RADIUS_MM
    c_2d = (
        (r >= PTV_INNER_RADIUS_MM)
        & (r <= PTV_OUTER_RADIUS_MM)
        & (y[:, None] <= PTV_OPEN_ABOVE_Y_MM)
    )
    in_core_z = np.abs(z) <= CORE_LENGTH_MM / 2.0
    in_ptv_z = np.abs(z) <= PTV_LENGTH_MM / 2.0
    body = water.mask_of("Body")
    core = in_core_z[:, None, None] & core_2d[None, :, :] & body
    ptv = in_ptv_z[:, None, None] & c_2d[None, :, :] & body
    water.structures = {
        "PTV": Structure("PTV", ptv, "target", priority=1),
        "Core": Structure("Core", core, "oar", priority=2),
        "Body": Structure("Body", body, "external", priority=3),
    }
    water.name = "c-shape"
    return water


def c_shape_analytic_volumes_cc() -> dict[str, float]:
    """Exact volumes of the continuous geometry, to check voxelisation against."""

    def below(radius: float, c: float) -> float:
        # area of the disc of `radius` where y <= c
        c = float(np.clip(c, -radius, radius))
        cap = radius**2 * np.arccos(c / radius) - c * np.sqrt(radius**2 - c**2)
        return float(np.pi * radius**2 - cap)

    c_area = below(PTV_OUTER_RADIUS_MM, PTV_OPEN_ABOVE_Y_MM) - below(
        PTV_INNER_RADIUS_MM, PTV_OPEN_ABOVE_Y_MM
    )
    return {
        "PTV": c_area * PTV_LENGTH_MM / 1000.0,
        "Core": np.pi * CORE_RADIUS_MM**2 * CORE_LENGTH_MM / 1000.0,
    }
