"""The synthetic card stream: deterministic, at the asked fraud rate, patterns with signatures."""

from __future__ import annotations

import numpy as np
import pytest

from yangcheng.finance.data import TransactionTable, generate_card_transactions
from yangcheng.finance.data.synthetic_cards import EPOCH_S, PATTERNS
from yangcheng.finance.models.velocity import offline_velocity

N = 20_000
RATE = 0.02


@pytest.fixture(scope="module")
def table() -> TransactionTable:
    return generate_card_transactions(N, seed=1, fraud_rate=RATE)


@pytest.fixture(scope="module")
def velocity(table: TransactionTable) -> dict[str, np.ndarray]:
    return offline_velocity(table["ts"], table.data, table["amount_cny"])


def test_same_seed_same_arrays_other_seed_differs(table: TransactionTable) -> None:
    again = generate_card_transactions(N, seed=1, fraud_rate=RATE)
    assert again.columns == table.columns
    for name in table.columns:
        assert np.array_equal(again[name], table[name]), name
    other = generate_card_transactions(N, seed=2, fraud_rate=RATE)
    assert not np.array_equal(other["ts"], table["ts"])
    assert not np.array_equal(other["amount_cny"], table["amount_cny"])


def test_columns_rows_and_order(table: TransactionTable) -> None:
    for name in (
        "ts", "card_id", "device_id", "account_id", "merchant_id", "mcc", "amount_cny",
        "country", "channel", "is_new_device", "hour", "is_fraud", "pattern",
    ):  # fmt: skip
        assert name in table.columns
        assert len(table[name]) == N
    assert len(table) == N
    assert np.all(np.diff(table["ts"]) >= 0)
    assert table["ts"].min() >= EPOCH_S and table["ts"].max() < EPOCH_S + 31 * 86400
    assert set(np.unique(table["channel"])) == {"pos", "ecom", "atm"}
    assert np.all(table["amount_cny"] > 0)
    cst_hour = ((table["ts"] - EPOCH_S) % 86400 // 3600).astype(int)
    assert np.array_equal(table["hour"], cst_hour)
    row = table[5]
    assert isinstance(row["ts"], float) and isinstance(row["card_id"], str)
    assert isinstance(row["is_new_device"], bool) and isinstance(row["mcc"], int)
    assert table[-1]["ts"] == table["ts"][-1]
    with pytest.raises(IndexError):
        table[N]


def test_fraud_rate_and_labels(table: TransactionTable) -> None:
    assert table["is_fraud"].sum() == round(N * RATE)
    assert np.array_equal(table["is_fraud"], table["pattern"] != "none")
    assert set(np.unique(table["pattern"])) == set(PATTERNS)
    assert table.card.records == N and table.card.seed == 1
    assert table.card.counts["pattern=none"] == N - round(N * RATE)
    low = generate_card_transactions(50_000, seed=3)  # the default rate, 1 %
    assert low["is_fraud"].mean() == pytest.approx(0.01, abs=1e-4)


def test_card_testing_is_tiny_ecom_bursts_then_a_big_one(
    table: TransactionTable, velocity: dict[str, np.ndarray]
) -> None:
    ct = table["pattern"] == "card_testing"
    legit = table["pattern"] == "none"
    amount = table["amount_cny"][ct]
    assert np.all(table["channel"][ct] == "ecom")
    assert np.median(amount) < 5.0
    assert np.mean(amount < 10) > 0.7 and amount.max() > 800  # the cash-out after the tests
    count_60 = velocity["card_id_count_60s"]
    assert count_60[ct].mean() > 1.5
    assert count_60[ct].mean() > 20 * count_60[legit].mean()


def test_account_takeover_is_new_device_abroad_large_at_night(table: TransactionTable) -> None:
    ato = table["pattern"] == "account_takeover"
    legit = table["pattern"] == "none"
    foreign = table["country"] != table["home_country"]
    assert foreign[ato].mean() > 0.6 > 0.05 > foreign[legit].mean()
    assert np.median(table["amount_cny"][ato]) > 10 * np.median(table["amount_cny"][legit])
    night = table["hour"] < 6
    assert night[ato].mean() > 0.5 > 0.1 > night[legit].mean()
    new = table["is_new_device"]
    assert new[ato].mean() > 0.2 > 0.01 > new[legit].mean()


def test_velocity_burst_is_many_payments_within_an_hour(
    table: TransactionTable, velocity: dict[str, np.ndarray]
) -> None:
    burst = table["pattern"] == "velocity_burst"
    legit = table["pattern"] == "none"
    count_1h = velocity["card_id_count_3600s"]
    assert np.median(count_1h[burst]) >= 4
    assert np.quantile(count_1h[legit], 0.99) < np.median(count_1h[burst])
    assert set(np.unique(table["channel"][burst])) <= {"pos", "atm"}


def test_merchant_collusion_is_a_small_ring_taking_round_mid_size_payments(
    table: TransactionTable,
) -> None:
    ring = table["pattern"] == "merchant_collusion"
    merchants = np.unique(table["merchant_id"][ring])
    cards = np.unique(table["card_id"][ring])
    assert 3 <= len(merchants) <= 6 and len(cards) > 10 * len(merchants)
    amount = table["amount_cny"][ring]
    assert amount.min() >= 800 and amount.max() <= 5000
    assert np.mean(amount % 100 == 0) > 0.5
    # ring merchants take no legitimate payments
    assert not np.isin(table["merchant_id"][~ring], merchants).any()


def test_new_device_is_the_first_payment_from_a_device_and_never_an_atm(
    table: TransactionTable,
) -> None:
    new = table["is_new_device"]
    assert not new[table["channel"] == "atm"].any()
    pairs = np.char.add(np.char.add(table["card_id"], "/"), table["device_id"])
    assert len(np.unique(pairs[new])) == int(new.sum())  # flagged at most once per pair
    _, first = np.unique(pairs, return_index=True)
    first_mask = np.zeros(len(pairs), dtype=bool)
    first_mask[first] = True
    assert not (new & ~first_mask).any()


def test_tiny_and_take() -> None:
    one = generate_card_transactions(1, seed=0)
    assert len(one) == 1 and not one["is_fraud"].any()
    small = generate_card_transactions(300, seed=0, fraud_rate=0.1)
    part = small.take([0, 5, 7])
    assert len(part) == 3 and part.card.records == 3
    assert part[1] == small[5]
    with pytest.raises(ValueError):
        generate_card_transactions(10, seed=0, fraud_rate=0.7)
    with pytest.raises(ValueError, match="differ in length"):
        TransactionTable({"a": np.zeros(2), "b": np.zeros(3)}, small.card)
