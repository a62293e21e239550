"""Threat image projection: a threat projected into a clean bag reads as the same threat packed
in it (the simulator renders both, so the check is exact), with the noise of its darker pixels,
an exact annotation, and the bag untouched elsewhere."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from yangcheng.security.objects import Sprite, make_sprite, object_class
from yangcheng.security.physics import DualEnergyImage, estimate_z_eff, transmit
from yangcheng.security.scene import Placement, Scene, _compose, generate_scene
from yangcheng.security.threat_projection import (
    BASIS,
    basis_thickness,
    project_sprite,
    project_threat,
)


def _one_threat_scene(seed: int, hard: bool = False) -> Scene:
    rng = np.random.default_rng([41, seed])
    while True:
        scene = generate_scene(rng, n_prohibited=1, hard=hard)
        if scene.annotations:
            return scene


def test_basis_thickness_recovers_polyethylene_and_aluminium_paths() -> None:
    paths = np.array([[0.5, 0.0], [10.0, 0.3], [25.0, 1.5], [2.0, 4.0]])
    image = transmit(paths[None], list(BASIS), blur_px=0)
    basis, converged = basis_thickness(-np.log(image.low[0]), -np.log(image.high[0]))
    assert converged.all()
    np.testing.assert_allclose(basis, paths, atol=1e-3)


def test_a_pixel_no_basis_mix_matches_is_flagged_not_overflowed() -> None:
    """A saturated low channel behind steel (-ln T 9.9 against 2.0) needs more negative
    polyethylene than any mix: it is reported unconverged, finite, without numpy warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        basis, converged = basis_thickness(np.array([9.9, 0.5]), np.array([2.0, 0.4]))
    assert converged.tolist() == [False, True]
    assert np.all(np.isfinite(basis))


@pytest.mark.parametrize(("seed", "hard"), [(0, False), (1, False), (2, True), (3, True)])
def test_projection_reads_as_the_threat_packed_in_the_bag(seed: int, hard: bool) -> None:
    """Noise-free: the projected bag against the simulator's own rendering of the full bag, and
    against commercial TIP's product of transmissions, which ignores beam hardening."""
    scene = _one_threat_scene(seed, hard)
    placed = next(p for p in scene.placements if p.annotation == 0)
    packed = transmit(scene.thickness_cm, scene.materials)
    clean_scene = scene.without(0)
    clean = transmit(clean_scene.thickness_cm, clean_scene.materials)
    projected = project_sprite(clean, placed.sprite, placed.top, placed.left)
    alone_cm, alone_materials = _compose([placed], clean.low.shape)
    alone = transmit(alone_cm, alone_materials)
    product = DualEnergyImage(low=clean.low * alone.low, high=clean.high * alone.high)

    mask = scene.annotations[0].mask
    np.testing.assert_array_equal(projected.annotation.mask, mask)
    assert projected.annotation.bbox_xywh == scene.annotations[0].bbox_xywh
    assert projected.annotation.class_id == scene.annotations[0].class_id
    z_packed = estimate_z_eff(packed)[mask]

    def errors(image: DualEnergyImage) -> tuple[float, float]:
        a = np.abs(np.log(image.high[mask]) / np.log(packed.high[mask]) - 1)
        z = np.abs(estimate_z_eff(image)[mask] - z_packed)
        return float(np.median(a)), float(np.nanmedian(z))

    (a_tip, z_tip), (a_product, z_product) = errors(projected.image), errors(product)
    assert a_tip < 0.003 and z_tip < 0.05
    assert a_tip < a_product and z_tip < z_product


def test_projection_into_air_is_the_threat_alone() -> None:
    sprite = make_sprite("knife", np.random.default_rng(3))
    empty = DualEnergyImage(low=np.ones((200, 200)), high=np.ones((200, 200)))
    projected = project_sprite(empty, sprite, 40, 30).image
    cm, materials = _compose([Placement(sprite, 40, 30)], (200, 200))
    alone = transmit(cm, materials)
    np.testing.assert_allclose(projected.high, alone.high, rtol=1e-4)
    np.testing.assert_allclose(projected.low, alone.low, rtol=1e-4)


def test_projected_pixels_have_the_noise_of_their_fewer_photons() -> None:
    """Thinned counts: a flat bag at T = 0.5 under a uniform plate keeps the mean and has the
    Poisson spread of the darker level, not the bright level's spread scaled down."""
    plate = Sprite(
        object_class("explosive_block").id, [("water", np.full((300, 300), 3.0, np.float32))]
    )
    n = 2e4
    rng = np.random.default_rng(5)
    bag = DualEnergyImage(
        low=np.maximum(rng.poisson(0.5 * n, (400, 400)), 1) / n,
        high=np.maximum(rng.poisson(0.5 * n, (400, 400)), 1) / n,
    )
    clean = DualEnergyImage(low=np.full((400, 400), 0.5), high=np.full((400, 400), 0.5))
    expected = project_sprite(clean, plate, 50, 50, blur_px=0).image
    projected = project_sprite(bag, plate, 50, 50, rng=rng, blur_px=0).image
    inner = (slice(60, 340), slice(60, 340))
    for got, want in ((projected.low, expected.low), (projected.high, expected.high)):
        level = float(want[inner].mean())
        assert abs(float(got[inner].mean()) / level - 1) < 0.01
        poisson_sd = np.sqrt(level / n)
        assert abs(float(got[inner].std()) / poisson_sd - 1) < 0.05


def test_projection_leaves_the_bag_elsewhere_and_its_input_untouched() -> None:
    scene = _one_threat_scene(4)
    clean = transmit(scene.thickness_cm, scene.materials, rng=np.random.default_rng(0))
    before = clean.low.copy()
    sprite = make_sprite("battery_cell", np.random.default_rng(9))
    out = project_sprite(clean, sprite, 100, 120, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(clean.low, before)
    far = np.ones(clean.low.shape, bool)
    far[90 : 110 + sprite.shape[0], 110 : 130 + sprite.shape[1]] = False
    np.testing.assert_array_equal(out.image.low[far], clean.low[far])
    assert out.image.low.dtype == clean.low.dtype


def test_a_threat_over_the_border_is_clipped_and_one_outside_refused() -> None:
    empty = DualEnergyImage(low=np.ones((100, 100)), high=np.ones((100, 100)))
    sprite = make_sprite("hammer", np.random.default_rng(2))
    h, w = sprite.shape
    top, left = -(h // 2), -(w // 2)
    clipped = project_sprite(empty, sprite, top, left).annotation
    shown = sprite.mask[-top : -top + 100, -left : -left + 100]
    np.testing.assert_array_equal(clipped.mask[: shown.shape[0], : shown.shape[1]], shown)
    assert clipped.mask.sum() == shown.sum() > 0
    with pytest.raises(ValueError, match="outside"):
        project_sprite(empty, sprite, 200, 0)


def test_project_threat_places_a_chosen_class_inside_the_bag() -> None:
    scene = _one_threat_scene(6)
    clean_scene = scene.without(0)
    clean = transmit(clean_scene.thickness_cm, clean_scene.materials, rng=np.random.default_rng(0))
    bag = -np.log(clean.high) >= 0.05
    rows, cols = np.nonzero(bag.any(axis=1))[0], np.nonzero(bag.any(axis=0))[0]
    rng = np.random.default_rng(11)
    for _ in range(5):
        out = project_threat(clean, rng, classes=("powder", "razor_blade"))
        chosen = {object_class("powder").id, object_class("razor_blade").id}
        assert out.annotation.class_id in chosen
        x, y, w, h = out.annotation.bbox_xywh
        cy, cx = y + h / 2, x + w / 2
        assert rows[0] - h <= cy <= rows[-1] + h and cols[0] - w <= cx <= cols[-1] + w
        assert np.all(out.image.high[out.annotation.mask] <= clean.high[out.annotation.mask] + 0.05)


def test_an_image_without_a_bag_is_refused() -> None:
    empty = DualEnergyImage(low=np.ones((64, 64)), high=np.ones((64, 64)))
    with pytest.raises(ValueError, match="no bag"):
        project_threat(empty, np.random.default_rng(0))
