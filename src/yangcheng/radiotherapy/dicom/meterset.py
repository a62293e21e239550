"""Beamlet weights to monitor units, under a stated nominal calibration.

The pencil-beam model normalises a weight of 1 to 1 Gy at the depth of maximum dose, at the
source-axis distance, for a broad reference field (`dose.pencil_beam`). The nominal
calibration here is the usual 1 MU = 0.01 Gy at dmax for the reference field at SAD, so
one unit of weight is 100 MU. It is NOMINAL: there are no output factors (small fields and
cones deliver less per MU on a real machine), no head scatter and no machine-specific
calibration, so these MU are not deliverable as they stand; a treatment planning system
must recompute them.

A beam's meterset is the MU of its most weighted beamlet: a fluence map delivered by any
MLC or cone sequence needs at least that many, and for a cone beam (one beamlet) it is exact.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.dicom.errors import InvalidPlanError

__all__ = ["GY_PER_MU", "MU_PER_UNIT_WEIGHT", "beam_metersets_mu", "weights_to_mu"]

GY_PER_MU = 0.01
"""Nominal calibration: 1 MU gives 0.01 Gy at dmax for the reference field at SAD."""
MU_PER_UNIT_WEIGHT = 1.0 / GY_PER_MU
"""A unit beamlet weight gives 1 Gy at dmax of a broad field at SAD, i.e. 100 MU."""


def weights_to_mu(weights: NDArray[np.floating], n_fractions: int) -> NDArray[np.float64]:
    """MU per fraction of each beamlet, for weights that give the whole plan's dose."""
    if n_fractions < 1:
        raise InvalidPlanError(f"n_fractions: must be >= 1, got {n_fractions}")
    return np.asarray(weights, dtype=np.float64) * MU_PER_UNIT_WEIGHT / n_fractions


def beam_metersets_mu(
    beam_index: NDArray[np.integer], beamlet_mu: NDArray[np.float64], n_beams: int
) -> NDArray[np.float64]:
    """Meterset of each beam: the largest beamlet MU it holds (0 for a beam with none)."""
    metersets = np.zeros(n_beams, dtype=np.float64)
    np.maximum.at(metersets, np.asarray(beam_index, dtype=np.intp), beamlet_mu)
    return metersets
