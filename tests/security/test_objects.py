from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.materials import MATERIALS
from yangcheng.security.objects import (
    CLASSES,
    PROHIBITED,
    ObjectClass,
    _Canvas,
    _clothes,
    _garment,
    _tilt,
    make_sprite,
)
from yangcheng.security.physics import estimate_z_eff, transmit


def test_at_least_twenty_prohibited_classes_with_distinct_names_and_ids() -> None:
    assert len(PROHIBITED) >= 20
    assert len({c.name for c in CLASSES}) == len(CLASSES)
    assert [c.id for c in CLASSES] == list(range(1, len(CLASSES) + 1))
    assert max(c.id for c in PROHIBITED) < min(c.id for c in CLASSES if not c.prohibited)


@pytest.mark.parametrize("thin", [False, True])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.name)
def test_every_class_renders_its_materials(cls: ObjectClass, thin: bool) -> None:
    sprite = make_sprite(cls.name, np.random.default_rng(3), thin=thin)
    assert sprite.class_id == cls.id
    assert sprite.mask.any()
    for name, t in sprite.layers:
        assert name in MATERIALS
        assert t.dtype == np.float32 and t.shape == sprite.shape
        assert t.max() > 0 and t.min() >= 0
    mask = sprite.mask  # the canvas is the tight box of the object
    assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()


def test_same_seed_gives_identical_sprites() -> None:
    for cls in CLASSES:
        a = make_sprite(cls.name, np.random.default_rng(11))
        b = make_sprite(cls.name, np.random.default_rng(11))
        assert [n for n, _ in a.layers] == [n for n, _ in b.layers]
        for (_, ta), (_, tb) in zip(a.layers, b.layers, strict=True):
            assert np.array_equal(ta, tb)


def test_thin_pose_shrinks_the_outline() -> None:
    flat = [make_sprite("knife", np.random.default_rng(s)).mask.sum() for s in range(8)]
    thin = [make_sprite("knife", np.random.default_rng(s), thin=True).mask.sum() for s in range(8)]
    assert np.mean(thin) < 0.7 * np.mean(flat)


def _median_z(name: str, wanted: str) -> float:
    for seed in range(50):
        sprite = make_sprite(name, np.random.default_rng(seed))
        layers = dict(sprite.layers)
        if wanted not in layers:
            continue
        names = list(layers)
        stack = np.stack([layers[n] for n in names], axis=-1)
        image = transmit(stack, [MATERIALS[n] for n in names], blur_px=0)
        z = estimate_z_eff(image)
        return float(np.nanmedian(z[layers[wanted] > 0.05]))
    raise AssertionError(f"no {name} with {wanted} in 50 seeds")


def test_a_cylinder_turned_about_its_own_axis_projects_as_it_was() -> None:
    canvas = _Canvas(200, 80, 1.5)
    canvas.rod("water", (10, 40), (190, 40), 30)  # axis along x
    flat = canvas.layers["water"][..., None]
    for cos in (0.9, 0.6, 0.3):
        turned = _tilt(flat, cos, 1.5)[..., 0]
        assert turned.sum() == pytest.approx(flat.sum(), rel=1e-5)  # mass kept
        assert turned.max() == pytest.approx(60, rel=0.08)  # still a 60 mm diameter (was 60/cos)
        rows = np.flatnonzero(turned.max(axis=1) > 0.5)
        assert rows.size == pytest.approx(40, abs=2)  # still 60 mm wide at 1.5 mm


def test_a_plate_tilted_is_foreshortened_and_its_path_stretched_by_one_over_cos() -> None:
    plate = np.zeros((60, 80, 1), np.float32)
    plate[10:50, 10:70] = 2.0
    for cos in (0.9, 0.5, 0.25):
        tilted = _tilt(plate, cos, 1.5)[..., 0]
        assert tilted.sum() == pytest.approx(plate.sum(), rel=1e-5)
        assert tilted[:, 40].max() == pytest.approx(2.0 / cos, rel=0.03)
        assert np.count_nonzero(tilted[:, 40] > 0.01) <= 40 * cos + 3


def _max_step(t: np.ndarray) -> float:
    return float(max(np.abs(np.diff(t, axis=0)).max(), np.abs(np.diff(t, axis=1)).max()))


def test_folded_clothes_step_where_a_pillow_of_flour_is_smooth() -> None:
    # Away from the rounded edges, a garment's depth jumps by whole layers within a pixel; a
    # pouch of powder changes by a few per cent a pixel at most. Both have the same mean path.
    for seed in range(8):
        garment = _Canvas(290, 210, 1.5)
        _garment(garment, np.random.default_rng(seed), 280, 200, 50)
        cloth = garment.layers["clothing"]
        inner = cloth[20:-20, 20:-20]
        pouch = _Canvas(290, 210, 1.5)
        pouch.pillow("flour", 5, 5, 285, 205, 50)
        flour = pouch.layers["flour"][20:-20, 20:-20]
        assert _max_step(inner) > 0.15 * inner.mean()
        assert _max_step(flour) < 0.05 * flour.mean()
        assert cloth[cloth > 0].mean() == pytest.approx(0.76 * 50, rel=0.05)


def test_clothes_fold_from_their_own_stream() -> None:
    # The folds must not shift the draws of the objects placed after them in a bag.
    rng, twin = np.random.default_rng(4), np.random.default_rng(4)
    _clothes(rng, lambda x: x, 1.5)
    twin.random()  # the zip or not: the one draw a garment takes from the bag
    assert rng.random() == twin.random()


def test_steel_knife_reads_heavier_than_ethanol_bottle() -> None:
    knife, ethanol = _median_z("knife", "steel"), _median_z("flammable_liquid", "ethanol")
    assert knife > 18 > 10 > ethanol
