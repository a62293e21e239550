"""Threat image projection (TIP): known threat bags made from bags known to be clean.

A scanner's own alarm threshold rests on its hardest known threat bags, and a miss rate of 1
per mille needs thousands of them: more than any site can pack by hand. Clean bags it has in
thousands a day. Screening systems therefore project images of threats into real bags, to keep
operators alert and to measure how they do; here the same projection gives a scanner thousands
of threat bags to fix its threshold on (`scanner_calibration`), each with an exact box.

Commercial TIP multiplies a bag's transmission by a threat image captured alone, that is, adds
the two log-attenuations. A polychromatic beam does not add so: behind a bag the beam is
harder, and the threat takes less of it. On the simulator's bags that reads a threat's
effective Z a median 0.29 off the same threat packed in the bag, and the detector then misses
11 drug packages of 1,000 threat bags that it never misses packed
(`benchmarks/security/threat_projection.py`; 0.001 off, and the packed bags' misses, done
as below). Instead each pixel under the
threat is read as the polyethylene and aluminium path lengths that attenuate both channels as
it does (basis-material decomposition: two basis materials span dual-energy attenuation for
materials without an absorption edge in the beam), the threat's own material paths are added,
and the rise of each channel's attenuation over that pixel is what the threat costs it. Pixels
the beam crosses almost freely (or that no basis mix matches) take the threat's attenuation
alone, which is exact for air.

The bag's counts are then thinned, each detected photon kept with the threat's transmission (a
binomial draw), so the projected pixel has the Poisson noise of its fewer photons, not the
brighter pixel's noise scaled down. The rise in attenuation is blurred by the detector's point
spread first (as transmission: a dark edge lets its bright neighbour's light in), as the
threat's own edges would have been.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from yangcheng.security.materials import MATERIALS, Material, material
from yangcheng.security.objects import PROHIBITED, Sprite, make_sprite
from yangcheng.security.physics import HIGH, LOW, Channel, DualEnergyImage
from yangcheng.security.scene import Annotation

__all__ = [
    "BASIS",
    "ProjectedThreat",
    "basis_thickness",
    "place_sprite",
    "project_sprite",
    "project_threat",
]

BASIS: tuple[Material, Material] = (MATERIALS["polyethylene"], MATERIALS["aluminium"])
"""The two basis materials: a light organic and a light metal, the step wedges' own pair."""

_EMPTY = 0.02
"""High-channel -ln T below which a pixel holds too little to decompose (noise dominates)."""
_DENOISE_PX = 1.5
"""Smoothing (pixels) of the bag before it is decomposed. A pixel's noise is the detector's,
not the bag's: decomposed raw, a pixel brighter by chance would read as less material, the
threat would take more of its light, and the projected noise would partly cancel."""
_LOWEST_CM, _HIGHEST_CM = np.array([-10.0, -2.0]), np.array([500.0, 100.0])
"""Bounds on the basis path lengths while solving. A mix may need a little negative of one
basis; a pixel that would need more (a saturated pixel behind steel, a noisy one) is no mix
of the two and falls back, and bounded it cannot overflow the exponential on the way."""
_PLACEMENTS = 20
_TOLERANCE = 1e-4
"""Largest residual in -ln T accepted from the decomposition."""


@dataclass(frozen=True)
class ProjectedThreat:
    """A bag with a threat projected into it, and that threat's annotation."""

    image: DualEnergyImage
    annotation: Annotation


def _mu(materials: list[Material], channel: Channel) -> np.ndarray:
    return np.stack([m.mu_per_cm(channel.energy_kev) for m in materials])  # (K, E)


def _attenuation(
    thickness_cm: np.ndarray, mu: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """-ln T of a channel and its gradient in each path length (the spectrum-weighted mu)."""
    beam = np.exp(-(thickness_cm @ mu)) * weights  # (P, E)
    total = beam.sum(axis=1)
    gradient = (beam @ mu.T) / total[:, None]  # (P, K)
    return -np.log(total), gradient


def basis_thickness(
    low_attenuation: np.ndarray,
    high_attenuation: np.ndarray,
    channels: tuple[Channel, Channel] = (LOW, HIGH),
    iterations: int = 30,
    *,
    basis: tuple[Material, Material] = BASIS,
    bounds_cm: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Path lengths (cm, ``[..., 2]``) of the two ``basis`` materials (polyethylene and
    aluminium by default) that attenuate as measured.

    Solved per pixel by Newton's method on both channels' -ln T; also returns where it
    converged (a noisy pixel can fall outside every basis mix).
    """
    lowest, highest = bounds_cm if bounds_cm is not None else (_LOWEST_CM, _HIGHEST_CM)
    a = np.stack([np.ravel(low_attenuation), np.ravel(high_attenuation)], axis=1).astype(float)
    mus = [_mu(list(basis), c) for c in channels]
    weights = [np.asarray(c.weights, float) for c in channels]
    # start from the first basis alone, by its mean high-channel attenuation
    t = np.zeros((len(a), 2))
    t[:, 0] = a[:, 1] / float(mus[1][0] @ weights[1])
    residual = np.full_like(a, np.inf)
    for _ in range(iterations):
        rows = [_attenuation(t, mu, w) for mu, w in zip(mus, weights, strict=True)]
        residual = a - np.stack([r[0] for r in rows], axis=1)
        if np.all(np.abs(residual) < _TOLERANCE * 0.01):
            break
        jacobian = np.stack([r[1] for r in rows], axis=1)  # (P, channel, material)
        det = jacobian[:, 0, 0] * jacobian[:, 1, 1] - jacobian[:, 0, 1] * jacobian[:, 1, 0]
        det = np.where(np.abs(det) < 1e-12, 1e-12, det)
        step0 = (jacobian[:, 1, 1] * residual[:, 0] - jacobian[:, 0, 1] * residual[:, 1]) / det
        step1 = (jacobian[:, 0, 0] * residual[:, 1] - jacobian[:, 1, 0] * residual[:, 0]) / det
        t = np.clip(t + np.stack([step0, step1], axis=1), lowest, highest)
    converged = np.all(np.abs(residual) < _TOLERANCE, axis=1) & np.all(np.isfinite(t), axis=1)
    shape = np.shape(low_attenuation)
    return t.reshape(*shape, 2), converged.reshape(shape)


def _sprite_paths(
    sprite: Sprite, top: int, left: int, size: tuple[int, int]
) -> tuple[np.ndarray, list[Material], tuple[slice, slice]]:
    """The sprite's path lengths on the part of the image it covers, clipped at the border."""
    h, w = size
    sh, sw = sprite.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + sh, h), min(left + sw, w)
    if y1 <= y0 or x1 <= x0:
        raise ValueError(f"a {sh}x{sw} threat at ({top}, {left}) lies outside the {h}x{w} image")
    planes = [t[y0 - top : y1 - top, x0 - left : x1 - left] for _, t in sprite.layers]
    return (
        np.stack(planes, axis=-1).astype(float),
        [material(n) for n, _ in sprite.layers],
        (slice(y0, y1), slice(x0, x1)),
    )


def _rise(
    bag_attenuation: tuple[np.ndarray, np.ndarray],
    threat_cm: np.ndarray,
    threat_materials: list[Material],
    channels: tuple[Channel, Channel],
) -> tuple[np.ndarray, np.ndarray]:
    """How much the threat raises each channel's -ln T over each pixel of the bag."""
    a_low, a_high = bag_attenuation
    covered = np.any(threat_cm > 0, axis=-1)
    rises = [np.zeros(a_low.shape), np.zeros(a_low.shape)]
    if not covered.any():
        return rises[0], rises[1]
    basis, converged = basis_thickness(a_low[covered], a_high[covered], channels)
    decomposed = converged & (a_high[covered] >= _EMPTY)
    basis = np.where(decomposed[:, None], basis, 0.0)  # air, or no basis mix: threat alone
    paths = threat_cm[covered]
    for k, channel in enumerate(channels):
        w = np.asarray(channel.weights, float)
        mu_basis, mu_threat = _mu(list(BASIS), channel), _mu(threat_materials, channel)
        before, _ = _attenuation(basis, mu_basis, w)
        after, _ = _attenuation(
            np.concatenate([basis, paths], axis=1), np.concatenate([mu_basis, mu_threat]), w
        )
        rises[k][covered] = np.maximum(after - before, 0.0)
    return rises[0], rises[1]


def project_sprite(
    image: DualEnergyImage,
    sprite: Sprite,
    top: int,
    left: int,
    *,
    rng: np.random.Generator | None = None,
    blur_px: float = 0.7,
    channels: tuple[Channel, Channel] = (LOW, HIGH),
) -> ProjectedThreat:
    """``image`` with ``sprite`` placed at (top, left), as if it had been packed in the bag.

    ``image`` is in the reference scanner's transmission (0..1], as a scanner profile gives
    it. With ``rng`` the counts are thinned (Poisson noise of the darker pixels); without it
    the projection is noise-free, for checks.
    """
    size = image.low.shape
    if image.high.shape != size:
        raise ValueError(f"low is {size} but high is {image.high.shape}")
    cm, mats, (ys, xs) = _sprite_paths(sprite, top, left, size)
    # pad the region by the blur's reach, so the threat's blurred edge lands on the bag
    pad = int(np.ceil(4 * blur_px)) + 1
    py = slice(max(ys.start - pad, 0), min(ys.stop + pad, size[0]))
    px = slice(max(xs.start - pad, 0), min(xs.stop + pad, size[1]))
    region = np.zeros((py.stop - py.start, px.stop - px.start, len(mats)))
    region[ys.start - py.start : ys.stop - py.start, xs.start - px.start : xs.stop - px.start] = cm
    # the bag's material, not its noise, sets how hard the beam reaching the threat is
    bag = [
        gaussian_filter(-np.log(np.clip(t[py, px].astype(float), 1e-12, 1.0)), _DENOISE_PX)
        for t in (image.low, image.high)
    ]
    rises = _rise((bag[0], bag[1]), region, mats, channels)
    out = []
    for k, (t, channel) in enumerate(zip((image.low, image.high), channels, strict=True)):
        kept = np.exp(-rises[k])  # blurred as light, not as attenuation, as a detector does
        if blur_px > 0:
            kept = gaussian_filter(kept, blur_px)
        projected = np.array(t, dtype=float, copy=True)
        patch = projected[py, px]
        if rng is not None:
            n = channel.photons_per_pixel
            counts = np.round(patch * n).astype(np.int64)
            patch = np.maximum(rng.binomial(counts, kept), 1) / n
        else:
            patch = patch * kept
        projected[py, px] = np.clip(patch, 1.0 / channel.photons_per_pixel, 1.0)
        out.append(projected.astype(np.asarray(t).dtype, copy=False))
    mask = np.zeros(size, bool)
    mask[ys, xs] = np.any(cm > 0, axis=-1)
    if not mask.any():
        raise ValueError(f"the threat at ({top}, {left}) has none of its material in the image")
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    bbox = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
    annotation = Annotation(sprite.class_id, bbox, mask, tuple(sorted({m.id for m in mats})))
    return ProjectedThreat(DualEnergyImage(low=out[0], high=out[1]), annotation)


def project_threat(
    image: DualEnergyImage,
    rng: np.random.Generator,
    *,
    classes: tuple[str, ...] | None = None,
    thin_share: float = 0.0,
    pixel_mm: float = 1.5,
) -> ProjectedThreat:
    """A threat of a random class (of ``classes``; all prohibited classes by default), sized and
    posed as the simulator poses them, placed anywhere within the bag's outline.

    ``thin_share`` of them are turned nearly edge-on, as the hard test set's half are.
    """
    names = classes or tuple(c.name for c in PROHIBITED)
    if not _bag(image).any():
        raise ValueError("the image holds no bag (nothing attenuates the high channel)")
    name = names[int(rng.integers(len(names)))]
    sprite = make_sprite(name, rng, pixel_mm, thin=bool(rng.random() < thin_share))
    return place_sprite(image, sprite, rng)


def place_sprite(
    image: DualEnergyImage, sprite: Sprite, rng: np.random.Generator, *, blur_px: float = 0.7
) -> ProjectedThreat:
    """``sprite`` projected (with thinned counts) at a random place within the bag's outline.

    ``blur_px``: the detector's blur still to apply (0 for a threat captured by a detector)."""
    bag = _bag(image)
    if not bag.any():
        raise ValueError("the image holds no bag (nothing attenuates the high channel)")
    rows, cols = np.nonzero(bag.any(axis=1))[0], np.nonzero(bag.any(axis=0))[0]
    sh, sw = sprite.shape
    for _ in range(_PLACEMENTS):  # a centre near the border can leave only empty canvas inside
        cy, cx = rng.uniform(rows[0], rows[-1]), rng.uniform(cols[0], cols[-1])
        try:
            return project_sprite(
                image, sprite, round(cy - sh / 2), round(cx - sw / 2), rng=rng, blur_px=blur_px
            )
        except ValueError:
            continue
    name = next((c.name for c in PROHIBITED if c.id == sprite.class_id), "threat")
    raise ValueError(f"no place in the bag shows any of the {name}")


def _bag(image: DualEnergyImage) -> np.ndarray:
    return np.asarray(-np.log(np.clip(image.high, 1e-12, 1.0)) >= 0.05)
