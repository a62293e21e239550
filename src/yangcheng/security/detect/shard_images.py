"""The training bags' inputs read in place from their shards, not copied into memory.

A shard is an uncompressed ``.npz`` (a stored zip), so its ``x.npy`` member is a plain
``.npy`` at some offset in the file and can be memory-mapped there. Training then holds
only the batch it works on; the operating system's page cache keeps the hot shards, shared
with any other process reading them. Held in memory instead, 26,800 bags took ~11 GB of
this machine's 23, so the training set could not have grown much further.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["ShardImages", "map_member"]

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
"""A zip local file header: signature, five shorts, CRC and sizes, name and extra lengths."""
_LOCAL_SIGNATURE = b"PK\x03\x04"


def map_member(path: Path, member: str = "x.npy") -> np.ndarray:
    """``member`` of the ``.npz`` at ``path`` as a read-only memory map; a compressed
    member (``np.savez_compressed``) cannot be mapped and is read into memory instead."""
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(member)
            if info.compress_type != zipfile.ZIP_STORED:
                with archive.open(info) as stream:
                    return np.asarray(np.lib.format.read_array(stream))
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a readable shard ({error}): delete it to rebuild"
        ) from error
    except KeyError as error:
        raise ValueError(f"{path} holds no {member}: delete it to rebuild") from error
    with path.open("rb") as f:
        # The local header's extra field may differ from the central directory's, so the
        # data offset is read from the local header itself.
        f.seek(info.header_offset)
        fields = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
        if fields[0] != _LOCAL_SIGNATURE:
            raise ValueError(f"{path} is not a readable shard: bad zip header for {member}")
        name_length, extra_length = fields[-2], fields[-1]
        f.seek(name_length + extra_length, 1)
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        offset = f.tell()
    if dtype.hasobject:
        raise ValueError(f"{path}: {member} holds Python objects and cannot be mapped")
    return np.memmap(
        path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C"
    )


class ShardImages:
    """Shards' image arrays read as one ``[n, ...]`` array: an index or an array of
    indices gives an in-memory copy of those images, in the order asked."""

    def __init__(self, parts: Sequence[np.ndarray]) -> None:
        if not parts:
            raise ValueError("no shards to read images from")
        if len({p.shape[1:] for p in parts}) != 1 or len({p.dtype for p in parts}) != 1:
            raise ValueError("shards hold images of different shapes or types")
        self.parts = list(parts)
        self.starts = np.cumsum([0] + [len(p) for p in parts])
        self.shape: tuple[int, ...] = (int(self.starts[-1]), *parts[0].shape[1:])
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def _locate(self, index: int) -> tuple[np.ndarray, int]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"image {index} of {len(self)}")
        index %= len(self)
        part = int(np.searchsorted(self.starts, index, side="right")) - 1
        return self.parts[part], index - int(self.starts[part])

    def __getitem__(self, index: int | np.integer | np.ndarray) -> np.ndarray:
        if isinstance(index, int | np.integer):
            part, i = self._locate(int(index))
            return np.array(part[i])
        picks = np.asarray(index)
        if picks.ndim != 1 or not np.issubdtype(picks.dtype, np.integer):
            raise TypeError("index ShardImages with an int or a 1-d integer array")
        out = np.empty((len(picks), *self.shape[1:]), self.dtype)
        for k, i in enumerate(picks):
            part, j = self._locate(int(i))
            out[k] = part[j]
        return out
