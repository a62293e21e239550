"""Security scenario: the dual-energy X-ray baggage simulator (physics, materials, objects,
bags, the annotated dataset), and scanner profiles that read another scanner's images as the
simulated reference scanner's."""

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
from yangcheng.security.scanner_profile import (
    ScannerProfile,
    UnknownScanner,
    fit_profile,
    load_profile,
    save_profile,
)
from yangcheng.security.scene import Annotation, Scene, generate_scene
from yangcheng.security.wedge_table import (
    InvalidWedgeTable,
    WedgeStep,
    read_wedge_table,
    simulate_wedge_table,
    write_wedge_table,
)

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
    "InvalidWedgeTable",
    "Material",
    "ObjectClass",
    "Sample",
    "ScannerProfile",
    "Scene",
    "Sprite",
    "UnknownMaterial",
    "UnknownScanner",
    "WedgeStep",
    "XrayBaggageDataset",
    "effective_z",
    "estimate_z_eff",
    "export_coco",
    "fit_profile",
    "generate_scene",
    "load_profile",
    "make_sprite",
    "material",
    "pseudo_colour",
    "read_wedge_table",
    "save_profile",
    "simulate_wedge_table",
    "transmit",
    "write_samples",
    "write_wedge_table",
]
