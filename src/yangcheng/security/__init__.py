"""Security scenario: dual-energy X-ray physics and materials (the simulator's foundation)."""

from yangcheng.security.materials import MATERIALS, Material, UnknownMaterial, effective_z, material
from yangcheng.security.physics import (
    HIGH,
    LOW,
    Channel,
    DualEnergyImage,
    estimate_z_eff,
    pseudo_colour,
    transmit,
)

__all__ = [
    "HIGH",
    "LOW",
    "MATERIALS",
    "Channel",
    "DualEnergyImage",
    "Material",
    "UnknownMaterial",
    "effective_z",
    "estimate_z_eff",
    "material",
    "pseudo_colour",
    "transmit",
]
