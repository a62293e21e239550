"""A synthetic card-payment stream with labelled fraud patterns, generated from a seed.

A population of cards (home city, account, usual merchants, spend level,
phones) pays over 30 days starting 2024-03-01 00:00 China Standard Time:
groceries, meals, metro rides, online shopping, ATM cash, trips abroad, a new
phone now and then. Four fraud patterns are woven in, each with the signature
an analyst would look for:

* ``card_testing`` - a fraudster's device tries a stolen card with a burst of
  tiny e-commerce payments at one weak digital-goods merchant within minutes,
  then spends big once a test goes through;
* ``account_takeover`` - a new device in a foreign country spends large amounts
  at odd hours (1-5 a.m. in China);
* ``velocity_burst`` - a stolen card (or phone) is emptied: many payments and
  ATM withdrawals within an hour;
* ``merchant_collusion`` - a small ring of merchants, and the few phones that
  scan for them, take many round mid-size payments from compromised cards.

``device_id`` is the payer's device (a phone or browser, as with China's wallet
payments at a till) for ``pos`` and ``ecom`` rows, and the ATM terminal for
``atm`` rows. ``country`` is where the payment happened: the merchant's country
at a till or ATM, the payer's location online. ``hour`` is the hour of day in
China Standard Time. ``is_new_device`` is true on the first payment of a card
from a device it had not used before the window (never for ATMs).
"""

from __future__ import annotations

import numpy as np

from yangcheng.finance.data import _card_fraud as fraud
from yangcheng.finance.data._card_world import (
    CAT_MCC,
    CHANNELS,
    CITIES,
    CITY_BEHIND_S,
    CITY_COUNTRY,
    COUNTRIES,
    DAYS,
    DIGITAL,
    DIURNAL,
    END_S,
    EPOCH_S,
    FRAUD_SHARES,
    N_HOME,
    PATTERNS,
    TRAVEL_CITIES,
    Cards,
    DeviceCodes,
    Merchants,
    Rows,
    amounts,
    cumsum_by_episode,
    episodes,
    make_cards,
    make_merchants,
)
from yangcheng.finance.data.table import DatasetCard, TransactionTable, column_counts

__all__ = ["CHANNELS", "DAYS", "EPOCH_S", "PATTERNS", "generate_card_transactions"]


def generate_card_transactions(n: int, seed: int, fraud_rate: float = 0.01) -> TransactionTable:
    """``n`` card payments over 30 days, ``round(n * fraud_rate)`` of them fraud; sorted by ts."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not 0.0 <= fraud_rate < 0.5:
        raise ValueError(f"fraud_rate must be in [0, 0.5), got {fraud_rate}")
    rng = np.random.default_rng(seed)
    n_fraud = round(n * fraud_rate)
    shares = np.floor(np.array(FRAUD_SHARES) * n_fraud).astype(int)
    shares[0] += n_fraud - shares.sum()

    devices = DeviceCodes()
    merchants = make_merchants(rng, max(200, n // 100), n_rings=max(1, round(shares[3] / 300)))
    cards = make_cards(rng, max(20, n // 20), merchants, devices)
    parts = [
        _legit(rng, n - n_fraud, cards, merchants),
        fraud.card_testing(rng, int(shares[0]), cards, merchants, devices),
        fraud.account_takeover(rng, int(shares[1]), cards, merchants, devices),
        fraud.velocity_burst(rng, int(shares[2]), cards, merchants, devices),
        fraud.merchant_collusion(rng, int(shares[3]), cards, merchants, devices),
    ]
    return _assemble(parts, cards, merchants, devices, n=n, seed=seed, fraud_rate=fraud_rate)


def _legit(rng: np.random.Generator, n: int, cards: Cards, merchants: Merchants) -> Rows:
    card = rng.choice(len(cards.city), n, p=cards.activity)
    day = rng.integers(0, DAYS, n)
    ts = EPOCH_S + day * 86400.0 + rng.choice(24, n, p=DIURNAL) * 3600.0 + rng.uniform(0, 3600, n)
    follow = np.flatnonzero(rng.random(n) < 0.25)  # a second payment on the same outing
    anchor = rng.integers(0, n, len(follow))
    card[follow] = card[anchor]
    ts[follow] = np.minimum(ts[anchor] + rng.exponential(900.0, len(follow)), END_S - 1.0)

    merchant = cards.favourites[card, rng.integers(0, cards.favourites.shape[1], n)]
    legit = merchants.ring < 0
    online = np.flatnonzero(legit & (merchants.channel == 1))
    other = rng.random(n) < 0.25
    merchant[other] = rng.choice(online, int(other.sum()))
    other_local = np.flatnonzero(other & (rng.random(n) < 0.55))
    for c in range(N_HOME):
        rows = other_local[cards.city[card[other_local]] == c]
        merchant[rows] = rng.choice(np.flatnonzero(legit & (merchants.city == c)), len(rows))

    country = np.full(n, -1)
    online_row = merchants.channel[merchant] == 1
    home_country = CITY_COUNTRY[cards.city[card]]
    country[online_row] = home_country[online_row]
    vpn = online_row & (rng.random(n) < 0.01)
    country[vpn] = rng.choice(len(COUNTRIES), int(vpn.sum()))
    on_trip = (cards.trip_city[card] >= 0) & (ts >= cards.trip_from_s[card])
    on_trip &= ts < cards.trip_to_s[card]
    trip_city = cards.trip_city[card]
    ts[on_trip] += CITY_BEHIND_S[trip_city[on_trip]]  # the day runs on local time there
    for c in TRAVEL_CITIES:
        rows = np.flatnonzero(on_trip & (trip_city == c) & ~online_row)
        merchant[rows] = rng.choice(np.flatnonzero(legit & (merchants.city == c)), len(rows))
    country[on_trip & online_row] = CITY_COUNTRY[trip_city[on_trip & online_row]]

    device = cards.device[card, 0].copy()
    use_second = (cards.device[card, 1] >= 0) & (rng.random(n) < 0.3)
    device[use_second] = cards.device[card[use_second], 1]
    use_new = (cards.device[card, 2] >= 0) & (ts >= cards.new_device_from_s[card])
    use_new &= rng.random(n) < 0.7
    device[use_new] = cards.device[card[use_new], 2]
    amount = amounts(rng, merchants.category[merchant], cards.spend[card])
    _micro_bursts(rng, Rows(ts, card, merchant, device, country, amount, 0), cards, merchants)
    return Rows(ts, card, merchant, device, country, amount, pattern=0)


def _micro_bursts(rng: np.random.Generator, rows: Rows, cards: Cards, merchants: Merchants) -> None:
    """Gamers buying in-game items: a few small digital payments within a couple of minutes.

    Rewrites about 1.5 % of the legitimate rows in place (their own card and phone).
    """
    n = len(rows.ts)
    k, ep, pos, _ = episodes(rng, int(n * 0.015), 3, 7)
    if k == 0:
        return
    picked = rng.choice(n, len(ep), replace=False)
    first = picked[np.searchsorted(ep, np.arange(k))]
    card = rows.card[first]
    rows.card[picked] = card[ep]
    rows.device[picked] = cards.device[card, 0][ep]
    rows.country[picked] = CITY_COUNTRY[cards.city[card]][ep]
    shops = np.flatnonzero(np.isin(merchants.category, DIGITAL) & (merchants.ring < 0))
    rows.merchant[picked] = rng.choice(shops, k)[ep]
    gaps = np.where(pos == 0, 0.0, rng.uniform(5.0, 40.0, len(ep)))
    rows.ts[picked] = rows.ts[first][ep] + cumsum_by_episode(gaps, ep)
    prices = np.array([1.0, 3.0, 6.0, 6.0, 12.0, 30.0, 68.0])
    rows.amount[picked] = rng.choice(prices, len(ep))


def _assemble(
    parts: list[Rows],
    cards: Cards,
    merchants: Merchants,
    devices: DeviceCodes,
    *,
    n: int,
    seed: int,
    fraud_rate: float,
) -> TransactionTable:
    ts = np.concatenate([p.ts for p in parts])
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    card = np.concatenate([p.card for p in parts])[order]
    merchant = np.concatenate([p.merchant for p in parts])[order]
    device = np.concatenate([p.device for p in parts])[order]
    country = np.concatenate([p.country for p in parts])[order]
    amount = np.concatenate([p.amount for p in parts])[order]
    pattern = np.concatenate([np.full(len(p.ts), p.pattern) for p in parts])[order]

    channel = merchants.channel[merchant]
    m_city = merchants.city[merchant]
    country = np.where(country >= 0, country, CITY_COUNTRY[np.maximum(m_city, 0)])
    atm = channel == 2
    n_payer_devices = devices.next
    device = np.where(atm, n_payer_devices + merchant, device)  # ATM terminals
    # a device is new on a card's first payment from it, unless the card had it before
    pair = card.astype(np.int64) * (n_payer_devices + len(merchant)) + device
    first = np.zeros(len(ts), dtype=bool)
    first[np.unique(pair, return_index=True)[1]] = True
    known = (device == cards.device[card, 0]) | (device == cards.device[card, 1])
    is_new_device = first & ~known & ~atm

    card_names = _names("C", len(cards.city), 7)
    device_names = np.concatenate(
        [_names("D", n_payer_devices, 7), _names("T", len(merchants.city), 6)]
    )
    city_names = np.array([c[0] for c in CITIES] + [""])
    data = {
        "ts": ts,
        "card_id": card_names[card],
        "device_id": device_names[device],
        "account_id": _names("A", int(cards.account.max()) + 1, 7)[cards.account[card]],
        "merchant_id": _names("M", len(merchants.city), 6)[merchant],
        "mcc": CAT_MCC[merchants.category[merchant]],
        "amount_cny": amount,
        "country": np.array(COUNTRIES)[country],
        "city": city_names[m_city],
        "home_city": city_names[cards.city[card]],
        "home_country": np.array(COUNTRIES)[CITY_COUNTRY[cards.city[card]]],
        "channel": np.array(CHANNELS)[channel],
        "is_new_device": is_new_device,
        "hour": ((ts - EPOCH_S) % 86400.0 // 3600.0).astype(np.int64),
        "is_fraud": pattern > 0,
        "pattern": np.array(PATTERNS)[pattern],
    }
    card_ = DatasetCard(
        name="synthetic_card_transactions",
        version="1.0",
        description=(
            "Synthetic card payments of a Guangzhou-centred cardholder population over 30 days "
            "from 2024-03-01 CST, with card testing, account takeover, velocity bursts and "
            "merchant collusion labelled by pattern."
        ),
        source="generated by yangcheng.finance.data.synthetic_cards",
        licence="Apache-2.0 (generated data, no personal data)",
        records=n,
        seed=seed,
        generator=f"generate_card_transactions(n={n}, seed={seed}, fraud_rate={fraud_rate})",
        counts={
            "cards": len(cards.city),
            "merchants": len(merchants.city),
            **column_counts(data["pattern"], "pattern="),
        },
    )
    return TransactionTable(data, card_)


def _names(prefix: str, k: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(k).astype(str), width))
