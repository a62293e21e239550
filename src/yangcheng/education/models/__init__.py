"""Knowledge-tracing models as files: the ones shipped in the package and the ones trained here.

A tracer is served from a file, never from the objects that trained it, so serving needs
neither torch nor the training data: neural tracers as the ONNX graph ``export_onnx`` writes,
NumPy tracers (BKT, IRT) as their learned arrays in an ``.npz``. Each file has a JSON model
card beside it (``<name>.json``), as the security detector's weights do.
"""

from yangcheng.education.models.files import (
    MODEL_SUFFIXES,
    ModelFileError,
    load_tracer,
    model_path,
    read_card,
    save_tracer,
)
from yangcheng.education.models.shipped import (
    ARTIFACTS_DIR,
    DEFAULT_MODEL,
    demo_students,
    load_shipped,
    shipped_card,
    shipped_models,
)

__all__ = [
    "ARTIFACTS_DIR",
    "DEFAULT_MODEL",
    "MODEL_SUFFIXES",
    "ModelFileError",
    "demo_students",
    "load_shipped",
    "load_tracer",
    "model_path",
    "read_card",
    "save_tracer",
    "shipped_card",
    "shipped_models",
]
