"""A site's own threat images: a threat scanned alone reads back as basis-material paths that
project into a bag as the threat itself would (the simulator renders both, so the check is
exact up to the capture's blur and noise)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yangcheng.security.objects import make_sprite, object_class
from yangcheng.security.physics import DualEnergyImage, estimate_z_eff, transmit
from yangcheng.security.scene import Placement, _compose, generate_scene
from yangcheng.security.threat_library import (
    CaptureError,
    ThreatLibrary,
    choose_library_threat,
    project_library_threat,
    sprite_from_capture,
)
from yangcheng.security.threat_projection import project_sprite

TRAY = 20


def _capture(name: str, seed: int, noisy: bool = True) -> tuple[DualEnergyImage, object]:
    rng = np.random.default_rng(seed)
    sprite = make_sprite(name, rng)
    sh, sw = sprite.shape
    cm, materials = _compose([Placement(sprite, TRAY, TRAY)], (sh + 2 * TRAY, sw + 2 * TRAY))
    return transmit(cm, materials, rng=rng if noisy else None), sprite


@pytest.fixture(scope="module")
def bag() -> DualEnergyImage:
    scene = generate_scene(np.random.default_rng(5), n_prohibited=0)
    return transmit(scene.thickness_cm, scene.materials)


@pytest.mark.parametrize(
    ("name", "z_max", "attenuation_max"),
    [("drug_package", 0.1, 0.01), ("flammable_liquid", 0.15, 0.01), ("knife", 0.5, 0.02)],
)
def test_a_captured_threat_projects_as_the_threat_itself(
    bag: DualEnergyImage, name: str, z_max: float, attenuation_max: float
) -> None:
    capture, sprite = _capture(name, 3)
    captured = sprite_from_capture(capture, name)
    assert captured.sprite.class_id == object_class(name).id
    top, left = 180, 160
    ref = project_sprite(bag, sprite, top, left)  # type: ignore[arg-type]
    got = project_sprite(
        bag, captured.sprite, top + captured.top - TRAY, left + captured.left - TRAY, blur_px=0.0
    )
    mask = ref.annotation.mask
    z = np.abs(estimate_z_eff(got.image)[mask] - estimate_z_eff(ref.image)[mask])
    a = np.abs(np.log(got.image.high[mask]) / np.log(ref.image.high[mask]) - 1)
    assert np.nanmedian(z) < z_max and np.median(a) < attenuation_max
    # the box is the threat's, within the capture's blurred edge
    rx, ry, rw, rh = ref.annotation.bbox_xywh
    gx, gy, gw, gh = got.annotation.bbox_xywh
    assert abs(gx - rx) <= 2 and abs(gy - ry) <= 2 and abs(gw - rw) <= 4 and abs(gh - rh) <= 4


def test_steel_is_read_with_the_metal_pair_not_as_aluminium(bag: DualEnergyImage) -> None:
    capture, sprite = _capture("wrench", 4, noisy=False)
    captured = sprite_from_capture(capture, "wrench")
    steel = dict(captured.sprite.layers)["steel"]
    assert (steel > 0).mean() > 0.3 * (
        np.any([p != 0 for _, p in captured.sprite.layers], axis=0)
    ).mean()
    ref = project_sprite(bag, sprite, 100, 100)  # type: ignore[arg-type]
    got = project_sprite(
        bag, captured.sprite, 100 + captured.top - TRAY, 100 + captured.left - TRAY, blur_px=0.0
    )
    mask = ref.annotation.mask
    z = np.abs(estimate_z_eff(got.image)[mask] - estimate_z_eff(ref.image)[mask])
    assert np.nanmedian(z) < 1.0


def test_bad_captures_say_what_is_wrong() -> None:
    air = DualEnergyImage(low=np.ones((64, 64)), high=np.ones((64, 64)))
    with pytest.raises(CaptureError, match="no threat in the capture"):
        sprite_from_capture(air, "knife")
    capture, _ = _capture("knife", 1)
    with pytest.raises(CaptureError, match="not a prohibited class"):
        sprite_from_capture(capture, "umbrella")
    cut = DualEnergyImage(low=capture.low[:, 30:], high=capture.high[:, 30:])
    with pytest.raises(CaptureError, match="touches the capture's edge"):
        sprite_from_capture(cut, "knife")
    counts = DualEnergyImage(low=capture.low * 65535, high=capture.high * 65535)
    with pytest.raises(CaptureError, match=r"transmission in \[0, 1\]"):
        sprite_from_capture(counts, "knife")
    with pytest.raises(CaptureError, match="one 2-D size"):
        sprite_from_capture(DualEnergyImage(low=capture.low, high=capture.high[:-1]), "knife")


def test_a_library_keeps_captures_and_projects_them_into_bags(
    tmp_path: Path, bag: DualEnergyImage
) -> None:
    library = ThreatLibrary(tmp_path / "lib")
    knife, _ = _capture("knife", 1)
    cells, _ = _capture("battery_cell", 2)
    library.add(knife, "knife", "kit-knife-1", source="test kit A")
    library.add(cells, "battery_cell", "kit-cells-1")
    with pytest.raises(CaptureError, match="already holds"):
        library.add(knife, "knife", "kit-knife-1")
    with pytest.raises(CaptureError, match="threat id"):
        library.add(knife, "knife", "Knife #1")
    assert [e.id for e in library.entries()] == ["kit-cells-1", "kit-knife-1"]
    assert [e.id for e in library.entries(("knife",))] == ["kit-knife-1"]
    again = ThreatLibrary(tmp_path / "lib").sprite("kit-knife-1")
    first = sprite_from_capture(knife, "knife").sprite
    for (n1, p1), (n2, p2) in zip(first.layers, again.layers, strict=True):
        assert n1 == n2 and np.array_equal(p1, p2)
    seen = set()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        projected = project_library_threat(bag, rng, library, choose_library_threat(rng, library))
        seen.add(projected.annotation.class_id)
        x, y, w, h = projected.annotation.bbox_xywh
        assert (projected.image.high[y : y + h, x : x + w] < bag.high[y : y + h, x : x + w]).any()
    assert seen == {object_class("knife").id, object_class("battery_cell").id}
    one = project_library_threat(bag, np.random.default_rng(3), library, "kit-knife-1")
    two = project_library_threat(bag, np.random.default_rng(3), library, "kit-knife-1")
    assert np.array_equal(one.image.low, two.image.low)
    assert one.annotation.class_id == object_class("knife").id
    with pytest.raises(CaptureError, match="holds no threat of gun"):
        choose_library_threat(np.random.default_rng(0), library, ("gun",))
    library.remove("kit-knife-1")
    assert [e.id for e in library.entries()] == ["kit-cells-1"]
    with pytest.raises(CaptureError, match="no threat 'kit-knife-1'"):
        project_library_threat(bag, np.random.default_rng(3), library, "kit-knife-1")
