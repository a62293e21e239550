"""Training: reproducible on two CPU cores, resumable from the last checkpoint, ONNX at the end.

Every step's batch and flips derive from ``(seed, step)``, so a run stopped at any
checkpoint and resumed makes the same model as one that never stopped (up to the
non-determinism of multithreaded float sums).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from yangcheng.security.detect.inputs import input_channels
from yangcheng.security.detect.model import OUTPUT_STRIDE, CenterNet, ExportWrapper
from yangcheng.security.detect.targets import augment, make_targets
from yangcheng.security.detect.training_data import Batch
from yangcheng.security.detect.warm_start import model_from_onnx
from yangcheng.security.objects import PROHIBITED

__all__ = ["ONNX_OPSET", "TrainConfig", "epoch_pool", "export_onnx", "focal_loss", "train"]

ONNX_OPSET = 17
CHECKPOINT = "checkpoint.pt"
CALIBRATION = 48
"""Training images that set the BatchNorm statistics of a model continued from ONNX."""


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 6
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 200
    seed: int = 0
    width: int = 32
    threads: int = 2
    checkpoint_every: int = 50
    init_from: str = ""
    """An exported model (.onnx) to go on training from; empty: from scratch."""
    focus: tuple[str, ...] = ()
    """Class names whose bags an epoch shows ``focus_repeat`` times: a short continued run
    spends its steps on the classes that still miss instead of on those already found."""
    focus_repeat: int = 1
    detail: bool = False
    """Take the detail channel (``inputs.DETAIL_CHANNEL``) as a fourth input."""

    def __post_init__(self) -> None:
        # A card's JSON gives lists; the checkpoint's config must compare equal to it.
        object.__setattr__(self, "focus", tuple(self.focus))
        names = {c.name for c in PROHIBITED}
        unknown = [n for n in self.focus if n not in names]
        if unknown:
            raise ValueError(f"focus classes {unknown} are not among {sorted(names)}")
        if self.focus_repeat < 1:
            raise ValueError(f"focus_repeat must be at least 1, not {self.focus_repeat}")


@dataclass(frozen=True)
class StepReport:
    step: int
    total: int
    heatmap: float
    size: float
    offset: float
    bag: float
    seconds: float


def focal_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss, per object."""
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    pos_loss = torch.log(p) * (1 - p) ** 2 * pos
    neg_loss = torch.log(1 - p) * p**2 * (1 - target) ** 4 * (1 - pos)
    return -(pos_loss.sum() + neg_loss.sum()) / pos.sum().clamp(min=1.0)


def _gather(feature: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    n, c = feature.shape[:2]
    flat = feature.reshape(n, c, -1)
    return flat.gather(2, index.unsqueeze(1).expand(n, c, index.shape[1])).permute(0, 2, 1)


def _lr(step: int, total: int, config: TrainConfig) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    t = (step - config.warmup_steps) / max(total - config.warmup_steps, 1)
    return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def epoch_pool(boxes: list[np.ndarray], config: TrainConfig) -> np.ndarray:
    """The bag indices one epoch shows: every bag once, a bag holding a ``focus`` class
    ``focus_repeat`` times."""
    pool = np.arange(len(boxes))
    if not config.focus or config.focus_repeat == 1:
        return pool
    ids = np.array([c.id for c in PROHIBITED if c.name in config.focus])
    focused = np.array([i for i, b in enumerate(boxes) if np.isin(b[:, 0], ids).any()], int)
    return np.concatenate([pool, *[focused] * (config.focus_repeat - 1)])


def _batch(
    data: Batch, pool: np.ndarray, step: int, config: TrainConfig, steps_per_epoch: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    epoch, j = divmod(step, steps_per_epoch)
    order = pool[np.random.default_rng([config.seed, epoch]).permutation(len(pool))]
    picks = order[j * config.batch_size : (j + 1) * config.batch_size]
    rng = np.random.default_rng([config.seed, 1_000_003, step])
    xs, boxes = [], []
    for i in picks:
        x, b = augment(data.x[i].astype(np.float32), data.boxes[i], rng)
        xs.append(x)
        boxes.append(b)
    return np.stack(xs), boxes


def train(
    data: Batch,
    out_dir: Path,
    config: TrainConfig = TrainConfig(),
    progress: Callable[[StepReport], None] | None = None,
) -> CenterNet:
    """Train (or resume training) into ``out_dir``; returns the trained model."""
    channels = len(input_channels(config.detail))
    if data.x.shape[1] != channels:
        raise ValueError(
            f"the training inputs have {data.x.shape[1]} channels; a model with detail="
            f"{config.detail} takes {channels}"
        )
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = out_dir / CHECKPOINT
    if config.init_from and not checkpoint.exists():  # a checkpoint holds the weights already
        picks = np.random.default_rng([config.seed, 7]).permutation(len(data.x))[:CALIBRATION]
        model = model_from_onnx(
            Path(config.init_from), data.x[np.sort(picks)].astype(np.float32), config.width
        )
        if model.classes != len(PROHIBITED):
            raise ValueError(
                f"{config.init_from} detects {model.classes} classes, not {len(PROHIBITED)}"
            )
    else:
        model = CenterNet(len(PROHIBITED), in_channels=channels, width=config.width)
    optimiser = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    pool = epoch_pool(data.boxes, config)
    steps_per_epoch = max(len(pool) // config.batch_size, 1)
    total = steps_per_epoch * config.epochs
    step = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        # A checkpoint from before a setting existed was made with that setting's default.
        made_with = {**asdict(TrainConfig()), **state["config"]}
        if made_with != asdict(config):
            raise ValueError(
                f"{checkpoint} was made with {made_with}, not {asdict(config)}; "
                "resume with the same settings or use another output folder"
            )
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step = state["step"]
    model.train()
    _, _, h, w = data.x.shape
    out_h, out_w = h // OUTPUT_STRIDE, w // OUTPUT_STRIDE
    sums = np.zeros(4)
    count = 0
    started = time.perf_counter()
    while step < total:
        x, boxes = _batch(data, pool, step, config, steps_per_epoch)
        t = make_targets(boxes, model.classes, out_h, out_w, OUTPUT_STRIDE)
        for group in optimiser.param_groups:
            group["lr"] = _lr(step, total, config)
        logits, size, offset, bag = model(torch.from_numpy(x))
        mask = torch.from_numpy(t.mask).unsqueeze(-1)
        index = torch.from_numpy(t.index)
        objects = mask.sum().clamp(min=1.0)
        loss_hm = focal_loss(logits, torch.from_numpy(t.heatmap))
        loss_size = (
            F.l1_loss(_gather(size, index), torch.from_numpy(t.size), reduction="none") * mask
        ).sum() / objects
        loss_off = (
            F.l1_loss(_gather(offset, index), torch.from_numpy(t.offset), reduction="none") * mask
        ).sum() / objects
        threat = torch.tensor([[float(len(b) > 0)] for b in boxes])
        loss_bag = F.binary_cross_entropy_with_logits(bag, threat)
        loss = loss_hm + loss_size + loss_off + loss_bag
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        optimiser.step()
        step += 1
        sums += [loss_hm.item(), loss_size.item(), loss_off.item(), loss_bag.item()]
        count += 1
        if step % config.checkpoint_every == 0 or step == total:
            _save(checkpoint, model, optimiser, step, config)
            if progress is not None:
                hm, sz, off, bg = sums / count
                progress(StepReport(step, total, hm, sz, off, bg, time.perf_counter() - started))
            sums[:] = 0
            count = 0
    model.eval()
    return model


def _save(
    path: Path,
    model: CenterNet,
    optimiser: torch.optim.Optimizer,
    step: int,
    config: TrainConfig,
) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimiser": optimiser.state_dict(),
            "step": step,
            "config": asdict(config),
        },
        tmp,
    )
    os.replace(tmp, path)


def export_onnx(model: CenterNet, path: Path) -> None:
    """The serving graph: input ``x[n, c, h, w]`` (``c`` the card's inputs) -> ``scores``
    (peaks only), ``size``, ``offset``, ``bag`` (threat probability); height and width are
    dynamic (multiples of 32)."""
    wrapper = ExportWrapper(model).eval()  # restored after export: eval, not train
    example = torch.zeros(1, model.in_channels, 256, 256)
    tmp = path.with_suffix(".tmp.onnx")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        wrapper,
        (example,),
        str(tmp),
        input_names=["x"],
        output_names=["scores", "size", "offset", "bag"],
        dynamic_axes={
            "x": {0: "batch", 2: "height", 3: "width"},
            "scores": {0: "batch", 2: "out_height", 3: "out_width"},
            "size": {0: "batch", 2: "out_height", 3: "out_width"},
            "offset": {0: "batch", 2: "out_height", 3: "out_width"},
            "bag": {0: "batch"},
        },
        opset_version=ONNX_OPSET,
        dynamo=False,
    )
    os.replace(tmp, path)
