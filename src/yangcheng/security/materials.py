"""The materials a baggage scanner sees, with the attenuation NIST tabulates for them.

Each material is a chemical formula and a density: `xraydb` (Elam, Ravel and Sieber's tables,
the data behind NIST XCOM-style calculations, shipped inside the package) gives its linear
attenuation coefficient at any energy, so nothing here is a fitted guess. Compounds that stand
in for a class of real substances (an alkaloid powder for cocaine or heroin, a cell stack for a
Li-ion battery) say so in their description; their formula and density are the point, since
the scanner measures nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import xraydb

__all__ = ["MATERIALS", "Material", "UnknownMaterial", "effective_z", "material"]

_Z_EXPONENT = 2.94  # photo-electric power law used for the effective atomic number


class UnknownMaterial(KeyError):
    """A material name that is not in the library."""


@dataclass(frozen=True)
class Material:
    """A substance by formula and density; ``category`` is how a screener groups it."""

    id: int
    name: str
    formula: str
    density_g_cm3: float
    category: str
    description: str = ""

    def mu_per_cm(self, energy_kev: np.ndarray) -> np.ndarray:
        """Linear attenuation coefficient (1/cm) at each energy, coherent scattering included."""
        return _mu_per_cm(self.formula, self.density_g_cm3, tuple(np.atleast_1d(energy_kev)))

    @property
    def z_eff(self) -> float:
        return effective_z(self.formula)


@cache
def _mu_per_cm(formula: str, density: float, energy_kev: tuple[float, ...]) -> np.ndarray:
    energies_ev = np.asarray(energy_kev, dtype=float) * 1000.0
    mu = np.asarray(xraydb.material_mu(formula, energies_ev, density=density), dtype=float)
    mu.setflags(write=False)
    return mu


@cache
def effective_z(formula: str) -> float:
    """Effective atomic number by the photo-electric power law over electron fractions.

    Z_eff = (sum_i f_i Z_i^2.94)^(1/2.94), f_i the share of electrons from element i: the
    quantity dual-energy scanners estimate and colour by.
    """
    counts = xraydb.chemparse(formula)
    if not counts:
        raise ValueError(f"formula {formula!r} names no elements")
    z = np.array([xraydb.atomic_number(el) for el in counts], dtype=float)
    n = np.array(list(counts.values()), dtype=float)
    electrons = n * z
    fractions = electrons / electrons.sum()
    return float((fractions * z**_Z_EXPONENT).sum() ** (1 / _Z_EXPONENT))


_LIBRARY: tuple[tuple[str, str, float, str, str], ...] = (
    # name, formula, density g/cm3, category, description
    ("air", "N0.78O0.21Ar0.01", 0.0012, "background", ""),
    ("water", "H2O", 1.0, "liquid", ""),
    ("ethanol", "C2H5OH", 0.789, "flammable liquid", ""),
    ("gasoline", "C8H18", 0.74, "flammable liquid", "iso-octane as the stand-in"),
    ("acetone", "C3H6O", 0.784, "flammable liquid", ""),
    ("hydrogen peroxide", "H2O2", 1.45, "oxidiser", "concentrated (~100%)"),
    ("sugar", "C12H22O11", 0.85, "organic", "granulated sucrose, bulk (crystal 1.59)"),
    ("flour", "C6H10O5", 0.6, "organic", "starch, loose powder"),
    ("alkaloid powder", "C17H21NO4", 0.8, "drug", "cocaine's formula, loose powder"),
    ("heroin-like powder", "C21H23NO5", 0.7, "drug", "diacetylmorphine, loose powder"),
    ("ammonium nitrate", "NH4NO3", 1.72, "explosive", ""),
    ("tnt", "C7H5N3O6", 1.65, "explosive", "trinitrotoluene"),
    ("tatp", "C9H18O6", 1.18, "explosive", "triacetone triperoxide"),
    ("black powder", "KNO3C0.5S0.4", 1.7, "pyrotechnic", "saltpetre, charcoal, sulphur"),
    ("li-ion cell", "LiCoO2C6Al0.5Cu0.5", 2.9, "battery", "cathode, graphite and foils, mixed"),
    ("lead", "Pb", 11.34, "metal", ""),
    ("steel", "Fe0.98C0.02", 7.85, "metal", ""),
    ("aluminium", "Al", 2.70, "metal", ""),
    ("copper", "Cu", 8.96, "metal", ""),
    ("brass", "Cu0.65Zn0.35", 8.5, "metal", ""),
    ("ceramic", "Al2O3", 3.95, "inorganic", "alumina (ceramic knives)"),
    ("glass", "SiO2", 2.5, "inorganic", ""),
    ("pvc", "C2H3Cl", 1.38, "plastic", ""),
    ("polyethylene", "C2H4", 0.95, "plastic", ""),
    ("abs", "C15H17N", 1.05, "plastic", "electronics housings"),
    ("clothing", "C6H10O5", 0.35, "organic", "cotton, folded"),
    ("paper", "C6H10O5", 0.8, "organic", "books, cellulose"),
    ("rubber", "C5H8", 0.92, "organic", ""),
    ("butane", "C4H10", 0.58, "compressed gas", "liquefied, in a lighter or can"),
    ("pepper spray", "C18H27NO3", 0.9, "aerosol", "capsaicin solution stand-in"),
)

MATERIALS: dict[str, Material] = {
    name: Material(i + 1, name, formula, density, category, description)
    for i, (name, formula, density, category, description) in enumerate(_LIBRARY)
}
"""Every material by name; ids start at 1 (0 is 'no material' in material-id masks)."""


def material(name: str) -> Material:
    try:
        return MATERIALS[name]
    except KeyError:
        raise UnknownMaterial(
            f"no material {name!r}; known: {', '.join(sorted(MATERIALS))}"
        ) from None
