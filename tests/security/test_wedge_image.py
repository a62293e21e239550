"""Wedge steps read off a scanner's image of its wedges: the step means the physics gives,
and rectangles that straddle an edge or leave the image refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yangcheng.security.materials import MATERIALS
from yangcheng.security.physics import HIGH, LOW, transmit
from yangcheng.security.wedge_image import StepRegion, read_step_regions, steps_from_images
from yangcheng.security.wedge_table import InvalidWedgeTable, simulate_wedge_table

PE = (0.5, 2.0, 5.0, 10.0, 20.0, 35.0)
AL = (0.0, 0.4, 2.0)
CELL = 60


@pytest.fixture(scope="module")
def wedge_images() -> tuple[np.ndarray, np.ndarray]:
    """Polyethylene steps across, aluminium steps down, each cell 60x60 pixels, as 16-bit
    counts with the detector's noise and blur."""
    thickness = np.zeros((CELL * len(AL), CELL * len(PE), 2), np.float32)
    for j, pe in enumerate(PE):
        thickness[:, j * CELL : (j + 1) * CELL, 0] = pe
    for i, al in enumerate(AL):
        thickness[i * CELL : (i + 1) * CELL, :, 1] = al
    image = transmit(
        thickness, [MATERIALS["polyethylene"], MATERIALS["aluminium"]], rng=np.random.default_rng(0)
    )
    return tuple(np.round(t * 65535).astype(np.uint16) for t in (image.low, image.high))  # type: ignore[return-value]


def _regions(margin: int = 10) -> list[StepRegion]:
    return [
        StepRegion(j * CELL + margin, i * CELL + margin, CELL - 2 * margin, CELL - 2 * margin,
                   {"polyethylene": pe, "aluminium": al}, 2 + n)
        for n, (i, j, pe, al) in enumerate(
            (i, j, pe, al) for i, al in enumerate(AL) for j, pe in enumerate(PE)
        )
    ]  # fmt: skip


def test_step_means_are_the_physics_readings(wedge_images: tuple[np.ndarray, np.ndarray]) -> None:
    regions = _regions()
    steps = steps_from_images(*wedge_images, regions)
    expected = simulate_wedge_table((LOW, HIGH), tuple(r.thickness_cm for r in regions))
    for got, want in zip(steps, expected, strict=True):
        assert got.thickness_cm == want.thickness_cm
        assert got.low == pytest.approx(want.low, rel=0.01, abs=3)
        assert got.high == pytest.approx(want.high, rel=0.01, abs=3)


def test_a_rectangle_across_a_step_edge_is_refused(
    wedge_images: tuple[np.ndarray, np.ndarray],
) -> None:
    across = StepRegion(CELL - 20, 10, 40, 40, {"polyethylene": 0.5}, 7)
    with pytest.raises(InvalidWedgeTable, match=r"line 7: the low reading varies .* straddles"):
        steps_from_images(*wedge_images, [across])


def test_a_rectangle_outside_the_image_is_refused(
    wedge_images: tuple[np.ndarray, np.ndarray],
) -> None:
    outside = StepRegion(CELL * len(PE) - 10, 10, 20, 20, {"polyethylene": 35.0}, 4)
    with pytest.raises(InvalidWedgeTable, match=r"line 4: .* runs outside the 360x180 image"):
        steps_from_images(*wedge_images, [outside])


def test_region_table_reads_and_refuses_by_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("# kit A\nx,y,w,h,polyethylene_cm,aluminium_cm\n10,10,40,40,0.5,0\n")
    (region,) = read_step_regions(path)
    assert (region.x, region.w, region.thickness_cm, region.line) == (
        10, 40, {"polyethylene": 0.5, "aluminium": 0.0}, 3,
    )  # fmt: skip
    for text, words in (
        ("x,y,w,polyethylene_cm\n1,2,3,4\n", "no 'h' column"),
        ("x,y,w,h,wood_cm\n1,2,3,4,5\n", "'wood_cm' is neither"),
        ("x,y,w,h,steel_cm\n1,2,3,4,5\n", "line 2: rectangle 1,2,3,4 must"),
        ("x,y,w,h,steel_cm\n1,2,30,40,0\n", "line 2: crosses no material"),
        ("x,y,w,h,steel_cm\n1,2,a,40,1\n", "line 2: holds a rectangle that is not whole numbers"),
    ):
        path.write_text(text)
        with pytest.raises(InvalidWedgeTable, match=words):
            read_step_regions(path)
