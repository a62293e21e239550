"""A site's own threat images: threats captured alone on its scanner, kept to project into bags.

Threat image projection draws from a library of fictional threat images (FTIs): real
threats (a test kit's knives, guns, batteries) each scanned alone on an empty tray. The
simulator's threats stand in until a site has its own; this module reads the site's. A
capture is turned into what `threat_projection` projects: per pixel, the polyethylene and
aluminium path lengths that attenuate both channels as the threat does (the same basis
decomposition as the bag's). So a captured threat keeps its own effective Z and beam
hardening when projected behind a bag, which multiplying transmissions would not.

A capture already carries the detector's blur, so it is projected without more. Its noise is
smoothed (``DENOISE_PX``) before it is decomposed, since the bag's thinned photons give the
projected pixels their noise; the smoothed pair sets each pixel's mix, and the raw high
channel (the photon-rich one) how much of it, so thin steel keeps its edges. Metals need a
heavier pair than the bag's: where polyethylene and aluminium would need much negative
polyethylene (effective Z above aluminium's), the pixel is read as aluminium and steel (all
steel where steel gives most of it), and a saturated pixel as steel by its high channel.

Measured (`benchmarks/security/threat_library.py`, 184 threats of the 23 classes captured
with noise): inside the threat, effective Z a median 0.12 off the simulator's own threat
projected at the same place, against 0.37 for the product of transmissions, and attenuation
0.7 % off against 1.0 %. Solid steel (handcuffs, pliers, ammunition) is the exception:
0.6-0.8 off in Z against the product's 0.2-0.4, as a starved low channel under thick steel
leaves its mix to the smoothing.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter, label

from yangcheng.security.materials import MATERIALS, Material
from yangcheng.security.objects import PROHIBITED, Sprite, object_class
from yangcheng.security.physics import HIGH, DualEnergyImage
from yangcheng.security.threat_projection import (
    BASIS,
    ProjectedThreat,
    basis_thickness,
    place_sprite,
    project_threat,
)

DENOISE_PX = 1.0
AMOUNT_PX: float | None = 0.5
"""Smoothing of a capture's attenuation before it is decomposed (its noise is not the threat)."""
MIN_ATTENUATION = 0.03
"""High-channel -ln T above which a capture's pixel is part of the threat (the tray is air)."""
MIN_PIXELS = 12
"""Pieces smaller than this are the capture's noise or dust, not the threat."""
LIBRARY_BASIS: tuple[Material, Material, Material] = (
    BASIS[0],
    BASIS[1],
    MATERIALS["steel"],
)
"""A library threat's materials: polyethylene and aluminium span the organic and light
metals as the bag's basis does; steel and aluminium, the heavier metals a knife or a gun is."""
_METAL_PAIR = (BASIS[1], MATERIALS["steel"])
_METAL_BOUNDS_CM = (np.array([-5.0, -1.0]), np.array([100.0, 30.0]))
_SCALE_RANGE = (0.2, 5.0)
"""How far a pixel's raw high channel may rescale its smoothed mix (noise, not material)."""
_STEEL_SHARE = 0.85
"""Share of a metal pixel's high-channel attenuation from steel above which it is all steel."""
_SLACK_CM = 0.3
"""How much negative of a pair's lighter basis still counts as that pair's mix."""
_PROHIBITED_NAMES = frozenset(c.name for c in PROHIBITED)
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CaptureError(ValueError):
    """A capture that cannot become a library threat; the message says why."""


@dataclass(frozen=True)
class LibraryThreat:
    id: str
    class_name: str
    height: int
    width: int
    source: str
    """Where the capture came from (files, scanner), as given when it was added."""
    added_at: float


@dataclass(frozen=True)
class CapturedThreat:
    sprite: Sprite
    """The threat's basis-material path lengths on its tight canvas."""
    top: int
    left: int
    """Where that canvas lay in the capture."""


def sprite_from_capture(image: DualEnergyImage, class_name: str) -> CapturedThreat:
    """The threat in a capture of it alone, as basis-material path lengths on a tight canvas.

    ``image`` is in the reference scanner's transmission (a scanner profile's output)."""
    if class_name not in _PROHIBITED_NAMES:
        known = ", ".join(sorted(_PROHIBITED_NAMES))
        raise CaptureError(f"{class_name!r} is not a prohibited class; choose of {known}")
    low, high = (np.asarray(c, dtype=float) for c in (image.low, image.high))
    if low.shape != high.shape or low.ndim != 2:
        raise CaptureError(
            f"the two channels must be one 2-D size, not {low.shape} and {high.shape}"
        )
    if np.nanmin(low) < 0 or np.nanmax(low) > 1.0 or np.nanmin(high) < 0 or np.nanmax(high) > 1.0:
        raise CaptureError("the capture must be transmission in [0, 1] (a profile's output)")
    floor = 1.0 / HIGH.photons_per_pixel
    a_low = gaussian_filter(-np.log(np.clip(low, floor, 1.0)), DENOISE_PX)
    a_high = gaussian_filter(-np.log(np.clip(high, floor, 1.0)), DENOISE_PX)
    pieces, n = label(a_high >= MIN_ATTENUATION)
    sizes = np.bincount(pieces.ravel(), minlength=n + 1)
    sizes[0] = 0
    mask = np.isin(pieces, np.nonzero(sizes >= MIN_PIXELS)[0])
    if not mask.any():
        raise CaptureError(
            "no threat in the capture: nothing attenuates the high channel by "
            f"{MIN_ATTENUATION} or more over {MIN_PIXELS} pixels (an empty tray, or not a capture)"
        )
    rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    if mask[0, :].any() or mask[-1, :].any() or mask[:, 0].any() or mask[:, -1].any():
        raise CaptureError("the threat touches the capture's edge: it is cut off; scan it whole")
    inside = mask[window]
    paths = _decompose(a_low[window][inside], a_high[window][inside])
    # the mix from the smoothed pair, the amount from the raw high channel (the one with the
    # photons): smoothed, a thin steel edge spreads into the air beside it
    raw_high = -np.log(np.clip(high, floor, 1.0))
    paths = _match_high(paths, raw_high[window][inside])
    layers = []
    for k, m in enumerate(LIBRARY_BASIS):
        plane = np.zeros(inside.shape, np.float32)
        plane[inside] = paths[:, k]
        layers.append((m.name, plane))
    return CapturedThreat(Sprite(object_class(class_name).id, layers), int(rows[0]), int(cols[0]))


def _match_high(paths: np.ndarray, target: np.ndarray, iterations: int = 8) -> np.ndarray:
    """``paths`` scaled per pixel so the high channel's -ln T is ``target`` (Newton on the
    scale; beam hardening makes it not quite linear)."""
    weights = np.asarray(HIGH.weights, float)
    mu = np.stack([m.mu_per_cm(HIGH.energy_kev) for m in LIBRARY_BASIS])
    scale = np.ones(len(paths))
    for _ in range(iterations):
        beam = np.exp(-((paths * scale[:, None]) @ mu)) * weights
        total = beam.sum(axis=1)
        slope = ((beam @ mu.T) * paths).sum(axis=1) / total
        step = (target + np.log(total)) / np.where(np.abs(slope) < 1e-9, 1e-9, slope)
        scale = np.clip(scale + step, _SCALE_RANGE[0], _SCALE_RANGE[1])
    return paths * scale[:, None]


def _decompose(a_low: np.ndarray, a_high: np.ndarray) -> np.ndarray:
    """Per pixel, polyethylene + aluminium where that pair matches with little negative
    polyethylene (effective Z up to aluminium's 13), else aluminium + steel (up to iron's 26),
    else steel alone by the high channel (a saturated pixel). Paths ``[P, 3]`` in cm."""
    out = np.zeros((len(a_low), 3))
    light, ok = basis_thickness(a_low, a_high)
    ok &= light[:, 0] >= -_SLACK_CM
    out[ok, :2] = light[ok]
    rest = ~ok
    if rest.any():
        heavy, ok2 = basis_thickness(
            a_low[rest], a_high[rest], basis=_METAL_PAIR, bounds_cm=_METAL_BOUNDS_CM
        )
        ok2 &= heavy[:, 0] >= -_SLACK_CM
        idx = np.nonzero(rest)[0]
        out[idx[ok2], 1:] = heavy[ok2]
        # mostly steel is steel: under thick steel the starved low channel cannot tell a
        # little aluminium in it from noise
        weights = np.asarray(HIGH.weights, float)
        mu = np.array([float(m.mu_per_cm(HIGH.energy_kev) @ weights) for m in _METAL_PAIR])
        steel_share = heavy[:, 1] * mu[1] / np.maximum(heavy @ mu, 1e-9)
        steel = ok2 & (steel_share >= _STEEL_SHARE)
        out[idx[steel], 1] = 0.0
        out[idx[steel], 2] = heavy[steel] @ mu / mu[1]
        steel_per_cm = float(_METAL_PAIR[1].mu_per_cm(HIGH.energy_kev) @ np.asarray(HIGH.weights))
        out[idx[~ok2], 2] = a_high[rest][~ok2] / steel_per_cm
    # a pixel a pair reads as a little negative of its lighter basis still holds the threat
    out[np.all(out <= 0, axis=1), 1] = 1e-4
    return out


def default_library_folder(home: Path) -> Path:
    """An installation's library: what the line projects from when asked for the site's own."""
    return Path(home) / "security" / "threat-library"


class ThreatLibrary:
    """A folder of captured threats, one ``<id>.npz`` (basis paths) and ``<id>.json`` each."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def add(
        self, image: DualEnergyImage, class_name: str, threat_id: str, source: str = ""
    ) -> LibraryThreat:
        if not _ID.match(threat_id):
            raise CaptureError(
                f"threat id {threat_id!r}: lower-case letters, digits, '-' or '_', at most 64"
            )
        if (self.folder / f"{threat_id}.json").exists():
            raise CaptureError(
                f"the library already holds {threat_id!r}; remove it or pick another id"
            )
        sprite = sprite_from_capture(image, class_name).sprite
        self.folder.mkdir(parents=True, exist_ok=True)
        planes: dict[str, np.ndarray] = dict(sprite.layers)
        np.savez_compressed(self.folder / f"{threat_id}.npz", **planes)  # type: ignore[arg-type]
        h, w = sprite.shape
        entry = LibraryThreat(threat_id, class_name, h, w, source, time.time())
        # the card last: a threat is in the library once both files are whole
        tmp = self.folder / f".{threat_id}.json.tmp"
        tmp.write_text(json.dumps(entry.__dict__, indent=2))
        tmp.replace(self.folder / f"{threat_id}.json")
        return entry

    def entries(self, classes: tuple[str, ...] | None = None) -> list[LibraryThreat]:
        out = []
        for card in sorted(self.folder.glob("*.json")):
            entry = LibraryThreat(**json.loads(card.read_text()))
            if classes is None or entry.class_name in classes:
                out.append(entry)
        return out

    def holding(self, classes: tuple[str, ...] | None = None) -> list[LibraryThreat]:
        """``entries``, refused when there are none: a library to project from must hold one."""
        entries = self.entries(classes)
        if not entries:
            wanted = f" of {', '.join(classes)}" if classes else ""
            raise CaptureError(f"the threat library at {self.folder} holds no threat{wanted}")
        return entries

    def sprite(self, threat_id: str) -> Sprite:
        card = self.folder / f"{threat_id}.json"
        if not card.exists():
            raise CaptureError(f"no threat {threat_id!r} in the library at {self.folder}")
        entry = LibraryThreat(**json.loads(card.read_text()))
        with np.load(self.folder / f"{threat_id}.npz") as planes:
            layers = [(m.name, np.asarray(planes[m.name])) for m in LIBRARY_BASIS]
        return Sprite(object_class(entry.class_name).id, layers)

    def remove(self, threat_id: str) -> None:
        for suffix in (".json", ".npz"):
            (self.folder / f"{threat_id}{suffix}").unlink(missing_ok=True)


def choose_library_threat(
    rng: np.random.Generator, library: ThreatLibrary, classes: tuple[str, ...] | None = None
) -> str:
    """A threat of the library (of ``classes``), at random: its id."""
    entries = library.holding(classes)
    return entries[int(rng.integers(len(entries)))].id


def project_library_threat(
    image: DualEnergyImage, rng: np.random.Generator, library: ThreatLibrary, threat_id: str
) -> ProjectedThreat:
    """The library's threat, turned by a random quarter turn and mirror as TIP systems present
    an FTI, placed within the bag's outline."""
    sprite = library.sprite(threat_id)
    turns, mirror = int(rng.integers(4)), bool(rng.integers(2))

    def pose(plane: np.ndarray) -> np.ndarray:
        plane = np.rot90(plane, turns)
        return np.ascontiguousarray(plane[:, ::-1] if mirror else plane)

    posed = Sprite(sprite.class_id, [(name, pose(plane)) for name, plane in sprite.layers])
    return place_sprite(image, posed, rng, blur_px=0.0)


def project_some_threat(
    image: DualEnergyImage,
    rng: np.random.Generator,
    library: ThreatLibrary | None = None,
    *,
    classes: tuple[str, ...] | None = None,
    thin_share: float = 0.0,
) -> ProjectedThreat:
    """A threat of the site's library where one is given, else the simulator's (posed with
    ``thin_share`` edge-on): for everything that makes threat bags from clean ones."""
    if library is None:
        return project_threat(image, rng, classes=classes, thin_share=thin_share)
    return project_library_threat(image, rng, library, choose_library_threat(rng, library, classes))
