"""Breathing-prediction benchmark on the nine Krilavicius marker sequences.

Protocol (after Pohl et al. 2022): each sequence is split in time into train (first 2/9),
validation (next 1/9) and test (last 2/3). Hyper-parameters are chosen per model and per
horizon by grid search, shared by the sequences: fit on train, stream the validation part,
lowest mean validation RMSE wins. The pooled MLP (``neural.py``) is trained on the
training parts of all nine sequences (never their validation or test parts) and served
through ONNX Runtime. The
chosen model is then refitted on train + validation and streamed over the test part
(online models keep adapting causally). Error at time t is the 3-D distance between the
predicted and true position of each marker at t + h, for prediction times t in the test
part; a sequence's RMSE is over all (t, marker); the table gives the mean of the nine
sequence RMSEs and the 95th percentile of the pooled 3-D errors. Sampling is 10 Hz, so
100/200/300/400 ms are 1/2/3/4 steps.

Run: ``python -m yangcheng.radiotherapy.motion.benchmark [--quick] [--studies] [--out FILE]``
(``--studies`` adds the latency sweep and the X-ray correlation study).
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from yangcheng.radiotherapy.motion.correlation import xray_study
from yangcheng.radiotherapy.motion.data import BreathingTrace, load_all, split_in_time
from yangcheng.radiotherapy.motion.latency import latency_sweep
from yangcheng.radiotherapy.motion.neural import (
    Blend,
    OnnxMLPPredictor,
    export_mlp_onnx,
    train_pooled_mlp,
)
from yangcheng.radiotherapy.motion.predictors import (
    LinearAR,
    NoPrediction,
    NormalisedLMS,
    Predictor,
    RecursiveLeastSquares,
    predict_stream,
)

__all__ = [
    "GRIDS",
    "HORIZONS_MS",
    "MODELS",
    "evaluate",
    "flat_metrics",
    "main",
    "run",
    "studies",
    "tune",
]

HORIZONS_MS = (100, 200, 300, 400)
MODELS = (
    "NoPrediction",
    "LinearAR-abs",
    "NormalisedLMS-abs",
    "LinearAR",
    "NormalisedLMS",
    "RLS",
    "MLP-onnx",
    "RLS+MLP",
)
_NEURAL = {"MLP-onnx", "RLS+MLP"}
BASELINES_MM = {
    "NoPrediction": (0.58, 1.09, 1.57, 2.03),
    "LinearAR-abs": (0.40, 0.79, 1.24, 1.69),
    "NormalisedLMS-abs": (0.39, 0.80, 1.27, 1.78),
}
"""The project's reference RMSEs (mm) at 100/200/300/400 ms."""

Factory = Callable[..., Predictor]
_FACTORIES: dict[str, Factory] = {
    "NoPrediction": NoPrediction,
    "LinearAR": LinearAR,
    "NormalisedLMS": NormalisedLMS,
    "RLS": RecursiveLeastSquares,
    "LinearAR-abs": functools.partial(LinearAR, differenced=False),
    "NormalisedLMS-abs": functools.partial(NormalisedLMS, differenced=False),
}
GRIDS: dict[str, dict[str, Sequence[Any]]] = {
    "NoPrediction": {},
    "LinearAR-abs": {"window": (1, 2, 4, 8, 16)},
    "NormalisedLMS-abs": {"window": (1, 2, 4, 8, 16), "step": (0.02, 0.05, 0.1, 0.3)},
    "LinearAR": {"window": (2, 3, 4, 6, 8, 16), "alpha": (1e-4, 1e-2)},
    "NormalisedLMS": {"window": (2, 3, 4, 6, 8, 16), "step": (0.02, 0.05, 0.1, 0.3)},
    "RLS": {"window": (3, 4, 6, 8, 12), "forgetting": (0.995, 0.998, 0.999, 1.0)},
    "MLP-onnx": {},
    "RLS+MLP": {"mlp_weight": (0.3, 0.5, 0.7), "window": (4, 6), "forgetting": (0.999, 1.0)},
}
_QUICK_GRIDS: dict[str, dict[str, Sequence[Any]]] = {
    "NoPrediction": {},
    "LinearAR-abs": {"window": (4,)},
    "NormalisedLMS-abs": {"window": (4,), "step": (0.1,)},
    "LinearAR": {"window": (4, 8)},
    "NormalisedLMS": {"window": (4, 8), "step": (0.05, 0.2)},
    "RLS": {"window": (6,), "forgetting": (0.998, 1.0)},
    "MLP-onnx": {},
    "RLS+MLP": {"mlp_weight": (0.5,), "window": (6,)},
}


def marker_errors_mm(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """3-D distance per (time, marker) between ``(n, 3k)`` arrays."""
    diff = (pred - truth).reshape(pred.shape[0], -1, 3)
    return np.sqrt((diff**2).sum(axis=2))


def evaluate(
    model: Predictor, fit_part: np.ndarray, stream_part: np.ndarray
) -> tuple[np.ndarray, float, float]:
    """Errors ``(n, markers)`` on ``stream_part``, fit seconds, predict seconds per step."""
    h = model.horizon_steps
    t0 = time.perf_counter()
    model.fit(fit_part)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = predict_stream(model, stream_part)
    step_s = (time.perf_counter() - t0) / stream_part.shape[0]
    return marker_errors_mm(pred[:-h], stream_part[h:]), fit_s, step_s


def tune(
    factory: Factory, horizon_ms: int, traces: list[BreathingTrace], grid: dict[str, Sequence[Any]]
) -> dict[str, Any]:
    """Hyper-parameters with the lowest mean validation RMSE over the sequences.

    One setting per model and horizon, shared by all sequences: a validation part is only
    15-35 s long, and choosing per sequence on it overfits (measured: worse test RMSE).
    The test parts are never read.
    """
    best: tuple[float, dict[str, Any]] = (np.inf, {})
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, values, strict=True))
        rmses = []
        for trace in traces:
            x = trace.positions_mm
            split = split_in_time(x.shape[0])
            model = factory(_steps(horizon_ms, trace), **params)
            err, _, _ = evaluate(model, x[: split.val_start], x[split.val_start : split.test_start])
            rmses.append(float(np.sqrt((err**2).mean())))
        if np.mean(rmses) < best[0]:
            best = (float(np.mean(rmses)), params)
    return best[1]


def _steps(horizon_ms: int, trace: BreathingTrace) -> int:
    return max(1, round(horizon_ms * trace.sampling_hz / 1000))


def run(
    traces: list[BreathingTrace] | None = None,
    models: Sequence[str] = MODELS,
    horizons_ms: Sequence[int] = HORIZONS_MS,
    quick: bool = False,
) -> dict[str, Any]:
    """Per model and horizon: mean sequence RMSE, pooled p95, timings, chosen parameters."""
    traces = traces if traces is not None else load_all()
    grids = _QUICK_GRIDS if quick else GRIDS
    factories = dict(_FACTORIES)
    rows = []
    tmp = tempfile.TemporaryDirectory()
    if set(models) & _NEURAL:
        factories.update(_neural_factories(traces, horizons_ms, Path(tmp.name), quick))
    for name, horizon_ms in itertools.product(models, horizons_ms):
        params = tune(factories[name], horizon_ms, traces, grids[name])
        rmses, pooled, fit_s, step_s = [], [], [], []
        for trace in traces:
            x = trace.positions_mm
            split = split_in_time(x.shape[0])
            err, f_s, s_s = evaluate(
                factories[name](_steps(horizon_ms, trace), **params),
                x[: split.test_start],
                x[split.test_start :],
            )
            rmses.append(float(np.sqrt((err**2).mean())))
            pooled.append(err.ravel())
            fit_s.append(f_s)
            step_s.append(s_s)
        rows.append(
            {
                "model": name,
                "horizon_ms": horizon_ms,
                "rmse_mm": float(np.mean(rmses)),
                "p95_mm": float(np.percentile(np.concatenate(pooled), 95)),
                "rmse_per_sequence_mm": rmses,
                "fit_s": float(np.mean(fit_s)),
                "predict_us_per_step": float(np.mean(step_s) * 1e6),
                "params": params,
            }
        )
    tmp.cleanup()
    return {"protocol": __doc__.split("\n\n")[1] if __doc__ else "", "rows": rows}


def _neural_factories(
    traces: list[BreathingTrace], horizons_ms: Sequence[int], folder: Path, quick: bool
) -> dict[str, Factory]:
    """Train the pooled MLP per horizon on the *training parts* only, export it to ONNX."""
    paths: dict[int, Path] = {}
    train_s: dict[int, float] = {}
    parts = [t.positions_mm[: split_in_time(t.positions_mm.shape[0]).val_start] for t in traces]
    for horizon_ms in horizons_ms:
        h = _steps(horizon_ms, traces[0])
        t0 = time.perf_counter()
        net = train_pooled_mlp(parts, h, epochs=5 if quick else 30, seed=0)
        paths[h] = export_mlp_onnx(net, folder / f"mlp_h{h}.onnx")
        train_s[h] = time.perf_counter() - t0
        print(f"MLP for {horizon_ms} ms trained and exported in {train_s[h]:.1f} s")

    def mlp(h: int) -> Predictor:
        return OnnxMLPPredictor(h, paths[h])

    def blend(h: int, mlp_weight: float = 0.5, **rls: Any) -> Predictor:
        return Blend(
            [OnnxMLPPredictor(h, paths[h]), RecursiveLeastSquares(h, **rls)],
            [mlp_weight, 1 - mlp_weight],
        )

    return {"MLP-onnx": mlp, "RLS+MLP": blend}


def print_table(result: dict[str, Any]) -> None:
    print(
        f"{'model':<19}{'h_ms':>6}{'rmse_mm':>9}{'p95_mm':>8}{'ref_mm':>8}{'fit_s':>8}{'us/step':>9}"
    )
    for r in result["rows"]:
        ref = BASELINES_MM.get(r["model"])
        ref_s = f"{ref[HORIZONS_MS.index(r['horizon_ms'])]:.2f}" if ref else "-"
        print(
            f"{r['model']:<19}{r['horizon_ms']:>6}{r['rmse_mm']:>9.3f}{r['p95_mm']:>8.2f}"
            f"{ref_s:>8}{r['fit_s']:>8.3f}{r['predict_us_per_step']:>9.1f}"
        )


def flat_metrics(quick: bool) -> dict[str, Any]:
    """`yangcheng bench`: flat ``model.horizon.metric`` figures (quick: 3 sequences)."""
    traces = load_all()
    result = run(traces[:3] if quick else traces, quick=quick)
    print_table(result)
    flat: dict[str, Any] = {}
    for r in result["rows"]:
        for metric in ("rmse_mm", "p95_mm", "fit_s", "predict_us_per_step"):
            flat[f"{r['model']}.{r['horizon_ms']}ms.{metric}"] = r[metric]
    return flat


def studies(traces: list[BreathingTrace], rls_params: dict[str, Any]) -> dict[str, Any]:
    """Latency sweep (no prediction vs RLS) and the X-ray correlation study on real markers."""
    pairs = [(t.positions_mm, t.sampling_hz) for t in traces]
    rls = functools.partial(RecursiveLeastSquares, **rls_params)
    latency = latency_sweep(pairs, {"NoPrediction": NoPrediction, "RLS": rls})
    correlation = xray_study(pairs)
    print(f"\n{'predictor':<14}{'latency_ms':>11}{'rmse_mm':>9}{'p95_mm':>8}")
    for r in latency:
        print(
            f"{r['predictor']:<14}{r['latency_ms']:>11.0f}{r['rmse_mm']:>9.3f}{r['p95_mm']:>8.2f}"
        )
    print(
        f"\n{'correlation':<20}"
        + "".join(f"{n:>7}" for n in sorted({r["n_xrays"] for r in correlation}))
    )
    for kind in dict.fromkeys(r["kind"] for r in correlation):
        cells = "".join(f"{r['rmse_mm']:>7.2f}" for r in correlation if r["kind"] == kind)
        print(f"{kind:<20}{cells}")
    return {"latency": latency, "correlation": correlation}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="breathing-motion prediction benchmark")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--studies", action="store_true", help="latency and X-ray studies")
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    args = parser.parse_args(argv)
    traces = load_all()
    result = run(traces[:3] if args.quick else traces, args.models.split(","), quick=args.quick)
    print_table(result)
    if args.studies:
        rls_200 = [r for r in result["rows"] if r["model"] == "RLS" and r["horizon_ms"] == 200]
        result["studies"] = studies(traces, rls_200[0]["params"] if rls_200 else {"window": 6})
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
