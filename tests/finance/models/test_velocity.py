"""Offline velocity features equal the obvious loop over previous events."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.data import generate_card_transactions
from yangcheng.finance.models.velocity import (
    ENTITIES,
    VELOCITY_FEATURES,
    WINDOWS_S,
    offline_velocity,
)


def brute_force(ts: np.ndarray, keys: np.ndarray, amount: np.ndarray, w: float) -> tuple:
    count = np.zeros(len(ts))
    total = np.zeros(len(ts))
    for i in range(len(ts)):
        previous = (keys[:i] == keys[i]) & (ts[:i] >= ts[i] - w)
        count[i] = previous.sum()
        total[i] = amount[:i][previous].sum()
    return count, total


def test_names() -> None:
    assert len(VELOCITY_FEATURES) == len(ENTITIES) * len(WINDOWS_S) * 2
    assert VELOCITY_FEATURES[:2] == ("card_id_count_60s", "card_id_sum_60s")
    assert "account_id_sum_86400s" in VELOCITY_FEATURES


def test_equals_brute_force_with_ties_and_exact_window_edges() -> None:
    table = generate_card_transactions(1500, seed=8, fraud_rate=0.05)
    # whole half-minutes: many identical timestamps, and events exactly w seconds back
    ts = np.floor(table["ts"] / 30.0) * 30.0
    assert len(np.unique(ts)) < len(ts)
    out = offline_velocity(ts, table.data, table["amount_cny"])
    assert list(out) == list(VELOCITY_FEATURES)
    for entity in ENTITIES:
        for w in WINDOWS_S:
            count, total = brute_force(ts, table[entity], table["amount_cny"], w)
            assert np.array_equal(out[f"{entity}_count_{w}s"], count), (entity, w)
            assert np.allclose(out[f"{entity}_sum_{w}s"], total, rtol=1e-9, atol=1e-6)
    assert out["card_id_count_86400s"].max() > 3  # the table has real bursts in it


def test_hand_example_of_the_edges() -> None:
    ts = np.array([0.0, 30.0, 60.0, 60.0, 120.0, 120.5])
    card = np.array(["a", "a", "a", "a", "a", "b"])
    amount = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    out = offline_velocity(ts, {"card_id": card, "device_id": card, "account_id": card}, amount)
    # at 60 s the 60 s window [0, 60] holds 0 and 30, and for the second event at 60 the first
    # one too (earlier in the stream); at 120 it holds both events at 60, not the one at 0
    assert out["card_id_count_60s"].tolist() == [0, 1, 2, 3, 2, 0]
    assert out["card_id_sum_60s"].tolist() == [0, 1, 3, 7, 12, 0]
    assert out["card_id_count_3600s"].tolist() == [0, 1, 2, 3, 4, 0]


def test_rows_must_be_sorted() -> None:
    keys = np.array(["a", "a"])
    entities = {"card_id": keys, "device_id": keys, "account_id": keys}
    with pytest.raises(ValueError, match="sorted by ts"):
        offline_velocity(np.array([5.0, 1.0]), entities, np.ones(2))
