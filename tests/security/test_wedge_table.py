"""Step-wedge tables: written and read back exactly, and every malformed line refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from yangcheng.security.physics import HIGH, LOW
from yangcheng.security.wedge_table import (
    STANDARD_WEDGES,
    InvalidWedgeTable,
    read_wedge_table,
    simulate_wedge_table,
    write_wedge_table,
)


def test_simulated_table_reads_back_step_for_step(tmp_path: Path) -> None:
    steps = simulate_wedge_table((LOW, HIGH), STANDARD_WEDGES[:40], dark=(100, 120))
    write_wedge_table(steps, tmp_path / "w.csv")
    back = read_wedge_table(tmp_path / "w.csv")
    assert back == steps


def test_readings_fall_with_thickness_and_the_low_channel_falls_faster() -> None:
    steps = simulate_wedge_table((LOW, HIGH), tuple({"aluminium": t} for t in (0.1, 0.5, 1.0, 2.0)))
    lows, highs = [s.low for s in steps], [s.high for s in steps]
    assert lows == sorted(lows, reverse=True) and highs == sorted(highs, reverse=True)
    assert all(lo < hi for lo, hi in zip(lows, highs, strict=True))


def test_standard_wedges_cross_a_light_and_heavy_material() -> None:
    names = {n for s in STANDARD_WEDGES for n, t in s.items() if t > 0}
    assert names == {"polyethylene", "aluminium", "steel"}
    mixed = [s for s in STANDARD_WEDGES if sum(t > 0 for t in s.values()) == 2]
    assert len(mixed) > len(STANDARD_WEDGES) / 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no header"),
        ("# only a comment\n", "no header"),
        ("polyethylene_cm,low,high\n", "no steps"),
        ("polyethylene_cm,low\n1,2\n", "no 'high' column"),
        ("wood_cm,low,high\n1,2,3\n", "'wood_cm' is neither"),
        ("low,high\n1,2\n", "names no material"),
        ("aluminium_cm,low,high\n1,2\n", "line 2: has 2 fields"),
        ("aluminium_cm,low,high\n1,abc,3\n", "line 2: low is 'abc'"),
        ("aluminium_cm,low,high\n# c\n1,2,nan\n", "line 3: high is 'nan'"),
        ("aluminium_cm,low,high\n-1,2,3\n", "line 2: a thickness is negative"),
        ("aluminium_cm,steel_cm,low,high\n0,0,2,3\n", "crosses no material"),
    ],
)
def test_malformed_tables_are_refused_naming_the_line(
    tmp_path: Path, text: str, words: str
) -> None:
    path = tmp_path / "w.csv"
    path.write_text(text)
    with pytest.raises(InvalidWedgeTable, match=words):
        read_wedge_table(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidWedgeTable, match="cannot be read"):
        read_wedge_table(tmp_path / "none.csv")
