"""Respiratory motion for tumour tracking: marker traces, prediction, correlation, latency.

The PyTorch/ONNX model lives in ``yangcheng.radiotherapy.motion.neural`` (``Blend``,
``OnnxMLPPredictor``, ``train_pooled_mlp``, ``export_mlp_onnx``) and is not re-exported
here, so that importing the package does not import torch.
"""

from __future__ import annotations

from yangcheng.radiotherapy.motion.correlation import (
    CORRELATION_KINDS,
    CorrelationModel,
    InvalidCorrelationInput,
    SurrogateBasis,
    TumourMotionModel,
    simulate_tumour,
    xray_study,
)
from yangcheng.radiotherapy.motion.data import (
    SAMPLING_HZ,
    BreathingTrace,
    InvalidTrace,
    TimeSplit,
    default_data_dir,
    interpolate_at,
    load_all,
    load_sequence,
    resample,
    split_in_time,
)
from yangcheng.radiotherapy.motion.latency import (
    InvalidLatency,
    TrackingResult,
    latency_sweep,
    simulate_tracking,
)
from yangcheng.radiotherapy.motion.predictors import (
    InvalidPredictorInput,
    LinearAR,
    NoPrediction,
    NormalisedLMS,
    Predictor,
    RecursiveLeastSquares,
    predict_stream,
)
from yangcheng.radiotherapy.motion.synthetic import lujan_trace

__all__ = [
    "CORRELATION_KINDS",
    "SAMPLING_HZ",
    "BreathingTrace",
    "CorrelationModel",
    "InvalidCorrelationInput",
    "InvalidLatency",
    "InvalidPredictorInput",
    "InvalidTrace",
    "LinearAR",
    "NoPrediction",
    "NormalisedLMS",
    "Predictor",
    "RecursiveLeastSquares",
    "SurrogateBasis",
    "TimeSplit",
    "TrackingResult",
    "TumourMotionModel",
    "default_data_dir",
    "interpolate_at",
    "latency_sweep",
    "load_all",
    "load_sequence",
    "lujan_trace",
    "predict_stream",
    "resample",
    "simulate_tracking",
    "simulate_tumour",
    "split_in_time",
    "xray_study",
]
