"""Cone beam-data tables: the simulated commissioning and a centre's own tables."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from yangcheng.radiotherapy.dose.cone_data import (
    CONE_DIAMETERS_MM,
    ConeBeamData,
    ConeDataError,
    cone_data_from_dict,
    cone_data_to_dict,
    generate_cone_data,
    load_cone_data,
    save_cone_data,
)
from yangcheng.radiotherapy.dose.pencil_beam import PhotonBeamModel, beamlet_dose_projected

DATA = generate_cone_data()


def test_twelve_cones_from_5_to_60_mm() -> None:
    assert DATA.diameters_mm == CONE_DIAMETERS_MM
    assert len(DATA.cones) == 12
    assert DATA.sad_mm == 800.0
    assert "not measured" in DATA.source


def test_output_factor_rises_with_cone_size_and_is_one_for_60_mm() -> None:
    of = np.array([c.output_factor for c in DATA.cones])
    assert np.all(np.diff(of) > 0)
    assert DATA.cone(60.0).output_factor == pytest.approx(1.0, abs=1e-12)
    # the 5 mm cone loses much of its axis dose to source occlusion (about half here)
    assert 0.3 < DATA.cone(5.0).output_factor < 0.8


def test_tmr_peaks_near_15_mm_and_is_one_there() -> None:
    for c in DATA.cones:
        peak = float(c.tmr_depths_mm[np.argmax(c.tmr)])
        assert abs(peak - 15.0) <= 3.0, (c.diameter_mm, peak)
        assert float(c.tmr_at(np.array([15.0]))[0]) == pytest.approx(1.0, abs=1e-12)
        deep = c.tmr_at(np.array([50.0, 100.0, 200.0, 400.0]))
        assert np.all(np.diff(deep) < 0)


def test_tmr_at_depth_rises_with_cone_size() -> None:
    # more phantom scatter reaches the axis of a wider cone
    t100 = np.array([float(c.tmr_at(np.array([100.0]))[0]) for c in DATA.cones])
    assert np.all(np.diff(t100) > 0)


def test_tmr_and_output_factor_match_the_pencil_beam_model_directly() -> None:
    """In water the radiological depth is the geometric depth, so the commissioning
    through the ray tracer must equal the model evaluated at t = 800 mm."""
    model = PhotonBeamModel()
    depths = np.array([5.0, 15.0, 42.0, 100.0, 250.0])

    def axis(size: float, d: np.ndarray) -> np.ndarray:
        t, zero = np.full(len(d), 800.0), np.zeros(len(d))
        return beamlet_dose_projected(model, 800.0, 0, 0, size, "cone", t, zero, zero, d)

    ref60 = axis(60.0, np.array([15.0]))[0]
    assert DATA.dose_per_mu_gy == pytest.approx(ref60, rel=1e-9)
    for size in (5.0, 12.5, 40.0):
        c = DATA.cone(size)
        direct = axis(size, depths) / axis(size, np.array([15.0]))[0]
        np.testing.assert_allclose(c.tmr_at(depths), direct, rtol=1e-6)
        assert c.output_factor == pytest.approx(axis(size, np.array([15.0]))[0] / ref60, rel=1e-9)


def test_ocr_is_one_on_axis_half_at_the_edge_and_falls_outward() -> None:
    for c in DATA.cones:
        np.testing.assert_allclose(c.ocr[:, 0], 1.0, atol=1e-12)
        i15 = int(np.argmin(np.abs(c.ocr_depths_mm - 15.0)))
        prof = c.ocr[i15]
        assert np.all(np.diff(prof) <= 1e-9)
        edge = float(np.interp(c.diameter_mm / 2, c.ocr_radii_mm, prof))
        if c.diameter_mm >= 10.0:  # narrower cones have no flat top to halve
            assert 0.4 < edge < 0.6, (c.diameter_mm, edge)


def test_tables_are_read_only() -> None:
    with pytest.raises(ValueError):
        DATA.cone(10.0).tmr[0] = 2.0


def test_unknown_cone_is_refused_naming_it() -> None:
    with pytest.raises(ConeDataError, match=r"diameter_mm=8.*available"):
        DATA.cone(8.0)


def test_generation_needs_the_60_mm_reference_cone() -> None:
    with pytest.raises(ConeDataError, match="60 mm reference"):
        generate_cone_data(diameters_mm=(5.0, 10.0))


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_saved_tables_load_back_exactly(tmp_path: Path, suffix: str) -> None:
    small = ConeBeamData(
        cones=(DATA.cone(7.5), DATA.cone(60.0)),
        dose_per_mu_gy=DATA.dose_per_mu_gy,
        source="test",
    )
    path = tmp_path / f"cones{suffix}"
    save_cone_data(small, path)
    back = load_cone_data(path)
    assert back.diameters_mm == (7.5, 60.0)
    assert back.dose_per_mu_gy == small.dose_per_mu_gy
    for a, b in zip(back.cones, small.cones, strict=True):
        assert a.output_factor == b.output_factor
        for name in ("tmr_depths_mm", "tmr", "ocr_depths_mm", "ocr_radii_mm", "ocr"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


# ---- a centre's own tables, and their errors --------------------------------------------

_GOOD_CSV = """\
# two depths, three radii: the smallest table the layout allows
table,cone_mm,depth_mm,radius_mm,value
dose_per_mu_gy,,,,0.01
of,10,,,0.87
tmr,10,15,,1.0
tmr,10,100,,0.70
ocr,10,15,0,1.0
ocr,10,15,5,0.5
ocr,10,15,10,0.02
ocr,10,100,0,1.0
ocr,10,100,5,0.52
ocr,10,100,10,0.03
"""


def _write(tmp_path: Path, text: str, name: str = "cones.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_user_csv_loads(tmp_path: Path) -> None:
    data = load_cone_data(_write(tmp_path, _GOOD_CSV))
    c = data.cone(10.0)
    assert c.output_factor == 0.87
    np.testing.assert_array_equal(c.ocr_radii_mm, [0.0, 5.0, 10.0])
    assert float(c.tmr_at(np.array([57.5]))[0]) == pytest.approx(0.85)
    # beyond the last depth: the last two points' exponential fall-off, not a clamp
    assert float(c.tmr_at(np.array([185.0]))[0]) == pytest.approx(0.70 * (0.70 / 1.0))


def test_user_csv_negative_value_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    text = _GOOD_CSV.replace("ocr,10,100,5,0.52", "ocr,10,100,5,-0.52")
    with pytest.raises(ConeDataError, match=r"row 11, column 'value': '-0.52'"):
        load_cone_data(_write(tmp_path, text))


def test_user_csv_missing_cell_is_refused_naming_row_and_column(tmp_path: Path) -> None:
    text = _GOOD_CSV.replace("tmr,10,100,,0.70", "tmr,10,,,0.70")
    with pytest.raises(ConeDataError, match=r"row 6, column 'depth_mm': missing"):
        load_cone_data(_write(tmp_path, text))
    text = _GOOD_CSV.replace("of,10,,,0.87", "of,10,,,")
    with pytest.raises(ConeDataError, match=r"row 4, column 'value': missing"):
        load_cone_data(_write(tmp_path, text))


def test_user_csv_missing_grid_point_is_refused_naming_it(tmp_path: Path) -> None:
    text = _GOOD_CSV.replace("ocr,10,100,10,0.03\n", "")
    with pytest.raises(ConeDataError, match=r"cone 10 mm: ocr missing at depth 100 mm, radius 10"):
        load_cone_data(_write(tmp_path, text))
    text = _GOOD_CSV.replace("of,10,,,0.87\n", "")
    with pytest.raises(ConeDataError, match=r"cone 10 mm: missing 'of' row"):
        load_cone_data(_write(tmp_path, text))


def test_user_csv_other_mistakes_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConeDataError, match="column 'table': 'pdd'"):
        load_cone_data(_write(tmp_path, _GOOD_CSV.replace("tmr,10,15,", "pdd,10,15,")))
    with pytest.raises(ConeDataError, match="header must be"):
        load_cone_data(_write(tmp_path, _GOOD_CSV.replace("radius_mm", "r")))
    with pytest.raises(ConeDataError, match="duplicate tmr for cone 10 mm, depth 15"):
        load_cone_data(_write(tmp_path, _GOOD_CSV + "tmr,10,15,,1.0\n"))
    # a PDD mistaken for a TMR is not 1 at the reference depth
    with pytest.raises(ConeDataError, match="cone 10 mm: tmr at the reference depth"):
        load_cone_data(_write(tmp_path, _GOOD_CSV.replace("tmr,10,15,,1.0", "tmr,10,15,,0.8")))
    with pytest.raises(ConeDataError, match="ocr at depth 15 mm, radius 0"):
        load_cone_data(_write(tmp_path, _GOOD_CSV.replace("ocr,10,15,0,1.0", "ocr,10,15,0,0.9")))
    with pytest.raises(ConeDataError, match="unknown suffix"):
        load_cone_data(_write(tmp_path, _GOOD_CSV, "cones.txt"))


def test_user_json_loads_and_names_bad_values_by_path(tmp_path: Path) -> None:
    obj = cone_data_to_dict(load_cone_data(_write(tmp_path, _GOOD_CSV)))
    p = tmp_path / "cones.json"
    p.write_text(json.dumps(obj), encoding="utf-8")
    assert load_cone_data(p).cone(10.0).output_factor == 0.87

    bad = json.loads(json.dumps(obj))
    bad["cones"][0]["ocr"]["values"][1][2] = -0.03
    with pytest.raises(ConeDataError, match=r"cones\[0\]\.ocr\.values\[1\]\[2\]: -0.03"):
        cone_data_from_dict(bad)
    bad = json.loads(json.dumps(obj))
    bad["cones"][0]["tmr"]["values"][1] = None
    with pytest.raises(ConeDataError, match=r"cones\[0\]\.tmr\.values\[1\]: missing"):
        cone_data_from_dict(bad)
    bad = json.loads(json.dumps(obj))
    del bad["cones"][0]["output_factor"]
    with pytest.raises(ConeDataError, match=r"cones\[0\]\.output_factor: missing"):
        cone_data_from_dict(bad)
    p.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConeDataError, match="line 1, column 2"):
        load_cone_data(p)
