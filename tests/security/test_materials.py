from __future__ import annotations

import numpy as np
import pytest

from yangcheng.security.materials import MATERIALS, UnknownMaterial, effective_z, material


@pytest.mark.parametrize(
    ("name", "energy_kev", "mass_mu_cm2_g"),
    [
        # NIST XCOM / Hubbell & Seltzer, total with coherent scattering
        ("water", 60.0, 0.2059),
        ("water", 100.0, 0.1707),
        ("aluminium", 50.0, 0.3681),
        ("lead", 100.0, 5.549),
    ],
)
def test_attenuation_matches_nist_tables(
    name: str, energy_kev: float, mass_mu_cm2_g: float
) -> None:
    m = material(name)
    mu = m.mu_per_cm(np.array([energy_kev]))[0]
    assert mu / m.density_g_cm3 == pytest.approx(mass_mu_cm2_g, rel=0.01)


def test_steel_at_100_kev_is_iron_like() -> None:
    steel = material("steel")
    assert steel.mu_per_cm(np.array([100.0]))[0] / steel.density_g_cm3 == pytest.approx(
        0.3717, rel=0.02
    )


def test_effective_z_of_water_is_the_textbook_value() -> None:
    assert effective_z("H2O") == pytest.approx(7.42, abs=0.02)


def test_effective_z_orders_organics_inorganics_and_metals() -> None:
    z = {name: m.z_eff for name, m in MATERIALS.items()}
    organics = ["gasoline", "ethanol", "sugar", "alkaloid powder", "tnt", "water"]
    assert max(z[n] for n in organics) < 10 < z["ceramic"] < z["aluminium"] < 18
    assert 18 < z["steel"] < z["copper"] < z["lead"]
    assert z["polyethylene"] < z["water"] < z["pvc"]


def test_attenuation_falls_with_energy_and_ids_are_unique() -> None:
    e = np.array([30.0, 60.0, 120.0])
    for m in MATERIALS.values():
        mu = m.mu_per_cm(e)
        if m.name != "lead":  # lead's K-edge at 88 keV breaks monotony, as it should
            assert mu[0] > mu[1] > mu[2], m.name
    assert len({m.id for m in MATERIALS.values()}) == len(MATERIALS) >= 25
    assert min(m.id for m in MATERIALS.values()) == 1


def test_unknown_material_names_the_choices() -> None:
    with pytest.raises(UnknownMaterial, match=r"plutonium.*known: abs"):
        material("plutonium")
