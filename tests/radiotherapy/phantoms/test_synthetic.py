from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.phantoms import (
    Phantom,
    c_shape_analytic_volumes_cc,
    c_shape_phantom,
    water_phantom,
)


@pytest.fixture(scope="module")
def phantom() -> Phantom:
    return c_shape_phantom()


def test_size_is_small_enough_for_unit_tests(phantom: Phantom) -> None:
    assert 20_000 <= phantom.hu.size <= 120_000
    assert set(phantom.structures) == {"PTV", "Core", "Body"}
    assert phantom.targets() == ["PTV"]


def test_deterministic_per_seed() -> None:
    a, b, c = c_shape_phantom(seed=1), c_shape_phantom(seed=1), c_shape_phantom(seed=2)
    assert a.hu.tobytes() == b.hu.tobytes()
    assert a.hu.tobytes() != c.hu.tobytes()
    for name in a.structures:
        assert a.mask_of(name).tobytes() == c.mask_of(name).tobytes()


def test_volumes_match_analytic_geometry(phantom: Phantom) -> None:
    analytic = c_shape_analytic_volumes_cc()
    assert analytic["PTV"] == pytest.approx(161.5, abs=0.5)
    for name in ("PTV", "Core"):
        assert phantom.volume_cc(name) == pytest.approx(analytic[name], rel=0.05)


def test_c_shape_geometry(phantom: Phantom) -> None:
    z, y, x = phantom.axes_mm()
    ptv, core = phantom.mask_of("PTV"), phantom.mask_of("Core")
    assert not np.any(ptv & core)
    assert np.all(ptv <= phantom.mask_of("Body")) and np.all(core <= phantom.mask_of("Body"))
    pz, py, px = np.nonzero(ptv)
    r_ptv = np.hypot(y[py], x[px])
    assert r_ptv.min() >= 15.0 and r_ptv.max() <= 37.0
    assert y[py].max() <= 5.0  # open towards +y
    assert np.ptp(z[pz]) == pytest.approx(80.0, abs=2.5)
    cz, cy, cx = np.nonzero(core)
    assert np.hypot(y[cy], x[cx]).max() <= 10.0
    assert np.ptp(z[cz]) == pytest.approx(100.0, abs=2.5)
    # the 5 mm gap: on the central slice no PTV voxel centre is within 5 mm of a core one
    k = phantom.shape[0] // 2
    a = np.argwhere(ptv[k]) * 2.5
    b = np.argwhere(core[k]) * 2.5
    gap = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).min()
    assert gap >= 5.0
    assert phantom.hu[~phantom.mask_of("Body")].max() == -1000


def test_water_phantom_volume_and_hu() -> None:
    w = water_phantom((50.0, 40.0, 30.0), (2.0, 2.0, 2.0), margin_voxels=1)
    assert w.volume_cc("Body") == pytest.approx(50 * 40 * 30 / 1000.0, rel=1e-9)
    assert np.all(w.hu[w.mask_of("Body")] == 0)
    assert w.shape == (27, 22, 17)
    assert w.relative_electron_density()[w.mask_of("Body")].mean() == pytest.approx(1.0, abs=0.01)
