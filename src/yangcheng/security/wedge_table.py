"""Step-wedge readings: what a site's scanner measures through materials of known thickness.

Every dual-energy scanner is calibrated the same way: step wedges of a light and a heavy
material (polyethylene, aluminium, steel; crossed, one over the other, so the steps also hold
mixtures) are put through it and the mean of each step's pixels is read in both channels. A
table of such readings is all `scanner_profile.fit_profile` needs to bring that scanner's
images to the one the detector learnt.

The table is a CSV file: one column ``<material>_cm`` per wedge material (any name in
`materials.MATERIALS`, thickness crossed by the beam in cm) and the columns ``low`` and
``high``, each step's mean raw reading in the same units as the scanner's images. Lines
starting with ``#`` are comments.

`simulate_wedge_table` writes the readings a scanner of given spectra would give, through the
simulator's physics: the file format by example, and the test of the fit.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from yangcheng.security.csv_rows import InvalidTable, table_rows
from yangcheng.security.materials import MATERIALS, Material
from yangcheng.security.physics import Channel, channel_transmission

__all__ = [
    "STANDARD_WEDGES",
    "InvalidWedgeTable",
    "WedgeStep",
    "read_wedge_table",
    "simulate_wedge_table",
    "step_thickness",
    "thickness_columns",
    "write_wedge_table",
]

_SUFFIX = "_cm"


class InvalidWedgeTable(InvalidTable):
    """A wedge table that cannot be read, naming the line and what is wrong with it."""


@dataclass(frozen=True)
class WedgeStep:
    """One wedge step: thickness (cm) per material, and the mean raw reading of each channel."""

    thickness_cm: dict[str, float]
    low: float
    high: float

    def materials(self) -> tuple[list[Material], np.ndarray]:
        names = [n for n, t in self.thickness_cm.items() if t > 0]
        return [MATERIALS[n] for n in names], np.array([self.thickness_cm[n] for n in names])


def _cross(light: np.ndarray, heavy: np.ndarray) -> list[tuple[float, float]]:
    return [(a, b) for a in np.r_[0.0, light] for b in np.r_[0.0, heavy] if a + b > 0]


def _standard_wedges() -> list[dict[str, float]]:
    """Polyethylene (0.3-40 cm) crossed with aluminium (0.05-8 cm), and every other
    polyethylene step crossed with steel (0.01-2.5 cm): organics, light metals, steel and
    their mixtures, from a sheet to a full bag's attenuation."""
    pe = np.geomspace(0.3, 40.0, 14)
    al = np.geomspace(0.05, 8.0, 12)
    fe = np.geomspace(0.01, 2.5, 12)
    steps = [
        {"polyethylene": round(a, 3), "aluminium": round(b, 3), "steel": 0.0}
        for a, b in _cross(pe, al)
    ]
    steps += [
        {"polyethylene": round(a, 3), "aluminium": 0.0, "steel": round(c, 3)}
        for a, c in _cross(pe[::2], fe)
        if c > 0
    ]
    return steps


STANDARD_WEDGES: tuple[dict[str, float], ...] = tuple(_standard_wedges())
"""The wedge steps `simulate_wedge_table` reads by default (290 steps)."""


def simulate_wedge_table(
    channels: tuple[Channel, Channel],
    steps: tuple[dict[str, float], ...] = STANDARD_WEDGES,
    *,
    dark: tuple[float, float] = (0.0, 0.0),
    air: tuple[float, float] = (65535.0, 65535.0),
) -> list[WedgeStep]:
    """The readings a scanner with these (low, high) spectra gives through ``steps``: each
    step's noise-free mean (a step's region holds thousands of pixels), as raw counts
    between ``dark`` and ``air``, rounded as a 16-bit scanner stores them."""
    out = []
    for thickness in steps:
        names = [n for n, t in thickness.items() if t > 0]
        t = np.array([[thickness[n] for n in names]])
        readings = []
        for channel, d, a in zip(channels, dark, air, strict=True):
            fraction = float(channel_transmission(t, [MATERIALS[n] for n in names], channel)[0])
            readings.append(round(d + (a - d) * fraction))
        out.append(WedgeStep(dict(thickness), float(readings[0]), float(readings[1])))
    return out


def write_wedge_table(steps: list[WedgeStep], path: Path) -> None:
    names = sorted({n for s in steps for n in s.thickness_cm})
    with path.open("w", newline="") as f:
        f.write("# step-wedge readings: thickness crossed (cm) per material, mean raw counts\n")
        writer = csv.writer(f)
        writer.writerow([f"{n}{_SUFFIX}" for n in names] + ["low", "high"])
        for s in steps:
            writer.writerow(
                [f"{s.thickness_cm.get(n, 0.0):g}" for n in names] + [f"{s.low:g}", f"{s.high:g}"]
            )


def _number(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidWedgeTable(where, f"{column} is {text!r}, not a number") from None
    if not math.isfinite(value):
        raise InvalidWedgeTable(where, f"{column} is {text!r}, not a finite number")
    return value


def thickness_columns(
    header: list[str], others: tuple[str, ...], where: str
) -> list[tuple[str, str]]:
    """(column, material) for each ``<material>_cm`` column; any column neither that nor one
    of ``others`` is refused."""
    for needed in others:
        if needed not in header:
            raise InvalidWedgeTable(where, f"the header has no {needed!r} column: {header}")
    materials = []
    for column in header:
        if column in others:
            continue
        name = column.removesuffix(_SUFFIX)
        if not column.endswith(_SUFFIX) or name not in MATERIALS:
            raise InvalidWedgeTable(
                where,
                f"column {column!r} is neither {', '.join(others)} nor <material>_cm for a known "
                f"material ({', '.join(sorted(MATERIALS))})",
            )
        materials.append((column, name))
    if not materials:
        raise InvalidWedgeTable(where, "names no material column (<material>_cm)")
    return materials


def step_thickness(
    row: dict[str, str], materials: list[tuple[str, str]], where: str
) -> dict[str, float]:
    """A row's thickness per material: non-negative, and some material crossed."""
    thickness = {n: _number(row[c], where, c) for c, n in materials}
    if any(t < 0 for t in thickness.values()):
        raise InvalidWedgeTable(where, "a thickness is negative")
    if not any(t > 0 for t in thickness.values()):
        raise InvalidWedgeTable(
            where, "crosses no material: give the open-beam reading as the air level instead"
        )
    return thickness


def read_wedge_table(path: Path) -> list[WedgeStep]:
    """The steps of a wedge table, refusing what a fit would silently get wrong."""
    header_where, header, rows = table_rows(path, InvalidWedgeTable)
    materials = thickness_columns(header, ("low", "high"), header_where)
    steps = []
    for _, where, row in rows:
        thickness = step_thickness(row, materials, where)
        low = _number(row["low"], where, "low")
        steps.append(WedgeStep(thickness, low, _number(row["high"], where, "high")))
    if not steps:
        raise InvalidWedgeTable(path.name, "has a header but no steps")
    return steps
