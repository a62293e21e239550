from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.materials import MATERIALS, material
from yangcheng.security.physics import HIGH, LOW, estimate_z_eff, pseudo_colour, transmit


def _slab(thickness_cm: float, shape: tuple[int, int] = (2, 2)) -> np.ndarray:
    return np.full((*shape, 1), thickness_cm)


def test_channel_weights_are_normalised_and_the_high_channel_is_harder() -> None:
    for channel in (LOW, HIGH):
        assert channel.weights.sum() == pytest.approx(1.0)
        assert channel.energy_kev.max() < channel.kvp
    mean_low = (LOW.weights * LOW.energy_kev).sum()
    mean_high = (HIGH.weights * HIGH.energy_kev).sum()
    assert 40 < mean_low < 60 < 80 < mean_high < 110


def test_transmission_falls_with_thickness_and_more_in_the_low_channel() -> None:
    water = material("water")
    t = np.array([0.0, 1.0, 5.0, 20.0])[:, None]
    image = transmit(t, [water], blur_px=0)
    assert image.low[0] == pytest.approx(1.0) and image.high[0] == pytest.approx(1.0)
    assert np.all(np.diff(image.low) < 0) and np.all(np.diff(image.high) < 0)
    assert np.all(image.low[1:] < image.high[1:])


def test_two_materials_on_one_path_multiply() -> None:
    water, steel = material("water"), material("steel")
    both = transmit(np.array([[2.0, 0.1]]), [water, steel], blur_px=0)
    # polychromatic beams harden: the product of separate transmissions is a lower bound
    alone_w = transmit(np.array([[2.0]]), [water], blur_px=0)
    alone_s = transmit(np.array([[0.1]]), [steel], blur_px=0)
    assert both.high[0] >= alone_w.high[0] * alone_s.high[0]
    assert both.high[0] < min(alone_w.high[0], alone_s.high[0])


@pytest.mark.parametrize(
    ("name", "thickness_cm"),
    [
        ("polyethylene", 3.0),
        ("ethanol", 3.0),
        ("water", 2.0),
        ("sugar", 2.0),
        ("tnt", 2.0),
        ("ceramic", 1.0),
        ("aluminium", 1.0),
        ("pvc", 2.0),
        ("steel", 0.2),
        ("copper", 0.2),
    ],
)
def test_effective_z_is_recovered_from_the_two_channels(name: str, thickness_cm: float) -> None:
    image = transmit(_slab(thickness_cm), [material(name)], blur_px=0)
    z = float(estimate_z_eff(image)[0, 0])
    assert z == pytest.approx(material(name).z_eff, rel=0.1)


def test_estimated_z_orders_materials_as_a_screener_needs() -> None:
    def z_of(name: str, t: float) -> float:
        return float(estimate_z_eff(transmit(_slab(t), [material(name)], blur_px=0))[0, 0])

    assert (
        z_of("ethanol", 3) < z_of("water", 3) < 10 < z_of("aluminium", 1) < 18 < z_of("steel", 0.2)
    )


def test_noise_is_poisson_and_deterministic_by_seed() -> None:
    thickness = np.full((64, 64, 1), 3.0)
    water = [material("water")]
    a = transmit(thickness, water, rng=np.random.default_rng(7), blur_px=0)
    b = transmit(thickness, water, rng=np.random.default_rng(7), blur_px=0)
    c = transmit(thickness, water, rng=np.random.default_rng(8), blur_px=0)
    assert np.array_equal(a.low, b.low) and not np.array_equal(a.low, c.low)
    clean = transmit(thickness[:1, :1], water, blur_px=0).low[0, 0]
    expected_sd = np.sqrt(clean * LOW.photons_per_pixel) / LOW.photons_per_pixel
    assert a.low.std() == pytest.approx(expected_sd, rel=0.15)
    assert a.low.mean() == pytest.approx(clean, rel=0.01)


def test_pseudo_colour_paints_organics_orange_and_metals_blue() -> None:
    rows = [("water", 3.0), ("aluminium", 1.0), ("steel", 0.3)]
    thickness = np.zeros((3, 8, 3))
    for i, (_, t) in enumerate(rows):
        thickness[i, :, i] = t
    image = transmit(thickness, [material(n) for n, _ in rows], blur_px=0)
    rgb = pseudo_colour(image).astype(int)
    organic, mixed, metal = rgb[0, 4], rgb[1, 4], rgb[2, 4]
    assert organic[0] > organic[1] > organic[2]  # orange
    assert mixed[1] > mixed[0] and mixed[1] > mixed[2]  # green
    assert metal[2] > metal[0] and metal[2] > metal[1]  # blue
    empty = pseudo_colour(transmit(np.zeros((1, 1, 1)), [MATERIALS["water"]], blur_px=0))
    assert empty.min() > 240  # open beam is white


def test_bad_thickness_is_refused() -> None:
    with pytest.raises(ValueError, match="material planes"):
        transmit(np.zeros((2, 2, 2)), [material("water")])
    with pytest.raises(ValueError, match="non-negative"):
        transmit(np.full((2, 2, 1), -1.0), [material("water")])
