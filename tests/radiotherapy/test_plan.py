"""A whole plan on a coarse synthetic C-shape: the core is spared, both arrangements run."""

from __future__ import annotations

import numpy as np

from yangcheng.radiotherapy.evaluation import dose_at_volume
from yangcheng.radiotherapy.phantoms import c_shape_phantom
from yangcheng.radiotherapy.plan import plan_c_shape


def test_robotic_and_coplanar_plans_cover_the_c_and_spare_the_core() -> None:
    phantom = c_shape_phantom(spacing_mm=(5.0, 5.0, 5.0))
    ptv, core = phantom.mask_of("PTV"), phantom.mask_of("Core")
    for arrangement, n_beams in (("robotic", 12), ("imrt", 7)):
        plan = plan_c_shape(phantom, arrangement, n_beams=n_beams, margin_mm=15.0, max_iter=80)
        assert plan.beams == n_beams and plan.dose_gy.shape == phantom.shape
        d95 = dose_at_volume(plan.dose_gy, ptv, 95.0)
        core_d10 = dose_at_volume(plan.dose_gy, core, 10.0)
        assert d95 > 40.0 and core_d10 < 0.6 * d95, (arrangement, d95, core_d10)
        assert {g.metric for g in plan.goals} == {"D95", "D10"}
        assert np.isfinite(plan.dose_gy).all() and (plan.dose_gy >= 0).all()
