"""External-marker breathing traces (Krilavicius et al. 2013, cleaned by Pohl et al. 2022).

Each ``markers_seq{N}.mat`` holds ``org_data`` of shape ``(9, T)``: x, y, z (mm) of three
markers on the chest/abdomen, relative to their first position, sampled at 10 Hz. The
README of the source repository says "73 s to 222 s", but the sample counts (726 to 3199)
and the original file names (``...-N-320-6.csv``) give 72.6 s to 319.9 s at 10 Hz; the
dominant breathing period is 47-66 samples (4.7-6.6 s), plausible for rest breathing at
10 Hz and not at 25 Hz. We therefore use 10 Hz.

Inside the library a trace is ``(T, 9)`` (time first), float64, columns
``m1x, m1y, m1z, m2x, ..., m3z``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

__all__ = [
    "SAMPLING_HZ",
    "BreathingTrace",
    "InvalidTrace",
    "TimeSplit",
    "default_data_dir",
    "interpolate_at",
    "load_all",
    "load_sequence",
    "resample",
    "split_in_time",
]

SAMPLING_HZ = 10.0
N_SEQUENCES = 9
_MAX_ABS_MM = 500.0


class InvalidTrace(ValueError):
    """A breathing trace file or array that cannot be used; the message names the source."""


@dataclass(frozen=True)
class BreathingTrace:
    """One breathing sequence: positions ``(T, 9)`` in mm sampled at ``sampling_hz``."""

    name: str
    positions_mm: np.ndarray
    sampling_hz: float = SAMPLING_HZ

    @property
    def duration_s(self) -> float:
        return self.positions_mm.shape[0] / self.sampling_hz

    @property
    def n_markers(self) -> int:
        return self.positions_mm.shape[1] // 3


@dataclass(frozen=True)
class TimeSplit:
    """Index bounds of a per-sequence split in time: ``[0, val_start)`` train, etc."""

    val_start: int
    test_start: int
    n: int


def default_data_dir() -> Path:
    """``$YANGCHENG_RADIOTHERAPY_DATA``, else ``../shared/data/radiotherapy`` near the repo."""
    env = os.environ.get("YANGCHENG_RADIOTHERAPY_DATA")
    if env:
        return Path(env)
    for candidate in (
        Path.cwd().parent / "shared/data/radiotherapy",
        Path("../shared/data/radiotherapy"),
        Path(__file__).resolve().parents[5] / "shared/data/radiotherapy",
    ):
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared/data/radiotherapy"


def validate_positions(positions_mm: np.ndarray, where: str) -> np.ndarray:
    """Checked ``(T, 3k)`` float64 copy; rejects shapes, NaN and implausible jumps."""
    arr = np.asarray(positions_mm, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] == 0 or arr.shape[1] % 3 != 0:
        raise InvalidTrace(f"{where}: expected shape (T, 3*markers), got {arr.shape}")
    if arr.shape[0] < 20:
        raise InvalidTrace(f"{where}: only {arr.shape[0]} samples, need at least 20")
    bad = ~np.isfinite(arr)
    if bad.any():
        t, c = np.argwhere(bad)[0]
        raise InvalidTrace(f"{where}: non-finite value at sample {t}, column {c}")
    if np.abs(arr).max() > _MAX_ABS_MM:
        t, c = np.unravel_index(np.argmax(np.abs(arr)), arr.shape)
        raise InvalidTrace(
            f"{where}: |position| {abs(arr[t, c]):.1f} mm > {_MAX_ABS_MM} mm at sample {t}, "
            f"column {c} (tracking loss?)"
        )
    return arr


def load_sequence(path: Path | str, sampling_hz: float = SAMPLING_HZ) -> BreathingTrace:
    """Read one ``.mat`` file holding ``org_data`` of shape ``(3k, T)``."""
    path = Path(path)
    if not path.is_file():
        raise InvalidTrace(f"{path}: no such file")
    try:
        content = scipy.io.loadmat(path)
    except (ValueError, OSError, NotImplementedError) as exc:  # v7.3 or not a .mat at all
        raise InvalidTrace(f"{path}: not a readable MATLAB v5 file ({exc})") from exc
    if "org_data" not in content:
        keys = sorted(k for k in content if not k.startswith("__"))
        raise InvalidTrace(f"{path}: no variable 'org_data' (found {keys})")
    raw = np.asarray(content["org_data"])
    if raw.ndim != 2:
        raise InvalidTrace(f"{path}: 'org_data' has {raw.ndim} dimensions, expected 2")
    if not np.issubdtype(raw.dtype, np.number):
        raise InvalidTrace(f"{path}: 'org_data' is {raw.dtype}, expected numbers")
    positions = validate_positions(raw.T, f"{path}: org_data")
    return BreathingTrace(path.stem, positions, sampling_hz)


def load_all(data_dir: Path | None = None) -> list[BreathingTrace]:
    """The nine sequences, in order; raises when the folder lacks one."""
    folder = (data_dir or default_data_dir()) / "breathing"
    return [load_sequence(folder / f"markers_seq{i}.mat") for i in range(1, N_SEQUENCES + 1)]


def resample(positions: np.ndarray, from_hz: float, to_hz: float) -> np.ndarray:
    """Linear interpolation onto a regular grid at ``to_hz`` over the same time span."""
    if from_hz <= 0 or to_hz <= 0:
        raise InvalidTrace(f"resample: rates must be > 0, got {from_hz} -> {to_hz} Hz")
    arr = np.asarray(positions, dtype=np.float64)
    t_in = np.arange(arr.shape[0]) / from_hz
    t_out = np.arange(0.0, t_in[-1] + 1e-9, 1.0 / to_hz)
    return interpolate_at(arr, from_hz, t_out)


def interpolate_at(positions: np.ndarray, sampling_hz: float, times_s: np.ndarray) -> np.ndarray:
    """Positions at arbitrary times (linear, clamped at the ends): for jittered sensing."""
    arr = np.asarray(positions, dtype=np.float64)
    t_in = np.arange(arr.shape[0]) / sampling_hz
    times = np.asarray(times_s, dtype=np.float64)
    return np.stack([np.interp(times, t_in, arr[:, c]) for c in range(arr.shape[1])], axis=1)


def split_in_time(n: int, train: float = 2 / 9, validation: float = 1 / 9) -> TimeSplit:
    """Contiguous split: train, then validation, then test (the remaining 2/3 by default).

    The defaults put the test part at the last two thirds, where the no-prediction RMSE
    (0.58/1.09/1.58/2.03 mm) reproduces the project's baseline figures.
    """
    if not (train > 0 and validation > 0 and train + validation < 1):
        raise InvalidTrace(f"split_in_time: bad fractions train={train}, validation={validation}")
    val_start = round(n * train)
    test_start = round(n * (train + validation))
    if val_start < 10 or test_start - val_start < 10 or n - test_start < 10:
        raise InvalidTrace(f"split_in_time: {n} samples too few for the split")
    return TimeSplit(val_start, test_start, n)
