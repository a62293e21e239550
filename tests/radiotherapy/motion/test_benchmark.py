from __future__ import annotations

import pytest

from yangcheng.radiotherapy.motion import default_data_dir, load_all
from yangcheng.radiotherapy.motion.benchmark import run

pytestmark = pytest.mark.skipif(
    not (default_data_dir() / "breathing/markers_seq1.mat").is_file(),
    reason="breathing data not present",
)


def test_real_traces_load_and_prediction_beats_latency() -> None:
    traces = load_all()
    assert len(traces) == 9
    assert all(t.positions_mm.shape[1] == 9 and t.duration_s > 70 for t in traces)
    result = run(traces[:2], models=("NoPrediction", "RLS"), horizons_ms=(200,), quick=True)
    none, rls = (r["rmse_mm"] for r in result["rows"])
    assert 0.3 < none < 3.0
    assert rls < 0.8 * none
