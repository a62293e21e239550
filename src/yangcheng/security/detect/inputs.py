"""What the detector sees: both energies as attenuation, plus the effective-Z map, at 3 mm.

A scanner delivers transmitted fractions ``T`` (0..1] per channel. The network gets
``-ln T`` of the low and the high channel (attenuation, which adds over overlapping objects
as the physics does) and the effective atomic number from their ratio, because the classes
a shape cannot give (liquids, powders, drugs, explosives) differ mainly in Z. Images are
taken at the simulator's 1.5 mm pixel pitch and halved to 3 mm before the network, which
keeps a 512x512 bag well inside the 100 ms budget on two cores.

Halving loses what is finer than 3 mm: a razor blade keeps 61 % of its edge contrast there,
the least of any class (``benchmarks/security/input_detail.py``). A model may therefore take
a fourth, detail channel: how far each 2x2 block's most attenuating 1.5 mm pixel stands above
the block's mean, which the averaging throws away and a thin steel edge concentrates in.
"""

from __future__ import annotations

import cv2
import numpy as np

from yangcheng.security.physics import DualEnergyImage, estimate_z_eff

__all__ = [
    "DETAIL_CHANNEL",
    "DOWNSAMPLE",
    "INPUT_CHANNELS",
    "MAX_SIDE",
    "MIN_SIDE",
    "OUTPUT_STRIDE",
    "DetectorInputError",
    "input_channels",
    "network_input",
    "takes_detail",
    "transmission",
    "with_input_channels",
]

DOWNSAMPLE = 2
"""Input pixels per network pixel on each axis (1.5 mm scanner pitch -> 3 mm)."""
OUTPUT_STRIDE = 4
"""Network pixels per output cell of the detector's heatmaps."""
INPUT_CHANNELS = ("low attenuation / 5", "high attenuation / 5", "(Zeff - 5) / 25")
DETAIL_CHANNEL = "low attenuation 2x2 block max - block mean"
MIN_SIDE = 64
MAX_SIDE = 4096
_ATTENUATION_SCALE = 5.0
_MIN_TRANSMISSION = 1e-5


class DetectorInputError(ValueError):
    """An image the detector cannot take, naming the field and what is wrong with it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def transmission(image: np.ndarray, field: str) -> np.ndarray:
    """A single-channel transmission image as float32 in (0, 1].

    16-bit images are scanner counts scaled to 0..65535 (as the simulator writes them), 8-bit
    ones 0..255, floats are fractions already. Colour images are refused: the pseudo-colour
    picture an operator sees has lost the two energies the detector needs.
    """
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        raise DetectorInputError(
            field,
            f"is a colour image {array.shape}; the detector needs the raw single-channel "
            "transmission of each energy (the pseudo-colour picture cannot be inverted)",
        )
    if array.ndim != 2:
        raise DetectorInputError(field, f"must be a 2-D image, got shape {array.shape}")
    h, w = array.shape
    if min(h, w) < MIN_SIDE or max(h, w) > MAX_SIDE:
        raise DetectorInputError(
            field, f"is {w}x{h} pixels; each side must be {MIN_SIDE}..{MAX_SIDE}"
        )
    if array.dtype == np.uint16:
        out = array.astype(np.float32) / 65535.0
    elif array.dtype == np.uint8:
        out = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        out = array.astype(np.float32)
        if not np.all(np.isfinite(out)):
            raise DetectorInputError(field, "holds NaN or infinite values")
        if out.min() < 0 or out.max() > 1.0001:
            raise DetectorInputError(
                field,
                f"values run {out.min():.3g}..{out.max():.3g}; transmission must lie in 0..1",
            )
    else:
        raise DetectorInputError(field, f"has pixel type {array.dtype}; use uint16 or float")
    return np.clip(out, _MIN_TRANSMISSION, 1.0)


def _check_order(a_low: np.ndarray, a_high: np.ndarray) -> None:
    """Every material attenuates the low-energy beam more than the high-energy one; images
    where the opposite holds were passed the wrong way round."""
    dense = a_high > 0.1
    if dense.mean() < 0.01:
        return  # an empty tray: nothing to compare
    if np.median(a_low[dense] / a_high[dense]) < 1.0:
        raise DetectorInputError(
            "low",
            "attenuates less than the high-energy image, which no material does: "
            "the two energies look swapped",
        )


def input_channels(detail: bool) -> tuple[str, ...]:
    """The channels a model takes, as its card names them."""
    return (*INPUT_CHANNELS, DETAIL_CHANNEL) if detail else INPUT_CHANNELS


def takes_detail(channels: list[str] | tuple[str, ...]) -> bool:
    """Whether a card's ``inputs`` are the layout with the detail channel; other names are
    refused, because the network would be fed channels it was not trained on."""
    for detail in (False, True):
        if tuple(channels) == input_channels(detail):
            return detail
    raise ValueError(
        f"model inputs {list(channels)} are not a known layout: "
        f"{list(input_channels(False))} or {list(input_channels(True))}"
    )


def with_input_channels(weight: np.ndarray, channels: int) -> np.ndarray:
    """A first convolution's weights ``[out, in, k, k]`` for a model taking ``channels``
    inputs: zeros for the ones it did not take, so it computes what it did (a warm start, or
    the start averaged with a run that added the detail channel)."""
    if weight.ndim != 4 or weight.shape[1] > channels:
        raise ValueError(
            f"cannot widen a convolution weight of shape {weight.shape} to {channels} inputs"
        )
    extra = np.zeros((weight.shape[0], channels - weight.shape[1], *weight.shape[2:]), weight.dtype)
    return np.concatenate([weight, extra], axis=1)


def _block_detail(a_low: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = size
    blocks = a_low[: h * DOWNSAMPLE, : w * DOWNSAMPLE].reshape(h, DOWNSAMPLE, w, DOWNSAMPLE)
    return np.asarray(blocks.max(axis=(1, 3)) - blocks.mean(axis=(1, 3)))


def network_input(low: np.ndarray, high: np.ndarray, detail: bool = False) -> np.ndarray:
    """The (3, H/2, W/2) float32 tensor the network takes, from both channels' transmission;
    (4, H/2, W/2) with the ``detail`` channel."""
    t_low, t_high = transmission(low, "low"), transmission(high, "high")
    if t_low.shape != t_high.shape:
        raise DetectorInputError(
            "high",
            f"is {t_high.shape[1]}x{t_high.shape[0]} but low is "
            f"{t_low.shape[1]}x{t_low.shape[0]}; the two energies must be the same size",
        )
    a_low, a_high = -np.log(t_low), -np.log(t_high)
    _check_order(a_low, a_high)
    h, w = t_low.shape
    size = (max(w // DOWNSAMPLE, 1), max(h // DOWNSAMPLE, 1))
    fine = _block_detail(a_low, size) if detail else None
    a_low = cv2.resize(a_low, size, interpolation=cv2.INTER_AREA)
    a_high = cv2.resize(a_high, size, interpolation=cv2.INTER_AREA)
    z = estimate_z_eff(DualEnergyImage(low=np.exp(-a_low), high=np.exp(-a_high)))
    z_channel = np.nan_to_num((z - 5.0) / 25.0, nan=0.0)
    channels = [a_low / _ATTENUATION_SCALE, a_high / _ATTENUATION_SCALE, z_channel]
    if fine is not None:
        channels.append(fine)  # unscaled: its spread (std ~0.15) is already the others'
    return np.stack(channels).astype(np.float32)
