"""Conformity and homogeneity indices of a target dose.

Paddick CI = TV_PIV^2 / (TV * PIV) (Paddick, J Neurosurg 93 (2000) 219): 1 only when the
prescription isodose volume coincides with the target. RTOG CI = PIV / TV. Homogeneity index
per ICRU Report 83: HI = (D2 - D98) / D50, 0 for a perfectly uniform target dose.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from yangcheng.radiotherapy.evaluation.dvh import dose_at_volume, structure_doses
from yangcheng.radiotherapy.evaluation.errors import InvalidMetricError


def _piv(dose_gy: NDArray[np.floating], prescription_gy: float) -> NDArray[np.bool_]:
    if not prescription_gy > 0:
        raise InvalidMetricError(f"prescription_gy must be > 0; got {prescription_gy}")
    return np.asarray(dose_gy) >= prescription_gy


def paddick_ci(
    dose_gy: NDArray[np.floating],
    target_mask: NDArray[np.bool_],
    prescription_gy: float,
    name: str = "target",
) -> float:
    """Paddick conformity index in [0, 1]; 0 when nothing reaches the prescription."""
    structure_doses(dose_gy, target_mask, name)  # shape and emptiness checks
    piv = _piv(dose_gy, prescription_gy)
    tv = int(np.count_nonzero(target_mask))
    piv_count = int(np.count_nonzero(piv))
    if piv_count == 0:
        return 0.0
    tv_piv = int(np.count_nonzero(piv & target_mask))
    return tv_piv**2 / (tv * piv_count)


def rtog_ci(
    dose_gy: NDArray[np.floating],
    target_mask: NDArray[np.bool_],
    prescription_gy: float,
    name: str = "target",
) -> float:
    """RTOG conformity index PIV / TV (1 is ideal, blind to where the isodose lies)."""
    structure_doses(dose_gy, target_mask, name)
    return int(np.count_nonzero(_piv(dose_gy, prescription_gy))) / int(
        np.count_nonzero(target_mask)
    )


def homogeneity_index(
    dose_gy: NDArray[np.floating], target_mask: NDArray[np.bool_], name: str = "target"
) -> float:
    """ICRU 83 HI = (D2 - D98) / D50."""
    d2 = dose_at_volume(dose_gy, target_mask, 2.0, name)
    d98 = dose_at_volume(dose_gy, target_mask, 98.0, name)
    d50 = dose_at_volume(dose_gy, target_mask, 50.0, name)
    if d50 <= 0:
        raise InvalidMetricError(f"{name}: D50 is {d50} Gy; HI is undefined")
    return (d2 - d98) / d50
