"""A scanner's inbox: the line takes each bag as the DICOS files its scanner drops in a folder.

Screening equipment hands scans to an automatic threat recognition as files (a "hot folder"),
each bag a DICOS scan of two DX images, one per energy. The inbox pairs the two by their
study (a scan's images share its Study Instance UID), moves each complete pair into
``taken/`` and feeds the line an item whose source names the moved files; the worker reads
them (`scanner`), decides, and writes its Threat Detection Report to the outbox.

Nothing is lost: a file leaves the inbox only by a rename, into ``taken/<study>/`` once
paired or ``refused/`` with a ``.reason.txt`` beside it saying why (not DICOS, not a DX image,
a study with more images than one view's two energies, or a partner that never came). A taken
scan is marked ``.fed`` once the line has queued it; one that was taken but not queued (the
feed stopped in between) is fed first when the inbox is fed again, so a bag is decided at
least once. A file is only looked at once it has not changed for ``settle_s``, so one the
scanner is still writing is left alone; a scanner that writes under a temporary name and
renames is never even seen half-written.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydicom
from pydicom.errors import InvalidDicomError

from yangcheng.security.line.conveyor import ItemEvent

__all__ = ["Inbox", "inbox_feed"]

_SUFFIXES = (".dcs", ".dcm")
_FED = ".fed"
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class Inbox:
    """One scanner's folder and what its items carry."""

    folder: Path
    lane: str = "L1"
    scanner_id: str = "XR01"
    scanner: str | None = None
    """A scanner profile the files' counts are read through; None: reference transmission."""
    outbox: Path | None = None
    """Where the workers write each bag's Threat Detection Report; None: no reports."""
    settle_s: float = 1.0
    pair_timeout_s: float = 120.0

    @property
    def taken(self) -> Path:
        return self.folder / "taken"

    @property
    def refused(self) -> Path:
        return self.folder / "refused"

    def unfed(self) -> list[dict[str, Any]]:
        """The scans taken but never marked fed, oldest first."""
        if not self.taken.is_dir():
            return []
        folders = [f for f in self.taken.iterdir() if f.is_dir() and not (f / _FED).exists()]
        folders.sort(key=lambda f: f.stat().st_mtime)
        scans = [sorted(p for p in f.iterdir() if p.suffix.lower() in _SUFFIXES) for f in folders]
        return [self._source(files) for files in scans if files]

    def sweep(self, now: float | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """One look at the folder: the sources of (at most ``limit``) scans complete in it,
        their files moved to ``taken/``; the files that cannot be a scan's moved to
        ``refused/``."""
        now = time.time() if now is None else now
        studies: dict[str, list[Path]] = defaultdict(list)
        oldest: dict[str, float] = {}
        for path in sorted(self.folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
                continue
            try:
                changed = path.stat().st_mtime
            except FileNotFoundError:
                continue  # taken by another sweep a moment ago
            if now - changed < self.settle_s:
                continue
            study, reason = _study_of(path)
            if study is None:
                self._refuse(path, reason)
                continue
            studies[study].append(path)
            oldest[study] = min(oldest.get(study, now), changed)
        sources: list[dict[str, Any]] = []
        for study, paths in studies.items():
            if len(paths) > 2:
                for path in paths:
                    self._refuse(
                        path,
                        f"study {study} holds {len(paths)} DX images; the line reads one view's "
                        "two energies per bag",
                    )
            elif len(paths) == 2:
                if limit is None or len(sources) < limit:
                    sources.append(self._take(study, paths))
            elif now - oldest[study] > self.pair_timeout_s:
                self._refuse(
                    paths[0],
                    f"the other energy of study {study} did not arrive within "
                    f"{self.pair_timeout_s:g} s",
                )
        return sources

    def _take(self, study: str, paths: list[Path]) -> dict[str, Any]:
        folder = self.taken / study
        folder.mkdir(parents=True, exist_ok=True)
        moved = []
        for path in paths:
            target = _free_name(folder / path.name)
            os.replace(path, target)
            moved.append(target)
        return self._source(moved)

    def _source(self, files: list[Path]) -> dict[str, Any]:
        source: dict[str, Any] = {
            "kind": "dicos",
            "files": [str(f) for f in files],
            "scanner": self.scanner,
        }
        if self.outbox is not None:
            source["tdr_dir"] = str(self.outbox)
        return source

    def _refuse(self, path: Path, reason: str) -> None:
        self.refused.mkdir(parents=True, exist_ok=True)
        target = _free_name(self.refused / path.name)
        os.replace(path, target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n")


def _free_name(path: Path) -> Path:
    """``path``, or ``name-1.dcs``, ``name-2.dcs``... where a file of that name is already
    there (a scanner that reuses names must not overwrite an earlier bag)."""
    if not path.exists():
        return path
    for n in itertools.count(1):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


def _study_of(path: Path) -> tuple[str | None, str]:
    """(the file's study, "") for a DX image; (None, why not) for anything else."""
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except InvalidDicomError:
        return None, "not a DICOS/DICOM file (no 'DICM' after the 128-byte preamble)"
    except Exception as exc:  # a truncated or corrupt file
        return None, f"does not parse as DICOS/DICOM ({exc})"
    kind = str(ds.get("Modality", "")).upper()
    if kind != "DX":
        return None, f"is a {kind or 'modality-less'} object, not a DX image"
    study = ds.get("StudyInstanceUID")
    if not study:
        return None, "has no Study Instance UID to pair its two energies by"
    if not _UID.fullmatch(str(study)):  # it names a folder: nothing but a UID may
        return None, f"has a Study Instance UID {str(study)[:80]!r} that is not a UID"
    return str(study), ""


def inbox_feed(
    inbox: Inbox,
    *,
    poll_s: float = 0.2,
    idle_exit_s: float | None = None,
    items: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> Iterator[ItemEvent]:
    """Items as their scans complete in the inbox, until ``items`` have come, the inbox has
    been idle ``idle_exit_s``, or ``stop()`` says so; for ``runner.run_line``."""
    inbox.folder.mkdir(parents=True, exist_ok=True)
    start = last = time.monotonic()
    fed = 0
    backlog = inbox.unfed()
    while items is None or fed < items:
        if stop is not None and stop():
            return
        left = None if items is None else items - fed
        sources = backlog[:left] if backlog else inbox.sweep(limit=left)
        backlog = backlog[len(sources) :] if backlog else []
        now = time.monotonic()
        for source in sources:
            yield ItemEvent(
                lane=inbox.lane,
                scanner_id=inbox.scanner_id,
                belt_position_m=0.0,
                offset_s=now - start,
                source=source,
            )
            # The consumer asks for the next item once it has queued this one.
            (Path(source["files"][0]).parent / _FED).touch()
            fed += 1
        if sources:
            last = now
        elif idle_exit_s is not None and now - last > idle_exit_s:
            return
        else:
            time.sleep(poll_s)
