"""The scanner as the line sees it: an item's source reference in, both energies out.

Four kinds of source. ``simulated`` scans the simulator's bag on demand (about 0.3 s of
CPU, the cost a real scanner pays in hardware). ``pool`` replays a folder of bags scanned
in advance, so a line benchmark measures the software (queue, detector, routing) rather
than the simulator. ``files`` reads the two 16-bit images a real scanner wrote: the
reference scanner's transmission, or, where the source names a ``scanner`` profile
(`security.scanner_profile`), that scanner's raw counts, read through the profile.
``dicos`` reads a scan's two DICOS DX files (`security.dicos_dx`), which a scanner drops
into the line's inbox (`dicos_inbox`), the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from yangcheng.config import Settings
from yangcheng.security.dataset import XrayBaggageDataset
from yangcheng.security.dicos_dx import DicosInputError, DxScan, read_scan
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.scanner_profile import ScannerProfile, UnknownScanner, load_profile

_PROHIBITED_IDS = frozenset(c.id for c in PROHIBITED)


class ScanError(ValueError):
    """The item's images cannot be had; the line routes it to a person."""


@dataclass(frozen=True)
class ScannedBag:
    low: np.ndarray
    high: np.ndarray
    """Transmission of each energy: uint16 counts (0..65535) or float fractions."""
    threat: bool | None
    """Ground truth where the bag is simulated; None for a real scanner's images."""
    thresholds: tuple[float, float] | None = None
    """(bag, box) alarm thresholds of the scanner's own profile; None: the model's."""
    dicos: DxScan | None = None
    """The DICOS scan the images came from, which the line's report answers."""
    scale: tuple[float, float] = (1.0, 1.0)
    """The source images' pixels per detector pixel (columns, rows)."""


def simulate_bag(seed: int, index: int, hard: bool) -> ScannedBag:
    image, annotations = XrayBaggageDataset(seed, index + 1, hard=hard).scan(index)
    threat = any(a.class_id in _PROHIBITED_IDS for a in annotations)
    return ScannedBag(image.low, image.high, threat)


def build_pool(
    folder: str | Path,
    bags: int,
    seed: int = 40_000,
    hard_fraction: float = 0.2,
) -> Path:
    """Scan ``bags`` simulated bags into ``folder`` (``low.npy``, ``high.npy``, ``threat.npy``,
    uint16 transmission) unless it already holds them."""
    folder = Path(folder)
    if _pool_size(folder) == bags:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lows, highs, threats = [], [], []
    for n in range(bags):
        hard = bool(rng.random() < hard_fraction)
        bag = simulate_bag(seed + int(hard), n, hard)
        lows.append(_u16(bag.low))
        highs.append(_u16(bag.high))
        threats.append(bool(bag.threat))
    np.save(folder / "low.npy", np.stack(lows))
    np.save(folder / "high.npy", np.stack(highs))
    np.save(folder / "threat.npy", np.array(threats))
    return folder


def _u16(transmission: np.ndarray) -> np.ndarray:
    return np.round(np.clip(transmission, 0, 1) * 65535).astype(np.uint16)


def _pool_size(folder: Path) -> int:
    try:
        return int(np.load(folder / "threat.npy").shape[0])
    except (OSError, ValueError):
        return -1


class LineScanner:
    """Resolves source references; one per worker process."""

    def __init__(self, pool: str | Path | None = None, home: str | Path | None = None) -> None:
        self._pool: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._home = Path(home) if home is not None else None
        self._profiles: dict[str, ScannerProfile] = {}
        if pool is not None:
            folder = Path(pool)
            try:
                self._pool = (
                    np.load(folder / "low.npy", mmap_mode="r"),
                    np.load(folder / "high.npy", mmap_mode="r"),
                    np.load(folder / "threat.npy"),
                )
            except (OSError, ValueError) as exc:
                raise ScanError(f"pool {folder} is not a scanned pool: {exc}") from None

    def scan(self, source: dict[str, Any]) -> ScannedBag:
        kind = source.get("kind")
        if kind == "simulated":
            return simulate_bag(
                int(source["seed"]), int(source["index"]), bool(source.get("hard", False))
            )
        if kind == "pool":
            if self._pool is None:
                raise ScanError("the item names a pre-scanned pool, but this line has none")
            low, high, threat = self._pool
            i = int(source["index"]) % len(threat)
            return ScannedBag(np.asarray(low[i]), np.asarray(high[i]), bool(threat[i]))
        if kind == "files":
            low, high = _read(str(source["low"])), _read(str(source["high"]))
            if source.get("scanner") is None:
                return ScannedBag(low, high, None)
            profile = self._profile(str(source["scanner"]))
            image = profile.to_reference(low, high)
            return ScannedBag(image.low, image.high, None, profile.thresholds)
        if kind == "dicos":
            return self._dicos([str(f) for f in source["files"]], source.get("scanner"))
        raise ScanError(f"unknown source kind {kind!r}")

    def _dicos(self, paths: list[str], scanner: str | None) -> ScannedBag:
        files = []
        for path in paths:
            try:
                files.append(Path(path).read_bytes())
            except OSError as exc:
                raise ScanError(f"{path}: {exc.strerror}") from None
        profile = self._profile(scanner) if scanner is not None else None
        try:
            scan = read_scan(files, paths)
            image, scale = scan.to_reference(profile)
        except DicosInputError as exc:
            raise ScanError(str(exc)) from None
        thresholds = profile.thresholds if profile is not None else None
        return ScannedBag(image.low, image.high, None, thresholds, scan, scale)

    def _profile(self, name: str) -> ScannerProfile:
        """Loaded once per worker: a lane's scanner does not change under a running line."""
        if name not in self._profiles:
            try:
                self._profiles[name] = load_profile(name, self._home or Settings().home)
            except UnknownScanner as exc:
                raise ScanError(str(exc.args[0])) from None
        return self._profiles[name]


def _read(path: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ScanError(f"{path} is missing or not a readable 16-bit PNG/TIFF")
    return np.asarray(image)  # the detector checks type, size and channels, and says which
