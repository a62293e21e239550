from __future__ import annotations

import numpy as np
import pytest

from yangcheng.radiotherapy.phantoms import (
    InvalidPhantomError,
    Phantom,
    Structure,
    UnknownStructureError,
    hu_to_red,
    red_to_hu,
)


def test_red_of_reference_materials() -> None:
    red = hu_to_red(np.array([-1024.0, -1000.0, 0.0, 200.0, 300.0, 3071.0, 5000.0]))
    assert red[0] == pytest.approx(0.00324)
    assert red[1] == pytest.approx(0.0267, abs=1e-3)  # air
    assert red[2] == pytest.approx(1.0, abs=0.01)  # water
    assert red[3] == pytest.approx(1.2) and red[4] == pytest.approx(1.2)  # plateau
    assert red[5] == red[6] == pytest.approx(2.5306)  # clamped
    assert np.all(np.diff(red) >= 0)


def test_red_to_hu_inverts_off_the_plateau() -> None:
    hu = np.array([-900.0, -100.0, 0.0, 150.0, 1000.0])
    np.testing.assert_allclose(red_to_hu(hu_to_red(hu)), hu, atol=0.5)


def test_phantom_properties_and_errors() -> None:
    hu = np.zeros((2, 3, 4), dtype=np.int16)
    mask = np.zeros(hu.shape, dtype=bool)
    mask[0, 1, 2] = True
    p = Phantom(hu, (2.0, 2.5, 4.0), structures={"PTV": Structure("PTV", mask, "target", 1)})
    assert p.voxel_volume_cc == pytest.approx(0.02)
    assert p.volume_cc("PTV") == pytest.approx(0.02)
    assert p.relative_electron_density().shape == hu.shape
    with pytest.raises(UnknownStructureError, match=r"'Core'.*\['PTV'\]"):
        p.mask_of("Core")
    with pytest.raises(InvalidPhantomError, match="mask shape"):
        Phantom(hu, (1.0, 1.0, 1.0), structures={"X": Structure("X", mask[:1], "oar")})
    with pytest.raises(InvalidPhantomError, match="spacing"):
        Phantom(hu, (1.0, 0.0, 1.0))
    with pytest.raises(InvalidPhantomError, match="kind"):
        Structure("X", mask, "organ")
    with pytest.raises(InvalidPhantomError, match="bool"):
        Structure("X", mask.astype(np.uint8), "oar")
