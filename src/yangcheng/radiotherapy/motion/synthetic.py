"""Synthetic breathing traces (Lujan et al. 1999 model) for tests and demonstrations.

``z(t) = -b(t) * cos^(2n)(phase(t) / 2)`` with ``phase`` advancing by ``2 pi / period(t)``
per second: exhale plateaus are longer than inhale peaks for n > 1. Amplitude and period
drift slowly (sinusoidally) and Gaussian sensor noise is added. Each marker coordinate is
the same motion scaled by its own gain, plus a slow baseline drift.
"""

from __future__ import annotations

import numpy as np

from yangcheng.radiotherapy.motion.data import SAMPLING_HZ

__all__ = ["lujan_trace"]


def lujan_trace(
    duration_s: float = 120.0,
    sampling_hz: float = SAMPLING_HZ,
    seed: int = 0,
    amplitude_mm: float = 10.0,
    period_s: float = 4.0,
    n: int = 2,
    amplitude_drift: float = 0.2,
    period_drift: float = 0.1,
    baseline_drift_mm: float = 1.0,
    noise_mm: float = 0.1,
    n_markers: int = 3,
) -> np.ndarray:
    """``(T, 3 * n_markers)`` positions in mm; same seed, same bytes."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(duration_s * sampling_hz)) / sampling_hz
    slow = 2 * np.pi * t / 60.0 + rng.uniform(0, 2 * np.pi)
    period = period_s * (1 + period_drift * np.sin(0.7 * slow))
    phase = np.cumsum(2 * np.pi / period) / sampling_hz
    amp = amplitude_mm * (1 + amplitude_drift * np.sin(slow))
    motion = -amp * np.cos(phase / 2) ** (2 * n)
    gains = rng.uniform(0.1, 1.0, size=3 * n_markers) * rng.choice([-1.0, 1.0], 3 * n_markers)
    baseline = (
        baseline_drift_mm
        * np.sin(2 * np.pi * t / 90.0)[:, None]
        * rng.uniform(-1, 1, size=3 * n_markers)
    )
    return motion[:, None] * gains + baseline + rng.normal(0, noise_mm, (t.size, 3 * n_markers))
