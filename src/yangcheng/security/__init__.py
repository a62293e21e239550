"""Security scenario: the dual-energy X-ray baggage simulator (physics, materials, objects,
bags, the annotated dataset)."""

from yangcheng.security.dataset import (
    HARD_TEST,
    STANDARD_TEST,
    Sample,
    XrayBaggageDataset,
    export_coco,
    write_samples,
)
from yangcheng.security.materials import MATERIALS, Material, UnknownMaterial, effective_z, material
from yangcheng.security.objects import CLASSES, PROHIBITED, ObjectClass, Sprite, make_sprite
from yangcheng.security.physics import (
    HIGH,
    LOW,
    Channel,
    DualEnergyImage,
    estimate_z_eff,
    pseudo_colour,
    transmit,
)
from yangcheng.security.scene import Annotation, Scene, generate_scene

__all__ = [
    "CLASSES",
    "HARD_TEST",
    "HIGH",
    "LOW",
    "MATERIALS",
    "PROHIBITED",
    "STANDARD_TEST",
    "Annotation",
    "Channel",
    "DualEnergyImage",
    "Material",
    "ObjectClass",
    "Sample",
    "Scene",
    "Sprite",
    "UnknownMaterial",
    "XrayBaggageDataset",
    "effective_z",
    "estimate_z_eff",
    "export_coco",
    "generate_scene",
    "make_sprite",
    "material",
    "pseudo_colour",
    "transmit",
    "write_samples",
]
