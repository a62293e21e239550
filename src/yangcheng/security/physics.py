"""Dual-energy transmission imaging as a conveyor scanner does it.

A line-scan baggage scanner measures, for every pixel, how much of a polychromatic X-ray beam
gets through the bag, once with a low-energy and once with a high-energy spectrum. Through a
path of materials with thicknesses t_k the detected signal is

    I = sum_E  S(E) D(E) exp(-sum_k mu_k(E) t_k)

with S the tube spectrum after filtration and D the detector's energy response. Photo-electric
absorption (~Z^3/E^3) dominates at low energy and Compton scattering (~density) at high
energy, so the ratio of the two log-attenuations tells light organics from metals: that ratio,
calibrated on materials of known effective atomic number, is how scanners colour bags orange
(organic), green (mixed) and blue (metal), and what `estimate_z_eff` reproduces.

The tube spectrum is Kramers' law (photon count ~ (E0 - E)/E) filtered by the tube's
aluminium and, for the high-energy channel, copper; the detector is an energy-integrating
CsI scintillator (signal ~ E x absorbed fraction). Real tubes add tungsten characteristic
lines (~59 and ~67 keV) that Kramers omits; the dual-energy ratio depends on the spectrum's
bulk, not on the lines, and the calibration absorbs the difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.ndimage import gaussian_filter

from yangcheng.security.materials import MATERIALS, Material

__all__ = [
    "HIGH",
    "LOW",
    "Channel",
    "DualEnergyImage",
    "channel_transmission",
    "estimate_z_eff",
    "pseudo_colour",
    "transmit",
]

_CSI = Material(0, "csi", "CsI", 4.51, "detector")
_AL = Material(0, "al-filter", "Al", 2.70, "filter")
_CU = Material(0, "cu-filter", "Cu", 8.96, "filter")


@dataclass(frozen=True)
class Channel:
    """One energy channel: tube voltage, filtration, scintillator, and photon budget."""

    name: str
    kvp: float
    al_filter_mm: float
    cu_filter_mm: float
    csi_mm: float
    photons_per_pixel: float
    bin_kev: float = 4.0

    @property
    def energy_kev(self) -> np.ndarray:
        return _energies(self.kvp, self.bin_kev)

    @property
    def weights(self) -> np.ndarray:
        """Detected signal per unit of open beam, per energy bin (sums to 1)."""
        return _weights(self)


@cache
def _energies(kvp: float, bin_kev: float) -> np.ndarray:
    edges = np.arange(10.0, kvp + 1e-9, bin_kev)
    return (edges[:-1] + edges[1:]) / 2


@cache
def _weights(channel: Channel) -> np.ndarray:
    e = channel.energy_kev
    photons = np.clip(channel.kvp - e, 0, None) / e  # Kramers, photons per keV
    photons = photons * np.exp(-_AL.mu_per_cm(e) * channel.al_filter_mm / 10)
    photons = photons * np.exp(-_CU.mu_per_cm(e) * channel.cu_filter_mm / 10)
    absorbed = 1 - np.exp(-_CSI.mu_per_cm(e) * channel.csi_mm / 10)
    signal = photons * absorbed * e  # energy-integrating scintillator
    weights = signal / signal.sum()
    weights.setflags(write=False)
    return weights


LOW = Channel(
    "low", kvp=80.0, al_filter_mm=2.5, cu_filter_mm=0.0, csi_mm=0.5, photons_per_pixel=2e4
)
HIGH = Channel(
    "high", kvp=160.0, al_filter_mm=2.5, cu_filter_mm=1.0, csi_mm=4.0, photons_per_pixel=2e4
)


@dataclass(frozen=True)
class DualEnergyImage:
    """Transmitted fractions (0..1] of the open beam, low and high channel, same shape."""

    low: np.ndarray
    high: np.ndarray


def channel_transmission(
    thickness_cm: np.ndarray, materials: list[Material], channel: Channel
) -> np.ndarray:
    """sum_E w(E) exp(-sum_k mu_k(E) t_k), noise-free and unblurred (the exact reading of a
    path, which wedge tables and scanner profiles need), in float32: the exponential over
    every pixel and energy bin is most of a simulated image's cost, and float32 halves it."""
    e = channel.energy_kev
    mu = np.stack([m.mu_per_cm(e) for m in materials]).astype(np.float32)  # (K, E)
    flat = np.asarray(thickness_cm, dtype=np.float32).reshape(-1, len(materials))
    line_integral = flat @ mu  # (pixels, E)
    np.negative(line_integral, out=line_integral)
    np.exp(line_integral, out=line_integral)
    signal = line_integral @ channel.weights.astype(np.float32)
    return signal.astype(float).reshape(np.shape(thickness_cm)[:-1])


def transmit(
    thickness_cm: np.ndarray,
    materials: list[Material],
    *,
    rng: np.random.Generator | None = None,
    blur_px: float = 0.7,
    channels: tuple[Channel, Channel] = (LOW, HIGH),
) -> DualEnergyImage:
    """Both channels for per-pixel path lengths ``thickness_cm[..., k]`` through ``materials[k]``.

    With ``rng``, each pixel's detected photon count is drawn from a Poisson law (the quantum
    noise of a real detector), and the image is blurred by the detector's point spread
    (Gaussian, ``blur_px`` pixels).
    """
    thickness_cm = np.asarray(thickness_cm, dtype=float)
    if thickness_cm.shape[-1] != len(materials):
        raise ValueError(
            f"thickness has {thickness_cm.shape[-1]} material planes for {len(materials)} materials"
        )
    if np.any(thickness_cm < 0):
        raise ValueError("thicknesses must be non-negative")
    out = []
    for channel in channels:
        signal = channel_transmission(thickness_cm, materials, channel)
        if blur_px > 0:
            signal = gaussian_filter(signal, blur_px)
        if rng is not None:
            counts = rng.poisson(signal * channel.photons_per_pixel)
            signal = np.maximum(counts, 1) / channel.photons_per_pixel
        out.append(np.clip(signal, 1.0 / channel.photons_per_pixel, 1.0))
    return DualEnergyImage(low=out[0], high=out[1])


# --- effective atomic number from the two channels -------------------------------------------

_CALIBRATION_MATERIALS = ("polyethylene", "water", "ceramic", "aluminium", "pvc", "steel", "copper")
"""Ordered by effective Z. Heavier elements are left out on purpose: above Z ~ 30 the ratio
folds back (lead's K-edge at 88 keV sits inside the high spectrum and raises its high-channel
attenuation), so lead cannot be placed on this curve; scanners show it by its opacity."""


@cache
def _calibration() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R = ln(T_low)/ln(T_high), rising with Z, over a grid of (material, high-channel attenuation).

    R depends on the material and, through beam hardening, a little on how much of it the
    beam crossed; tabulating it against the high-channel attenuation removes that.
    """
    attenuations = np.linspace(0.05, 6.0, 60)  # -ln(T_high)
    z = []
    ratio_rows = []
    for name in _CALIBRATION_MATERIALS:
        m = MATERIALS[name]
        # thickness giving each high-channel attenuation, found on a fine grid
        t_grid = np.geomspace(1e-4, 200.0, 400)[:, None]
        high = -np.log(np.maximum(channel_transmission(t_grid, [m], HIGH), 1e-300))
        low = -np.log(np.maximum(channel_transmission(t_grid, [m], LOW), 1e-300))
        ok = low < 30
        ratio_rows.append(np.interp(attenuations, high[ok], (low / high)[ok]))
        z.append(m.z_eff)
    return np.asarray(z), attenuations, np.asarray(ratio_rows)


def estimate_z_eff(image: DualEnergyImage) -> np.ndarray:
    """Per-pixel effective atomic number from the low/high log-attenuation ratio.

    Pixels the beam crosses almost unattenuated carry no material information and get NaN.
    """
    z_ref, attenuations, ratios = _calibration()
    a_high = -np.log(image.high)
    ratio = -np.log(image.low) / np.maximum(a_high, 1e-9)
    a_idx = np.clip(np.interp(a_high, attenuations, np.arange(len(attenuations))), 0, None)
    col = np.clip(np.round(a_idx).astype(int), 0, len(attenuations) - 1)
    ref = ratios[:, col]  # (materials, ...) ratio of each reference at this attenuation
    # at fixed attenuation the ratio rises with Z: interpolate Z between neighbouring references
    z = np.full(ratio.shape, np.nan)
    for i in range(len(z_ref) - 1):
        r0, r1 = ref[i], ref[i + 1]
        inside = (ratio >= r0) & (ratio <= r1) & np.isnan(z)
        frac = np.where(inside, (ratio - r0) / np.maximum(r1 - r0, 1e-12), 0)
        z = np.where(inside, z_ref[i] + frac * (z_ref[i + 1] - z_ref[i]), z)
    z = np.where(np.isnan(z) & (ratio < ref[0]), z_ref[0], z)
    z = np.where(np.isnan(z) & (ratio > ref[-1]), z_ref[-1], z)
    return np.where(a_high < 0.02, np.nan, z)


def pseudo_colour(image: DualEnergyImage) -> np.ndarray:
    """The scanner operator's picture: hue by effective Z, brightness by attenuation.

    Orange for organics (Z_eff < 10), green for mixed and light inorganics (10-18), blue for
    metals (> 18), the convention of the major scanner makers; dense objects go dark, and
    what the beam could not cross at all is black.
    """
    z = estimate_z_eff(image)
    organic = np.array([1.0, 0.55, 0.1])
    mixed = np.array([0.2, 0.75, 0.25])
    metal = np.array([0.15, 0.35, 0.95])
    t_org = np.clip((z - 9.0) / 2.0, 0, 1)[..., None]  # orange → green around Z 9-11
    t_met = np.clip((z - 17.0) / 3.0, 0, 1)[..., None]  # green → blue around Z 17-20
    hue = organic * (1 - t_org) + mixed * t_org
    hue = hue * (1 - t_met) + metal * t_met
    hue = np.where(np.isnan(z)[..., None], 1.0, hue)  # nothing in the beam: white
    brightness = np.sqrt(image.low * image.high)[..., None] ** 0.6
    return np.clip(255 * (1 - (1 - hue) * (1 - brightness) ** 0.5) * brightness, 0, 255).astype(
        np.uint8
    )
