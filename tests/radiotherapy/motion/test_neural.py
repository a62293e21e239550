from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import torch

from yangcheng.radiotherapy.motion import NoPrediction, lujan_trace, predict_stream
from yangcheng.radiotherapy.motion.neural import (
    Blend,
    OnnxMLPPredictor,
    export_mlp_onnx,
    train_pooled_mlp,
)
from yangcheng.radiotherapy.motion.predictors import InvalidPredictorInput, RecursiveLeastSquares

_train = functools.partial(train_pooled_mlp, window=6, hidden=16, epochs=4)


@pytest.fixture(scope="module")
def traces() -> list[np.ndarray]:
    return [lujan_trace(90, seed=s) for s in range(3)]


@pytest.fixture(scope="module")
def exported(traces, tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    net = _train(traces[:2], 3, seed=0)
    return net, export_mlp_onnx(net, tmp_path_factory.mktemp("mlp") / "m.onnx")


def test_training_is_seeded(traces) -> None:
    net, again = (_train(traces[:1], 2, epochs=1, seed=1) for _ in range(2))
    for a, b in zip(net.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    other = _train(traces[:1], 2, epochs=1, seed=2)
    assert not torch.equal(next(net.parameters()), next(other.parameters()))


def test_onnx_matches_torch(traces, exported) -> None:
    net, path = exported
    model = OnnxMLPPredictor(3, path).fit(traces[2][:300])
    x = traces[2][300:320]
    served = predict_stream(model, x)
    buf = np.concatenate([traces[2][293:300], x])
    lags = np.stack([buf[7:] - buf[7 - k : -k] for k in range(1, 7)], axis=-1)
    with torch.no_grad():
        out = net(torch.tensor(lags / model.scale_[:, None], dtype=torch.float32)).numpy()[..., 0]
    np.testing.assert_allclose(served, x + out * model.scale_, atol=1e-4)


def test_mlp_and_blend_beat_no_prediction(traces, exported) -> None:
    path = exported[1]
    x = traces[2]

    def rmse(model) -> float:
        pred = predict_stream(model.fit(x[:300]), x[300:])
        return float(np.sqrt(((pred[:-3] - x[303:]) ** 2).mean()))

    none = rmse(NoPrediction(3))
    assert rmse(OnnxMLPPredictor(3, path)) < 0.7 * none
    blend = Blend([OnnxMLPPredictor(3, path), RecursiveLeastSquares(3, window=6)], [1, 1])
    assert rmse(blend) < 0.7 * none


def test_rejects_wrong_horizon_and_bad_blend(exported) -> None:
    with pytest.raises(InvalidPredictorInput, match="trained for 3 steps"):
        OnnxMLPPredictor(2, exported[1])
    with pytest.raises(InvalidPredictorInput, match="different horizons"):
        Blend([NoPrediction(1), NoPrediction(2)], [1, 1])
