"""Threat image projection for the line's operators: test threats hidden among the alarms.

Screening rules (the EU's Regulation 2015/1998, TSA's) require X-ray equipment to put
fictional threat images into real bags' pictures at random and score the screener on
them: what operators are shown is mostly false alarms, and vigilance on live traffic is
only measured by threats whose truth is known. Here a worker that cleared a bag sometimes
projects a prohibited item into that bag's picture (`security.threat_projection`: each
pixel's material under the threat is kept, with its photon noise), runs the detector on the
result, and puts it in the operators' queue as an item of its own. The real bag's decision
stands; the projected picture exists only in the queue.

An operator's "accept" (a prohibited item is there) on such an item is a hit, "reject" a
miss; either way the verdict reveals the test and where the threat was. These verdicts are
kept apart from the real ones, so they never become retraining labels or line figures.

Where the detector alarmed on the projected bag, the item is shown as any alarm is. Where
it did not, it shows what the detector said, a score under the threshold, and an operator
could tell it from the alarms around it. ``select_every`` hides those: about one cleared bag
in ``select_every`` is put before the operators as it is, so a cleared-looking item may be a
real bag or a test. Operators' verdicts on those real bags are the one measure of what the
detector misses on live traffic, and become labels like any other verdict.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from yangcheng.security.detect.inputs import transmission
from yangcheng.security.line.conveyor import LineConfigError
from yangcheng.security.objects import PROHIBITED
from yangcheng.security.physics import DualEnergyImage
from yangcheng.security.threat_library import (
    CaptureError,
    ThreatLibrary,
    choose_library_threat,
    project_library_threat,
)
from yangcheng.security.threat_projection import ProjectedThreat, project_threat

_PROHIBITED_NAMES = frozenset(c.name for c in PROHIBITED)


class TipConfigError(LineConfigError):
    """A projection setting the line cannot run with; ``field`` names it."""


@dataclass(frozen=True)
class TipPolicy:
    """How often cleared bags lend their picture to a projected threat, and which threats."""

    every: int = 0
    """About one cleared bag in ``every`` (chosen by its tracking id); 0: no projection."""
    classes: tuple[str, ...] | None = None
    """Threat classes to project; None: every prohibited class."""
    thin_share: float = 0.1
    """Share posed nearly edge-on, as on the validation bags (`scanner_calibration`)."""
    select_every: int = 0
    """About one cleared bag in ``select_every`` goes before the operators as it is, among
    which the projections the detector did not alarm on hide; 0: none."""
    library: str | None = None
    """A folder of the site's own captured threats (`threat_library`) to project instead of
    the simulator's; None: the simulator's."""

    def __post_init__(self) -> None:
        if self.every < 0:
            raise TipConfigError("tip_every", f"must be 0 (off) or more, not {self.every}")
        if self.select_every < 0:
            raise TipConfigError(
                "select_every", f"must be 0 (off) or more, not {self.select_every}"
            )
        if self.classes is not None:
            unknown = sorted(set(self.classes) - _PROHIBITED_NAMES)
            if unknown or not self.classes:
                raise TipConfigError(
                    "tip_classes",
                    f"not prohibited classes: {', '.join(unknown) or '(none given)'}; "
                    f"choose of {', '.join(sorted(_PROHIBITED_NAMES))}",
                )
        if not 0.0 <= self.thin_share <= 1.0:
            raise TipConfigError("tip_thin_share", f"must be in [0, 1], not {self.thin_share}")
        if self.library is not None:
            try:
                ThreatLibrary(self.library).holding(self.classes)
            except CaptureError as exc:
                raise TipConfigError("tip_library", str(exc)) from None

    def picks(self, tracking_id: str) -> bool:
        """Whether this cleared bag gets a projection: the same answer for every worker that
        might decide it, and an unpredictable one for an operator."""
        return self.every > 0 and _digest(tracking_id, "pick") % self.every == 0

    def selects(self, tracking_id: str) -> bool:
        """Whether this cleared bag goes before the operators as it is. A bag that ``picks``
        lends its picture instead: shown twice, once with a threat, it would give the test
        away."""
        return self.select_every > 0 and _digest(tracking_id, "select") % self.select_every == 0


def tip_seed(tracking_id: str) -> int:
    """The projection's random stream, kept so the picture can be made again for review."""
    return _digest(tracking_id, "seed") % (2**31 - 1)


def _digest(tracking_id: str, purpose: str) -> int:
    h = hashlib.sha256(f"{purpose}:{tracking_id}".encode()).digest()
    return int.from_bytes(h[:8], "big")


def as_fractions(low: np.ndarray, high: np.ndarray) -> DualEnergyImage:
    """A scanned bag's two channels as transmitted fractions, the projection's terms (16-bit
    counts or fractions, read as the detector reads them)."""
    return DualEnergyImage(low=transmission(low, "low"), high=transmission(high, "high"))


def choose_threat(seed: int, policy: TipPolicy) -> str | None:
    """The library threat a projection will show (None: a simulated one), drawn apart from
    the picture's own random stream so the picture can be made again from the seed."""
    if policy.library is None:
        return None
    rng = np.random.default_rng([seed, 1])
    return choose_library_threat(rng, ThreatLibrary(policy.library), policy.classes)


def project_for_review(
    low: np.ndarray,
    high: np.ndarray,
    seed: int,
    policy: TipPolicy,
    library_threat: str | None = None,
) -> ProjectedThreat:
    """The projected picture of a bag: the same for the same bag, seed, policy and threat.

    Raises ValueError where the picture holds no bag to project into, or the library no
    longer holds the threat."""
    rng = np.random.default_rng(seed)
    image = as_fractions(low, high)
    if library_threat is not None:
        if policy.library is None:
            raise ValueError(f"library threat {library_threat!r} named without a library")
        return project_library_threat(image, rng, ThreatLibrary(policy.library), library_threat)
    return project_threat(image, rng, classes=policy.classes, thin_share=policy.thin_share)


def policy_of(projection: Mapping[str, Any]) -> TipPolicy:
    """The policy a stored projection was made with (`Tip.projection`)."""
    classes = projection.get("classes")
    library = projection.get("library")
    return TipPolicy(
        classes=None if classes is None else tuple(str(c) for c in classes),
        thin_share=float(projection.get("thin_share", 0.1)),
        library=None if library is None else str(library),
    )


def threat_name(projected: ProjectedThreat) -> str:
    return next(c.name for c in PROHIBITED if c.id == projected.annotation.class_id)
