"""Learners who need attention: isolated, stopped, disengaged, and bursty accounts.

The rules are deliberately simple and explainable, since each flag is shown to a teacher
with its reason:

- *isolated*: no social tie at all, or only inside a component of at most a few students;
- *stopped*: no activity in the last window although the learner's own earlier rate
  predicted at least ``min_expected`` events there (a Poisson test: with the default 4.6,
  silence by chance has probability below 1 %);
- *low engagement*: far less activity than the median of the learner's community;
- *bursty*: a burst of near-identical events within one time bin, beyond any human pace.

The stopped rule only needs per-learner (count, first, last) counters, so
:mod:`incremental` keeps it exact as events stream in.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkit as nk
import numpy as np
import pandas as pd

from yangcheng.education.network.events import STUDENT, InteractionEvents
from yangcheng.education.network.graph import WeightedGraph

DAY_S = 86_400.0
WINDOW_S = 35 * DAY_S
"""Five weeks: long enough that a steady learner is rarely silent through it by chance."""
MIN_EXPECTED = 4.6
"""exp(-4.6) ~ 0.01: the chance a steady learner is silent for a whole window."""
LOW_ENGAGEMENT_RATIO = 0.25
BURST_BIN_S = 3_600.0
MIN_BURST = 50
MAX_SMALL_COMPONENT = 2


@dataclass
class Activity:
    """Per-node counters of initiated events: how many, first and last time (NaN: none)."""

    n_events: np.ndarray
    first_s: np.ndarray
    last_s: np.ndarray

    @classmethod
    def empty(cls, n_nodes: int) -> Activity:
        return cls(
            np.zeros(n_nodes, dtype=np.int64),
            np.full(n_nodes, np.inf),
            np.full(n_nodes, -np.inf),
        )

    def update(self, src: np.ndarray, timestamp: np.ndarray) -> None:
        """Fold a batch of events into the counters (order-independent)."""
        self.n_events += np.bincount(src, minlength=self.n_events.shape[0])
        np.minimum.at(self.first_s, src, timestamp)
        np.maximum.at(self.last_s, src, timestamp)

    def grow(self, n_nodes: int) -> None:
        extra = n_nodes - self.n_events.shape[0]
        if extra > 0:
            self.n_events = np.concatenate([self.n_events, np.zeros(extra, np.int64)])
            self.first_s = np.concatenate([self.first_s, np.full(extra, np.inf)])
            self.last_s = np.concatenate([self.last_s, np.full(extra, -np.inf)])


def activity(events: InteractionEvents) -> Activity:
    frame = events.events
    counters = Activity.empty(events.n_nodes)
    counters.update(frame["src"].to_numpy(), frame["timestamp"].to_numpy())
    return counters


def stopped(
    counters: Activity,
    now_s: float,
    *,
    window_s: float = WINDOW_S,
    min_expected: float = MIN_EXPECTED,
) -> np.ndarray:
    """Mask of nodes silent since ``now_s - window_s`` whose own rate predicted activity."""
    cut_s = now_s - window_s
    active_s = cut_s - counters.first_s
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(active_s > 0, counters.n_events * window_s / active_s, 0.0)
    return (counters.n_events > 0) & (counters.last_s < cut_s) & (expected >= min_expected)


def isolated(social: WeightedGraph, max_component: int = MAX_SMALL_COMPONENT) -> np.ndarray:
    """Local students in social components of at most ``max_component`` (alone included)."""
    components = nk.components.ConnectedComponents(social.graph)
    components.run()
    label = np.asarray(components.getPartition().getVector(), dtype=np.int64)
    size = np.bincount(label)
    return size[label] <= max_component


def low_engagement(
    n_events: np.ndarray, community: np.ndarray, ratio: float = LOW_ENGAGEMENT_RATIO
) -> np.ndarray:
    """Mask of learners below ``ratio`` x their community's median activity (communities
    of at least five learners; smaller ones have no meaningful median)."""
    frame = pd.DataFrame({"n": n_events, "c": community})
    median = frame.groupby("c")["n"].transform("median").to_numpy()
    size = frame.groupby("c")["n"].transform("size").to_numpy()
    return (size >= 5) & (n_events < ratio * median)


def burst_sizes(events: InteractionEvents, bin_s: float = BURST_BIN_S) -> np.ndarray:
    """Per node, the most events it initiated within one ``bin_s`` bin (two bin grids
    offset by half a bin, so a burst on a bin edge is not split)."""
    frame = events.events
    src = frame["src"].to_numpy()
    ts = frame["timestamp"].to_numpy()
    best = np.zeros(events.n_nodes, dtype=np.int64)
    if src.size == 0:
        return best
    t0 = ts.min()
    for shift in (0.0, 0.5):
        bins = np.floor((ts - t0) / bin_s + shift).astype(np.int64)
        key = src * (int(bins.max()) + 1) + bins
        unique, count = np.unique(key, return_counts=True)
        np.maximum.at(best, unique // (int(bins.max()) + 1), count)
    return best


def bursty(
    events: InteractionEvents, *, bin_s: float = BURST_BIN_S, min_burst: int = MIN_BURST
) -> np.ndarray:
    """Global ids of accounts with at least ``min_burst`` events in one bin."""
    return np.flatnonzero(burst_sizes(events, bin_s) >= min_burst)


def learner_flags(
    events: InteractionEvents,
    social: WeightedGraph,
    community: np.ndarray | None = None,
    *,
    now_s: float | None = None,
    window_s: float = WINDOW_S,
    min_burst: int = MIN_BURST,
) -> pd.DataFrame:
    """One row per student (global id ``node``) with a boolean column per flag.

    ``community`` gives each student's (local) community for the low-engagement rule; without
    it that flag is all False. ``now_s`` defaults to the last event's time.
    """
    students = events.ids_of(STUDENT)
    counters = activity(events)
    if now_s is None:
        now_s = float(events.events["timestamp"].max())
    n_events = counters.n_events[students]
    flags = pd.DataFrame(
        {
            "node": students,
            "n_events": n_events,
            "last_s": counters.last_s[students],
            "isolated": isolated(social),
            "stopped": stopped(counters, now_s, window_s=window_s)[students],
            "low_engagement": (
                low_engagement(n_events, community)
                if community is not None
                else np.zeros(students.shape[0], bool)
            ),
            "bursty": burst_sizes(events)[students] >= min_burst,
        }
    )
    return flags


FLAG_COLUMNS = ("isolated", "stopped", "low_engagement", "bursty")
