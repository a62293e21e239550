from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.evaluation import ShapeMismatchError, dose_slice_png, dvh, dvh_plot_png
from yangcheng.radiotherapy.phantoms import c_shape_phantom

PNG = b"\x89PNG\r\n\x1a\n"


def test_pngs() -> None:
    phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0))
    dose = np.where(phantom.mask_of("PTV"), 50.0, 5.0)
    curves = {n: dvh(dose, phantom.mask_of(n), name=n) for n in ("PTV", "Core")}
    png = dvh_plot_png(curves, prescription_gy=50.0)
    assert png.startswith(PNG) and len(png) > 5_000
    mid = phantom.shape[0] // 2
    a = dose_slice_png(dose, phantom, mid)
    b = dose_slice_png(dose, phantom, 0)
    assert a.startswith(PNG) and a != b
    with pytest.raises(ShapeMismatchError):
        dose_slice_png(dose[1:], phantom, 0)
