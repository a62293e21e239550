from __future__ import annotations

import numpy as np
import pytest

from yangcheng.education.network.events import KIND_TYPES, SOCIAL_KINDS
from yangcheng.education.network.generate import (
    DAY_S,
    START_S,
    NetworkSizeError,
    SyntheticNetwork,
    generate_network,
)


def test_same_seed_same_bytes() -> None:
    a = generate_network(1_000, 5_000, seed=1).events.events
    b = generate_network(1_000, 5_000, seed=1).events.events
    c = generate_network(1_000, 5_000, seed=2).events.events
    assert a.equals(b)
    assert not a.equals(c)


def test_sizes_and_types(network: SyntheticNetwork) -> None:
    events = network.events
    frame = events.events
    assert len(frame) == 24_000
    assert events.n_nodes == 4_000
    assert np.all(np.diff(frame["timestamp"].to_numpy()) >= 0)
    for kind, (src_type, dst_type) in KIND_TYPES.items():
        part = frame[frame["kind"] == kind]
        assert len(part) > 0
        assert (events.node_type[part["src"]] == src_type).all()
        assert (events.node_type[part["dst"]] == dst_type).all()
    assert (frame["src"] != frame["dst"]).all()


def test_planted_structure(network: SyntheticNetwork) -> None:
    events, truth = network.events, network.truth
    social = events.of_kinds(*SOCIAL_KINDS)
    tied = np.union1d(social["src"], social["dst"])
    assert not np.isin(truth.isolated, tied).any()
    assert np.isin(np.setdiff1d(events.ids_of(0), truth.isolated), tied).all()
    frame = events.events
    by_dropouts = frame[frame["src"].isin(truth.dropouts)]
    assert by_dropouts["timestamp"].max() <= START_S + 0.6 * 120 * DAY_S
    replies = events.of_kinds("reply")
    received = np.bincount(replies["dst"], minlength=events.n_nodes)
    assert received[truth.influential].min() > 5 * np.median(received[events.ids_of(0)])
    same_class = (
        truth.class_of_student[replies["src"]] == truth.class_of_student[replies["dst"]]
    ).mean()
    assert same_class > 0.7


def test_too_small_is_refused() -> None:
    with pytest.raises(NetworkSizeError, match="n_edges"):
        generate_network(1_000, 1_000)
