from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from yangcheng.radiotherapy.motion import (
    InvalidTrace,
    load_sequence,
    lujan_trace,
    resample,
    split_in_time,
)


def _write(path: Path, **variables: object) -> Path:
    scipy.io.savemat(path, variables)
    return path


def test_reads_org_data_time_first(tmp_path: Path) -> None:
    raw = np.arange(9 * 50, dtype=np.float32).reshape(9, 50) / 10
    trace = load_sequence(_write(tmp_path / "seq.mat", org_data=raw))
    assert trace.positions_mm.shape == (50, 9)
    np.testing.assert_allclose(trace.positions_mm[:, 2], raw[2], rtol=1e-6)
    assert trace.duration_s == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"other": np.zeros((9, 50))}, "no variable 'org_data'"),
        ({"org_data": np.zeros((8, 50))}, "3*markers"),
        ({"org_data": np.zeros((9, 5))}, "only 5 samples"),
        ({"org_data": np.where(np.arange(450).reshape(9, 50) == 77, np.nan, 0.0)}, "sample 27"),
        ({"org_data": np.where(np.arange(450).reshape(9, 50) == 60, 9e3, 0.0)}, "tracking loss"),
    ],
)
def test_rejects_malformed_file(tmp_path: Path, variables: dict, message: str) -> None:
    path = _write(tmp_path / "bad.mat", **variables)
    with pytest.raises(InvalidTrace, match=message) as info:
        load_sequence(path)
    assert "bad" in str(info.value)


def test_rejects_non_mat_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.mat"
    path.write_bytes(b"not a matlab file at all" * 10)
    with pytest.raises(InvalidTrace, match=r"junk\.mat"):
        load_sequence(path)


def test_resample_keeps_a_linear_ramp() -> None:
    ramp = np.stack([np.arange(100.0)] * 3, axis=1)
    up = resample(ramp, 10.0, 30.0)
    assert up.shape[0] == 298
    np.testing.assert_allclose(up[:, 0], np.arange(298) / 3, atol=1e-9)


def test_split_is_ordered_and_covers_the_trace() -> None:
    s = split_in_time(900)
    assert 0 < s.val_start < s.test_start < s.n == 900
    assert s.test_start == 300
    with pytest.raises(InvalidTrace):
        split_in_time(20)


def test_lujan_trace_is_deterministic() -> None:
    a, b = lujan_trace(30, seed=4), lujan_trace(30, seed=4)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, lujan_trace(30, seed=5))
    assert a.shape == (300, 9)
