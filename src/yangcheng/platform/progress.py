"""Progress inside one record of a job: a plan that takes a minute should say where it is.

A batch job counts records; a capability whose single record is long (a radiotherapy plan,
a graph build) reports its own stages with ``report_progress(fraction, stage)``. Outside a
job nobody listens and the call costs nothing; inside, the job runner writes the latest report
into the job's ``result`` (at most once every ``MIN_INTERVAL_S``), where the API's ``progress``
and the console's job page read it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["MIN_INTERVAL_S", "Reporter", "listening", "report_progress"]

MIN_INTERVAL_S = 0.5
"""Reports closer together than this are dropped (the last stage change always goes)."""

Reporter = Callable[[float, str], None]

_reporter: ContextVar[Reporter | None] = ContextVar("yangcheng_progress", default=None)


def report_progress(fraction: float, stage: str) -> None:
    """Tell whoever runs this call that it is ``fraction`` (0..1) done, now at ``stage``."""
    reporter = _reporter.get()
    if reporter is None:
        return
    value = 0.0 if not math.isfinite(fraction) else min(max(fraction, 0.0), 1.0)
    reporter(value, stage[:200])


@contextmanager
def listening(reporter: Reporter) -> Iterator[None]:
    """Send the ``report_progress`` calls made inside the block to ``reporter``, throttled."""
    last_t, last_stage = -math.inf, ""

    def throttled(fraction: float, stage: str) -> None:
        nonlocal last_t, last_stage
        now = time.monotonic()
        if stage == last_stage and now - last_t < MIN_INTERVAL_S:
            return
        last_t, last_stage = now, stage
        reporter(fraction, stage)

    token = _reporter.set(throttled)
    try:
        yield
    finally:
        _reporter.reset(token)
