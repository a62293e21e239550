"""Training images mapped in place from the shards: the same bags as loading them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from yangcheng.security.detect.shard_images import ShardImages, map_member
from yangcheng.security.detect.training_data import Split, load_split, shard_path


def _shard(path: Path, x: np.ndarray, compressed: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    boxes = json.dumps([[[1, 0.0, 0.0, 2.0, 2.0]]] * len(x))
    (np.savez_compressed if compressed else np.savez)(path, x=x, boxes=np.array(boxes))
    return path


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, 8, 6)).astype(np.float16)


def test_a_stored_member_is_mapped_not_read(tmp_path: Path) -> None:
    x = _images(5, 0)
    mapped = map_member(_shard(tmp_path / "s.npz", x))
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
    assert mapped.dtype == np.float16 and np.array_equal(mapped, x)


def test_a_compressed_member_is_read_into_memory(tmp_path: Path) -> None:
    x = _images(3, 1)
    read = map_member(_shard(tmp_path / "s.npz", x, compressed=True))
    assert not isinstance(read, np.memmap) and np.array_equal(read, x)


def test_a_fortran_ordered_member_keeps_its_values(tmp_path: Path) -> None:
    x = np.asfortranarray(_images(4, 2))
    assert np.array_equal(map_member(_shard(tmp_path / "s.npz", x)), x)


def test_broken_shards_are_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match=r"junk\.npz is not a readable shard"):
        map_member(junk)
    other = tmp_path / "other.npz"
    np.savez(other, y=np.zeros(3))
    with pytest.raises(ValueError, match=r"other\.npz holds no x\.npy"):
        map_member(other)


def test_indexing_across_shards_matches_one_array() -> None:
    parts = [_images(3, 3), _images(1, 4), _images(4, 5)]
    whole = np.concatenate(parts)
    images = ShardImages(parts)
    assert len(images) == 8 and images.shape == (8, 3, 8, 6) and images.dtype == np.float16
    for i in range(-8, 8):
        assert np.array_equal(images[i], whole[i])
    picks = np.array([7, 0, 3, 3, 2])
    assert np.array_equal(images[picks], whole[picks])
    assert np.array_equal(images[np.int64(4)], whole[4])


def test_bad_indices_and_mixed_shards_are_refused() -> None:
    images = ShardImages([_images(2, 6)])
    with pytest.raises(IndexError, match="image 2 of 2"):
        images[2]
    with pytest.raises(TypeError):
        images[np.array([[0, 1]])]
    with pytest.raises(ValueError, match="different shapes"):
        ShardImages([_images(2, 7), _images(2, 8)[:, :, :4]])
    with pytest.raises(ValueError, match="no shards"):
        ShardImages([])


def test_load_split_maps_every_shard_in_order(tmp_path: Path) -> None:
    split = Split("train", ((101, 150, False), (102, 30, True)))
    expected = []
    for part, (_, images, _) in enumerate(split.parts):
        for lo in range(0, images, 100):
            x = _images(min(100, images - lo), 10 * part + lo)
            _shard(shard_path(tmp_path, split, part, lo), x)
            expected.append(x)
    batch = load_split(tmp_path, split)
    assert isinstance(batch.x, ShardImages) and len(batch.x) == 180 == len(batch.boxes)
    assert np.array_equal(batch.x[np.arange(180)], np.concatenate(expected))
    assert batch.boxes[0].shape == (1, 5)
