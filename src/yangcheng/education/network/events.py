"""The event schema of the learner interaction network, and validation of user events.

An event is one time-stamped interaction ``src -> dst`` of a ``kind``; the kind fixes the
node types at both ends, so a user's table needs no separate node list. Inside the library
nodes are integers ``0..n_nodes-1`` (NetworKit's ids); ``InteractionEvents.labels`` keeps the
user's original ids so results can be reported in their words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from yangcheng.education.data.errors import TableError

NODE_TYPES = ("student", "resource", "thread", "team")
"""Node types; ``node_type`` arrays hold the index into this tuple."""

STUDENT, RESOURCE, THREAD, TEAM = range(4)

KIND_TYPES: dict[str, tuple[int, int]] = {
    "view": (STUDENT, RESOURCE),
    "attempt": (STUDENT, RESOURCE),
    "post": (STUDENT, THREAD),
    "reply": (STUDENT, STUDENT),
    "member": (STUDENT, TEAM),
    "cowork": (STUDENT, STUDENT),
}
"""Each kind's (source type, destination type). Every kind is initiated by a student."""

KINDS = tuple(KIND_TYPES)
SOCIAL_KINDS = ("reply", "cowork")
"""Kinds that tie two students together (the social projection)."""

REQUIRED_COLUMNS = ("src", "dst", "kind", "timestamp")


class EventsError(TableError):
    """A bad events table: which row (0-based position) and column, and what is wrong."""

    table = "events"


@dataclass
class InteractionEvents:
    """Events on integer node ids, the node types, and the original node labels.

    ``events`` columns: ``src``/``dst`` int64 node ids, ``kind`` categorical over ``KINDS``,
    ``timestamp`` float64 epoch seconds. ``node_type[i]`` indexes ``NODE_TYPES``.
    """

    events: pd.DataFrame
    node_type: np.ndarray
    labels: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return int(self.node_type.shape[0])

    def ids_of(self, node_type: int) -> np.ndarray:
        """Global ids of one type, ascending: position in this array is the local index."""
        return np.flatnonzero(self.node_type == node_type)

    def local_index(self, node_type: int) -> np.ndarray:
        """Global id -> index among nodes of ``node_type`` (-1 for other types)."""
        local = np.full(self.n_nodes, -1, dtype=np.int64)
        ids = self.ids_of(node_type)
        local[ids] = np.arange(ids.shape[0])
        return local

    def label(self, node: int) -> str | int:
        """The user's id for a node (the integer itself for generated networks)."""
        if self.labels is None:
            return int(node)
        value = self.labels[node]
        return value.item() if isinstance(value, np.generic) else value

    def of_kinds(self, *kinds: str) -> pd.DataFrame:
        return self.events[self.events["kind"].isin(kinds)]


def kind_codes(kinds: pd.Series) -> np.ndarray:
    """Kind index (into ``KINDS``) of each event."""
    return np.asarray(pd.Categorical(kinds, categories=KINDS).codes, dtype=np.int8)


def canonical_frame(
    src: np.ndarray, dst: np.ndarray, kind: np.ndarray, timestamp: np.ndarray
) -> pd.DataFrame:
    """Build the canonical events frame from kind codes (indices into ``KINDS``)."""
    return pd.DataFrame(
        {
            "src": np.asarray(src, dtype=np.int64),
            "dst": np.asarray(dst, dtype=np.int64),
            "kind": pd.Categorical.from_codes(np.asarray(kind, dtype=np.int8), categories=KINDS),
            "timestamp": np.asarray(timestamp, dtype=np.float64),
        }
    )


def from_dataframe(frame: pd.DataFrame) -> InteractionEvents:
    """Validate a user's events table and map its ids onto 0..n-1.

    ``src``/``dst`` may be any hashable ids (strings or integers, compared as strings so
    ``7`` and ``"7"`` are one node); ``kind`` one of ``KINDS``; ``timestamp`` epoch seconds
    or datetimes. A node used with two different types (say as a student and a team) is an
    error, since its type decides which analytics see it. Raises ``EventsError`` naming the
    first offending row and column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"events are a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise EventsError(None, None, f"missing required column(s): {', '.join(missing)}")
    if len(frame) == 0:
        raise EventsError(None, None, "no events")
    for column in ("src", "dst"):
        null = frame[column].isna().to_numpy()
        if null.any():
            raise EventsError(int(np.argmax(null)), column, "missing node id")
    kind = frame["kind"].astype("string")
    bad_kind = ~kind.isin(KINDS).to_numpy(dtype=bool, na_value=False)
    if bad_kind.any():
        row = int(np.argmax(bad_kind))
        raise EventsError(
            row, "kind", f"unknown kind {frame['kind'].iloc[row]!r}; expected one of {KINDS}"
        )
    timestamp = _epoch_seconds(frame["timestamp"])
    codes = kind_codes(kind)
    src_type = np.array([KIND_TYPES[k][0] for k in KINDS], dtype=np.int8)[codes]
    dst_type = np.array([KIND_TYPES[k][1] for k in KINDS], dtype=np.int8)[codes]
    n_events = len(frame)
    both = pd.concat([frame["src"], frame["dst"]], ignore_index=True).astype(str)
    codes_all, labels = pd.factorize(both, sort=False)
    src = codes_all[:n_events].astype(np.int64)
    dst = codes_all[n_events:].astype(np.int64)
    node_type = np.full(len(labels), -1, dtype=np.int8)
    node_type[src] = src_type
    node_type[dst] = dst_type
    for column, ids, types in (("src", src, src_type), ("dst", dst, dst_type)):
        clash = node_type[ids] != types
        if clash.any():
            row = int(np.argmax(clash))
            node = labels[ids[row]]
            raise EventsError(
                row,
                column,
                f"node {node!r} is a {NODE_TYPES[types[row]]} here but a "
                f"{NODE_TYPES[node_type[ids[row]]]} elsewhere",
            )
    self_loop = src == dst
    if self_loop.any():
        raise EventsError(int(np.argmax(self_loop)), "dst", "an event from a node to itself")
    events = canonical_frame(src, dst, codes, timestamp)
    return InteractionEvents(events=events, node_type=node_type, labels=np.asarray(labels))


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column):
        values = column.dt.tz_localize(None) if column.dt.tz is not None else column
        seconds = (values - pd.Timestamp(0)).dt.total_seconds().to_numpy(dtype=np.float64)
    else:
        seconds = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(seconds)
    if bad.any():
        row = int(np.argmax(bad))
        raise EventsError(
            row, "timestamp", f"{column.iloc[row]!r} is not a time (epoch seconds or datetime)"
        )
    return seconds
