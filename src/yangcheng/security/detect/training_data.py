"""Network-ready shards of simulated bags: generated once, in parallel, resumable.

Training reads the same bags for many epochs, and simulating one costs ~0.2 s, so each
split is turned into ``.npz`` shards of network inputs (float16) and boxes once. A shard
is written atomically and skipped when present, so an interrupted build resumes. The splits
use their own seeds, never the fixed test sets' (``STANDARD_TEST``, ``HARD_TEST``);
those are shards too, read only by evaluation. Shards for models with the detail channel
(``inputs.DETAIL_CHANNEL``) are simulated into their own folders (``train+detail``), since
the 3 mm shards no longer hold what it is made from.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from yangcheng.security.dataset import (
    HARD_TEST,
    SIMULATOR_VERSION,
    STANDARD_TEST,
    XrayBaggageDataset,
)
from yangcheng.security.detect.inputs import DOWNSAMPLE, input_channels, network_input
from yangcheng.security.detect.shard_images import ShardImages, map_member

__all__ = [
    "SHARD",
    "TEST_SPLITS",
    "TRAIN_SPLIT",
    "VALIDATION_SEEDS",
    "VALIDATION_SPLIT",
    "Split",
    "build_split",
    "load_split",
]

SHARD = 100


@dataclass(frozen=True)
class Split:
    """Named parts, each ``(seed, images, hard)``."""

    name: str
    parts: tuple[tuple[int, int, bool], ...]

    @property
    def images(self) -> int:
        return sum(n for _, n, _ in self.parts)


TRAIN_SPLIT = Split("train", ((101, 5000, False), (102, 1500, True)))
VALIDATION_SEEDS = (201, 202)
"""Generator seeds of the standard and the hard validation bags: training must not use them."""
VALIDATION_SPLIT = Split(
    "validation", ((VALIDATION_SEEDS[0], 3200, False), (VALIDATION_SEEDS[1], 800, True))
)
"""The split thresholds are fixed on: 3,003 of its bags hold a threat, enough to measure a
1 per mille miss rate (1,000 bags, 748 with a threat, could only say "miss none")."""
TEST_SPLITS = {
    "standard": Split("test-standard", ((STANDARD_TEST.seed, STANDARD_TEST.images, False),)),
    "hard": Split("test-hard", ((HARD_TEST.seed, HARD_TEST.images, True),)),
}
"""The fixed test sets as shards, for evaluation only: training never reads them."""


@dataclass
class Batch:
    """Network inputs ``x[n, 3, h, w]`` and, per image, boxes ``[class_id, x0, y0, x1, y1]``
    in network-input pixels. ``x`` is in memory or read in place from the shards."""

    x: np.ndarray | ShardImages
    boxes: list[np.ndarray]


def shard_path(root: Path, split: Split, part: int, lo: int, detail: bool = False) -> Path:
    """Named by seed and sample range, so a bigger split reuses a smaller one's full shards,
    under the simulator's version, so a cache of an older simulator's bags is never read."""
    seed, images, hard = split.parts[part]
    hi = min(lo + SHARD, images)
    folder = f"{split.name}+detail" if detail else split.name
    name = f"{seed}{'-hard' if hard else ''}-{lo:07d}-{hi:07d}.npz"
    return root / f"sim{SIMULATOR_VERSION}" / folder / name


def _write_shard(
    seed: int, images: int, hard: bool, lo: int, hi: int, path: str, detail: bool = False
) -> int:
    """Executor task: simulate bags ``lo..hi-1`` of one part into one shard file.

    Single-threaded BLAS: the executor's processes are the parallelism, and each worker's
    own BLAS threads on top would oversubscribe the cores (and starve a training run).
    """
    target = Path(path)
    if target.exists():
        return 0
    with threadpool_limits(limits=1):
        return _simulate_shard(seed, images, hard, lo, hi, target, detail)


def _simulate_shard(
    seed: int, images: int, hard: bool, lo: int, hi: int, target: Path, detail: bool
) -> int:
    dataset = XrayBaggageDataset(seed, images, hard=hard)
    xs, boxes = [], []
    for index in range(lo, hi):
        image, annotations = dataset.scan(index)
        xs.append(network_input(image.low, image.high, detail).astype(np.float16))
        boxes.append(
            [
                [
                    a.class_id,
                    x / DOWNSAMPLE,
                    y / DOWNSAMPLE,
                    (x + w) / DOWNSAMPLE,
                    (y + h) / DOWNSAMPLE,
                ]
                for a in annotations
                for x, y, w, h in [a.bbox_xywh]
            ]
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.npz")
    np.savez(tmp, x=np.stack(xs), boxes=np.array(json.dumps(boxes)))
    os.replace(tmp, target)
    return hi - lo


def shard_calls(root: Path, split: Split, detail: bool = False) -> list[tuple[Any, ...]]:
    """The executor calls still needed to complete ``split`` under ``root``."""
    calls = []
    for part, (seed, images, hard) in enumerate(split.parts):
        for lo in range(0, images, SHARD):
            path = shard_path(root, split, part, lo, detail)
            if not path.exists():
                hi = min(lo + SHARD, images)
                calls.append((seed, images, hard, lo, hi, str(path), detail))
    return calls


def build_split(
    root: Path,
    split: Split,
    run: Callable[[Callable[..., int], list[tuple[Any, ...]]], Iterator[int]],
    progress: Callable[[int], None] | None = None,
    detail: bool = False,
) -> int:
    """Write the missing shards with ``run`` (an executor's ``map_unordered``); returns the
    number of bags simulated."""
    done = 0
    for written in run(_write_shard, shard_calls(root, split, detail)):
        done += written
        if progress is not None:
            progress(written)
    return done


def load_split(root: Path, split: Split, detail: bool = False) -> Batch:
    """Every shard of a built split, in order: the boxes in memory, the images (float16,
    ~0.4 MB per bag) mapped from the shard files."""
    xs: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    channels = len(input_channels(detail))
    for part, (_, images, _) in enumerate(split.parts):
        for lo in range(0, images, SHARD):
            path = shard_path(root, split, part, lo, detail)
            if not path.exists():
                raise FileNotFoundError(
                    f"{path} is missing: build the {split.name} split first "
                    "(yangcheng security train builds it)"
                )
            x = map_member(path, "x.npy")
            if x.ndim != 4 or x.shape[1] != channels:
                raise ValueError(
                    f"{path} holds inputs of shape {x.shape[1:]}, not {channels} channels: "
                    "delete it to rebuild"
                )
            xs.append(x)
            with np.load(path) as shard:
                boxes.extend(
                    np.array(b, np.float32).reshape(-1, 5) for b in json.loads(str(shard["boxes"]))
                )
    return Batch(ShardImages(xs), boxes)
