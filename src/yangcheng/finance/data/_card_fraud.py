"""The four labelled fraud patterns of the synthetic card stream, as episodes of rows."""

from __future__ import annotations

import numpy as np

from yangcheng.finance.data._card_world import (
    BIG_ONLINE,
    CITY_COUNTRY,
    CN_CITIES,
    COUNTRIES,
    DAYS,
    DIGITAL,
    END_S,
    EPOCH_S,
    FRAUD_COUNTRIES,
    POS_CATS,
    ROUND_AMOUNTS,
    Cards,
    DeviceCodes,
    Merchants,
    Rows,
    cumsum_by_episode,
    episodes,
    start_times,
)


def card_testing(
    rng: np.random.Generator, n: int, cards: Cards, merchants: Merchants, devices: DeviceCodes
) -> Rows:
    k, ep, pos, lengths = episodes(rng, n, 4, 11)
    card = rng.integers(0, len(cards.city), k)[ep]
    fraud_devices = devices.take(max(1, k // 3))  # one tester's phone tries several cards
    device = rng.choice(fraud_devices, k)[ep]
    testing = np.flatnonzero(np.isin(merchants.category, DIGITAL) & (merchants.ring < 0))[:5]
    cash_out = np.flatnonzero(np.isin(merchants.category, BIG_ONLINE) & (merchants.ring < 0))
    is_last = (pos == lengths[ep] - 1) & (lengths[ep] > 1)
    merchant = np.where(is_last, rng.choice(cash_out, n), rng.choice(testing, k)[ep])
    gaps = np.where(is_last, rng.uniform(20.0, 240.0, n), rng.exponential(15.0, n) + 2.0)
    gaps[pos == 0] = 0.0
    ts = start_times(rng, k, (0.0, 24.0))[ep] + cumsum_by_episode(gaps, ep)
    tiny = np.where(rng.random(n) < 0.3, 1.0, np.round(rng.uniform(0.5, 5.0, n), 2))
    large = np.round(np.clip(rng.lognormal(np.log(4000.0), 0.6, n), 800.0, 30000.0), 2)
    foreign = rng.random(k) < 0.5
    country = np.where(
        foreign,
        rng.choice([COUNTRIES.index(c) for c in FRAUD_COUNTRIES], k),
        CITY_COUNTRY[cards.city[card[np.searchsorted(ep, np.arange(k))]]],
    )[ep]
    return Rows(ts, card, merchant, device, country, np.where(is_last, large, tiny), pattern=1)


def account_takeover(
    rng: np.random.Generator, n: int, cards: Cards, merchants: Merchants, devices: DeviceCodes
) -> Rows:
    k, ep, pos, _ = episodes(rng, n, 2, 5)
    card = rng.integers(0, len(cards.city), k)[ep]
    device = devices.take(k)[ep]
    targets = np.flatnonzero(np.isin(merchants.category, BIG_ONLINE) & (merchants.ring < 0))
    merchant = rng.choice(targets, n)
    gaps = np.where(pos == 0, 0.0, rng.uniform(300.0, 3600.0, n))
    night = rng.random(k) < 0.7  # the rest wait for the victim's working day
    start = np.where(night, start_times(rng, k, (1.0, 5.0)), start_times(rng, k, (9.0, 18.0)))
    ts = start[ep] + cumsum_by_episode(gaps, ep)
    victims = card[np.searchsorted(ep, np.arange(k))]
    proxy = rng.random(k) < 0.3  # behind a proxy in the victim's own country
    country = np.where(
        proxy,
        CITY_COUNTRY[cards.city[victims]],
        rng.choice([COUNTRIES.index(c) for c in FRAUD_COUNTRIES], k),
    )[ep]
    amount = np.round(np.clip(rng.lognormal(np.log(8000.0), 0.6, n), 1500.0, 50000.0), 2)
    return Rows(ts, card, merchant, device, country, amount, pattern=2)


def velocity_burst(
    rng: np.random.Generator, n: int, cards: Cards, merchants: Merchants, devices: DeviceCodes
) -> Rows:
    k, ep, _, _ = episodes(rng, n, 8, 20)
    victims = rng.integers(0, len(cards.city), k)
    card = victims[ep]
    city = np.where(rng.random(k) < 0.6, cards.city[victims], rng.choice(CN_CITIES, k))
    merchant = np.empty(n, dtype=np.int64)
    tills = (merchants.ring < 0) & np.isin(merchants.category, POS_CATS)
    for c in np.unique(city):
        rows = np.flatnonzero(city[ep] == c)
        merchant[rows] = rng.choice(np.flatnonzero(tills & (merchants.city == c)), len(rows))
    span = rng.uniform(600.0, 3000.0, k)[ep]
    ts = start_times(rng, k, (9.0, 22.0))[ep] + rng.uniform(0.0, 1.0, n) * span
    stolen_phone = rng.random(k) < 0.5
    device = np.where(stolen_phone, cards.device[victims, 0], devices.take(k))[ep]
    atm = merchants.channel[merchant] == 2
    amount = np.round(np.clip(rng.lognormal(np.log(900.0), 0.6, n), 100.0, 6000.0), 2)
    cash = np.clip(np.round(rng.lognormal(np.log(1500.0), 0.4, n) / 100.0) * 100.0, 100.0, 3000.0)
    return Rows(ts, card, merchant, device, np.full(n, -1), np.where(atm, cash, amount), 3)


def merchant_collusion(
    rng: np.random.Generator, n: int, cards: Cards, merchants: Merchants, devices: DeviceCodes
) -> Rows:
    k, ep, pos, _ = episodes(rng, n, 1, 3)
    n_rings = int(merchants.ring.max()) + 1
    ring_devices = [devices.take(int(rng.integers(2, 5))) for _ in range(n_rings)]
    ring_start = rng.uniform(0, DAYS - 10, n_rings)
    ring = rng.integers(0, n_rings, k)[ep]
    card = rng.integers(0, len(cards.city), k)[ep]
    merchant = np.empty(n, dtype=np.int64)
    device = np.empty(n, dtype=np.int64)
    for r in range(n_rings):
        rows = np.flatnonzero(ring == r)
        merchant[rows] = rng.choice(np.flatnonzero(merchants.ring == r), len(rows))
        device[rows] = rng.choice(ring_devices[r], len(rows))
    day = np.minimum(
        ring_start[ring[np.searchsorted(ep, np.arange(k))]] + rng.uniform(0, 10, k), DAYS - 1
    )
    start = EPOCH_S + np.floor(day) * 86400.0 + rng.uniform(19.0, 23.5, k) * 3600.0
    gaps = np.where(pos == 0, 0.0, rng.uniform(1800.0, 6 * 3600.0, n))
    ts = np.minimum(start[ep] + cumsum_by_episode(gaps, ep), END_S - 1.0)
    round_amount = rng.choice(ROUND_AMOUNTS, n)
    amount = np.where(rng.random(n) < 0.6, round_amount, np.round(rng.uniform(800, 5000, n), 2))
    return Rows(ts, card, merchant, device, np.full(n, -1), amount, pattern=4)
