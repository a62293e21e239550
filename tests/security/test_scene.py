from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security import scene
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.physics import transmit
from yangcheng.security.scene import _garment_steps, generate_scene

_SIZE = (256, 256)
_PROHIBITED_IDS = {c.id for c in PROHIBITED}


def test_same_seed_gives_identical_scene() -> None:
    a = generate_scene(np.random.default_rng(5), _SIZE, hard=True)
    b = generate_scene(np.random.default_rng(5), _SIZE, hard=True)
    assert np.array_equal(a.thickness_cm, b.thickness_cm)
    assert [m.name for m in a.materials] == [m.name for m in b.materials]
    assert [(x.class_id, x.bbox_xywh) for x in a.annotations] == [
        (x.class_id, x.bbox_xywh) for x in b.annotations
    ]


def test_material_planes_are_merged_and_non_negative() -> None:
    scene = generate_scene(np.random.default_rng(2), _SIZE, n_prohibited=3)
    names = [m.name for m in scene.materials]
    assert len(names) == len(set(names))
    assert scene.thickness_cm.shape == (*_SIZE, len(names))
    assert scene.thickness_cm.dtype == np.float32 and scene.thickness_cm.min() >= 0


def test_boxes_are_tight_on_masks_and_masks_attenuate() -> None:
    checked = 0
    for seed in range(4):
        scene = generate_scene(np.random.default_rng(seed), _SIZE, n_prohibited=3)
        full = transmit(scene.thickness_cm, scene.materials, blur_px=0)
        for i, ann in enumerate(scene.annotations):
            assert ann.class_id in _PROHIBITED_IDS
            rows = np.nonzero(ann.mask.any(axis=1))[0]
            cols = np.nonzero(ann.mask.any(axis=0))[0]
            x, y = int(cols[0]), int(rows[0])
            assert ann.bbox_xywh == (x, y, int(cols[-1]) - x + 1, int(rows[-1]) - y + 1)
            assert ann.material_ids
            rest = scene.without(i)
            empty = transmit(rest.thickness_cm, rest.materials, blur_px=0)
            floor = 1.0 / 2e4 + 1e-12  # transmit's clip at one photon
            m = ann.mask & (full.low > floor)
            assert np.all(full.low[ann.mask] <= empty.low[ann.mask])
            assert np.all(full.low[m] < empty.low[m])
            assert np.all(full.high[ann.mask] <= empty.high[ann.mask])
            outside = ~ann.mask
            assert np.allclose(full.low[outside], empty.low[outside], rtol=1e-5)
            checked += 1
    assert checked >= 6


def test_only_prohibited_items_are_annotated() -> None:
    scene = generate_scene(np.random.default_rng(9), _SIZE, n_prohibited=2, n_clutter=6)
    assert len(scene.annotations) == 2
    assert len(scene.placements) == 1 + 6 + 2  # bag, clutter, prohibited
    assert {p.annotation for p in scene.placements} == {None, 0, 1}


def test_hard_scenes_have_more_clutter() -> None:
    def clutter(hard: bool) -> float:
        counts = []
        for seed in range(6):
            s = generate_scene(np.random.default_rng(seed), _SIZE, n_prohibited=0, hard=hard)
            counts.append(len(s.placements) - 1)
        return float(np.mean(counts))

    assert clutter(True) >= 1.8 * clutter(False)


def test_packed_clothes_keep_their_mass_and_leave_the_stream_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inside = np.zeros((200, 300), bool)
    inside[20:180, 30:270] = True
    steps = _garment_steps(np.random.default_rng(9), inside, 1.5)
    assert steps[inside].mean() == pytest.approx(1.0, rel=1e-5)
    assert len(np.unique(np.round(steps[inside], 4))) >= 4  # several pieces overlap
    # the bag's next draw is the same with the folds as with none at all
    rng = np.random.default_rng(9)
    scene._bag(rng, _SIZE, 1.5)
    monkeypatch.setattr(scene, "_garment_steps", lambda *_: np.float32(1.0))
    flat = np.random.default_rng(9)
    scene._bag(flat, _SIZE, 1.5)
    assert rng.random() == flat.random()
