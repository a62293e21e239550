from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.line import Conveyor, LineConfigError, item_feed


def test_the_feed_is_deterministic_paced_and_respects_the_belts_spacing() -> None:
    conveyor = Conveyor(belt_speed_m_s=1.0, min_spacing_m=0.5)
    a = list(item_feed(items=2000, rate_per_h=20_000, lanes=4, conveyor=conveyor, seed=3))
    b = list(item_feed(items=2000, rate_per_h=20_000, lanes=4, conveyor=conveyor, seed=3))
    assert a == b
    offsets = np.array([e.offset_s for e in a])
    assert np.all(np.diff(offsets) >= 0)
    rate = len(a) / offsets[-1] * 3600
    assert 18_000 < rate < 22_000
    for lane in {e.lane for e in a}:
        t = np.array([e.offset_s for e in a if e.lane == lane])
        assert np.diff(t).min() >= 0.5 - 1e-9
        pos = np.array([e.belt_position_m for e in a if e.lane == lane])
        np.testing.assert_allclose(pos, t * conveyor.belt_speed_m_s, atol=1e-3)
    assert {e.lane for e in a} == {"L1", "L2", "L3", "L4"}


def test_a_rate_the_lanes_cannot_carry_is_refused_naming_the_field() -> None:
    with pytest.raises(LineConfigError) as err:
        list(item_feed(items=10, rate_per_h=40_000, lanes=2))
    assert err.value.field == "rate_per_h"
    assert "add lanes" in err.value.reason


def test_the_decision_deadline_is_the_time_from_scanner_to_diverter() -> None:
    assert Conveyor(belt_speed_m_s=0.5, scan_to_divert_m=6).decision_deadline_s == 12
    with pytest.raises(LineConfigError):
        Conveyor(belt_speed_m_s=0)
