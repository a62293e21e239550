from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from yangcheng.radiotherapy.phantoms import (
    MatradFormatError,
    Phantom,
    Structure,
    mask_to_matrad_indices,
    matrad_indices_to_mask,
    read_matrad,
    write_matrad,
)

# grid (nz, ny, nx) = (4, 2, 3); MATLAB cube is (y, x, z) = (2, 3, 4)
SHAPE_ZYX = (4, 2, 3)


@pytest.mark.parametrize(
    ("index", "zyx"),
    [
        (1, (0, 0, 0)),
        (2, (0, 1, 0)),
        (3, (0, 0, 1)),
        (6, (0, 1, 2)),
        (7, (1, 0, 0)),
        (24, (3, 1, 2)),
    ],
)
def test_linear_index_maps_to_hand_computed_voxel(index: int, zyx: tuple[int, int, int]) -> None:
    mask = matrad_indices_to_mask(np.array([[index]]), SHAPE_ZYX)
    assert np.count_nonzero(mask) == 1
    assert mask[zyx]
    assert mask_to_matrad_indices(mask).tolist() == [index]


def test_index_round_trip_random_mask() -> None:
    rng = np.random.default_rng(3)
    mask = rng.random((5, 7, 6)) < 0.3
    indices = mask_to_matrad_indices(mask)
    assert indices.min() >= 1 and indices.max() <= mask.size
    np.testing.assert_array_equal(matrad_indices_to_mask(indices, mask.shape), mask)


def test_out_of_range_index_is_rejected() -> None:
    with pytest.raises(MatradFormatError, match="out of range"):
        matrad_indices_to_mask(np.array([25]), SHAPE_ZYX)
    with pytest.raises(MatradFormatError, match="out of range"):
        matrad_indices_to_mask(np.array([0]), SHAPE_ZYX)


def _cell(value: object) -> np.ndarray:
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = value
    return cell


def _hand_made_matrad(path: Path) -> None:
    """A tiny file written the way matRad lays it out: cube[y, x, z] = 100y + 10x + z."""
    y, x, z = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing="ij")
    cube = (100 * y + 10 * x + z).astype(np.float64)
    cst = np.empty((2, 6), dtype=object)
    # target: voxels (y=1, x=2, z=3) -> 2 + 2*2 + 3*6 + 1 = 24 and (y=0, x=1, z=0) -> 3
    for row, (name, kind, idx, prio) in enumerate(
        [
            ("PTV", "TARGET", [24.0, 3.0], 1.0),
            ("Body", "OAR", [float(i) for i in range(1, 25)], 3.0),
        ]
    ):
        cst[row, 0] = float(row)
        cst[row, 1] = name
        cst[row, 2] = kind
        cst[row, 3] = _cell(np.array(idx)[:, None])
        cst[row, 4] = {"Priority": prio}
        cst[row, 5] = np.empty((0, 0), dtype=object)
    ct = {"cubeHU": _cell(cube), "resolution": {"x": 3.0, "y": 2.0, "z": 1.5}}
    scipy.io.savemat(path, {"ct": ct, "cst": cst})


def test_read_hand_made_matrad_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.mat"
    _hand_made_matrad(path)
    p = read_matrad(path)
    assert p.shape == SHAPE_ZYX
    assert p.spacing_mm == (1.5, 2.0, 3.0)
    assert p.origin_mm == (1.5, 2.0, 3.0)  # no ct.x/y/z: matRad cube coordinates
    z, y, x = np.meshgrid(np.arange(4), np.arange(2), np.arange(3), indexing="ij")
    np.testing.assert_array_equal(p.hu, 100 * y + 10 * x + z)
    ptv = p.mask_of("PTV")
    assert np.count_nonzero(ptv) == 2 and ptv[3, 1, 2] and ptv[0, 0, 1]
    assert p.structures["PTV"].kind == "target" and p.structures["PTV"].priority == 1
    assert p.structures["Body"].kind == "external" and p.mask_of("Body").all()


def test_write_read_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    hu = rng.integers(-1000, 1500, size=(5, 4, 6)).astype(np.float32)
    ptv = rng.random(hu.shape) < 0.2
    oar = ~ptv & (rng.random(hu.shape) < 0.3)
    phantom = Phantom(
        hu=hu,
        spacing_mm=(2.5, 1.0, 2.0),
        origin_mm=(-5.0, 10.0, -3.0),
        structures={
            "PTV": Structure("PTV", ptv, "target", 1),
            "Cord": Structure("Cord", oar, "oar", 2),
        },
    )
    path = tmp_path / "rt.mat"
    write_matrad(phantom, path)
    back = read_matrad(path)
    np.testing.assert_array_equal(back.hu, hu)
    assert back.spacing_mm == phantom.spacing_mm
    assert back.origin_mm == pytest.approx(phantom.origin_mm)
    assert set(back.structures) == {"PTV", "Cord"}
    for name, s in phantom.structures.items():
        np.testing.assert_array_equal(back.mask_of(name), s.mask)
        assert back.structures[name].kind == s.kind
        assert back.structures[name].priority == s.priority


def test_missing_variable_is_named(tmp_path: Path) -> None:
    path = tmp_path / "noct.mat"
    scipy.io.savemat(path, {"cst": np.empty((0, 6), dtype=object)})
    with pytest.raises(MatradFormatError, match="'ct'"):
        read_matrad(path)


def test_v73_file_gives_clear_error(tmp_path: Path) -> None:
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116, b" ") + b"\x00" * 8
    path = tmp_path / "v73.mat"
    path.write_bytes(header + b"\x00\x02" + b"IM" + b"\x00" * 512)
    with pytest.raises(MatradFormatError, match=r"v7\.3"):
        read_matrad(path)
