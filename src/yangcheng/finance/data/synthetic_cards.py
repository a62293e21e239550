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

from dataclasses import dataclass

import numpy as np

from yangcheng.finance.data.table import DatasetCard, TransactionTable, column_counts

EPOCH_S = 1709222400.0  # 2024-03-01 00:00:00 +08:00
DAYS = 30
_END_S = EPOCH_S + DAYS * 86400

PATTERNS = ("none", "card_testing", "account_takeover", "velocity_burst", "merchant_collusion")
CHANNELS = ("pos", "ecom", "atm")
_FRAUD_SHARES = (0.30, 0.20, 0.25, 0.25)  # of fraud rows, in PATTERNS[1:] order

# (city, country, share of cardholders living there, hours behind China Standard Time);
# travel-only cities have share 0
_CITIES = (
    ("Guangzhou", "CN", 0.45, 0),
    ("Shenzhen", "CN", 0.15, 0),
    ("Foshan", "CN", 0.10, 0),
    ("Dongguan", "CN", 0.06, 0),
    ("Shanghai", "CN", 0.05, 0),
    ("Beijing", "CN", 0.05, 0),
    ("Chengdu", "CN", 0.04, 0),
    ("Hong Kong", "HK", 0.07, 0),
    ("Macau", "MO", 0.03, 0),
    ("Bangkok", "TH", 0.0, 1),
    ("Tokyo", "JP", 0.0, -1),
    ("Seoul", "KR", 0.0, -1),
    ("Singapore", "SG", 0.0, 0),
    ("London", "GB", 0.0, 8),
)
_N_HOME = sum(1 for c in _CITIES if c[2] > 0)
_CN_CITIES = np.array([i for i, c in enumerate(_CITIES) if c[1] == "CN"])
_TRAVEL_CITIES = np.array([i for i, c in enumerate(_CITIES) if c[2] == 0])
_FRAUD_COUNTRIES = ("US", "GB", "RU", "NG", "BR", "VN", "PH", "UA", "ID", "TR")
_COUNTRIES = tuple(dict.fromkeys([c[1] for c in _CITIES] + list(_FRAUD_COUNTRIES)))
_CITY_COUNTRY = np.array([_COUNTRIES.index(c[1]) for c in _CITIES])
_CITY_BEHIND_S = np.array([c[3] * 3600.0 for c in _CITIES])

# (mcc, channel, median amount CNY, log-sd, share of legitimate payments)
_CATEGORIES = (
    (5411, "pos", 85.0, 0.6, 14.0),  # grocery
    (5812, "pos", 110.0, 0.6, 12.0),  # restaurants
    (5814, "pos", 35.0, 0.5, 12.0),  # fast food, tea shops
    (4111, "pos", 4.0, 0.3, 8.0),  # metro and bus fares
    (5541, "pos", 300.0, 0.4, 4.0),  # fuel
    (5311, "pos", 380.0, 0.8, 5.0),  # department stores
    (5912, "pos", 90.0, 0.7, 4.0),  # pharmacies
    (5691, "pos", 350.0, 0.7, 4.0),  # clothing
    (5732, "pos", 1800.0, 0.8, 1.5),  # electronics
    (5944, "pos", 3000.0, 0.9, 0.5),  # jewellery
    (7011, "pos", 650.0, 0.6, 1.5),  # hotels
    (6011, "atm", 1000.0, 0.7, 3.0),  # cash
    (5999, "ecom", 180.0, 0.9, 14.0),  # online retail
    (5732, "ecom", 2000.0, 0.8, 2.0),  # electronics online
    (5816, "ecom", 45.0, 0.9, 3.0),  # digital games
    (5818, "ecom", 25.0, 0.9, 4.0),  # digital goods, subscriptions
    (4814, "ecom", 100.0, 0.5, 3.0),  # phone top-up
    (4722, "ecom", 2200.0, 0.7, 1.0),  # travel agencies
    (4829, "ecom", 1500.0, 1.0, 1.5),  # money transfer
)
_CAT_MCC = np.array([c[0] for c in _CATEGORIES])
_CAT_CHANNEL = np.array([CHANNELS.index(c[1]) for c in _CATEGORIES])
_CAT_MEDIAN = np.array([c[2] for c in _CATEGORIES])
_CAT_SD = np.array([c[3] for c in _CATEGORIES])
_CAT_SHARE = np.array([c[4] for c in _CATEGORIES]) / sum(c[4] for c in _CATEGORIES)
_TRANSIT = 3
_DIGITAL = np.array([14, 15, 16])  # where card testers try cards
_BIG_ONLINE = np.array([13, 17, 18])  # where they then cash out
_RING_CATS = np.array([5, 8, 9, 10])  # what colluding merchants register as
_POS_CATS = np.flatnonzero(_CAT_CHANNEL != 1)
# hour-of-day profile of legitimate spending (China Standard Time)
_DIURNAL = np.array(
    [
        *(1.0, 0.6, 0.35, 0.25, 0.25, 0.4, 1.2, 3.0, 4.5, 4.5, 4.8, 5.5),
        *(7.5, 6.5, 5.0, 4.8, 5.0, 5.8, 7.0, 7.5, 6.8, 5.5, 3.8, 2.0),
    ]
)
_DIURNAL = _DIURNAL / _DIURNAL.sum()
_ROUND_AMOUNTS = np.array([800.0, 1000.0, 1200.0, 1500.0, 2000.0, 2500.0, 3000.0, 5000.0])


@dataclass
class _Merchants:
    category: np.ndarray  # index into _CATEGORIES
    city: np.ndarray  # index into _CITIES, -1 online
    ring: np.ndarray  # colluding ring number, -1 none

    @property
    def channel(self) -> np.ndarray:
        return _CAT_CHANNEL[self.category]


@dataclass
class _Cards:
    account: np.ndarray
    city: np.ndarray
    spend: np.ndarray  # multiplier of category medians
    activity: np.ndarray  # share of payments
    favourites: np.ndarray  # (n_cards, k) merchant indices
    device: np.ndarray  # (n_cards, 3): primary, secondary (-1), new phone (-1)
    new_device_from_s: np.ndarray
    trip_city: np.ndarray  # -1 if no trip abroad
    trip_from_s: np.ndarray
    trip_to_s: np.ndarray


@dataclass
class _Rows:
    """Rows as integer codes; turned into named columns at the end."""

    ts: np.ndarray
    card: np.ndarray
    merchant: np.ndarray
    device: np.ndarray  # payer device code, -1 for ATM (terminal filled in later)
    country: np.ndarray  # index into _COUNTRIES for online rows, -1: the merchant's
    amount: np.ndarray
    pattern: int


class _DeviceCodes:
    def __init__(self) -> None:
        self.next = 0

    def take(self, k: int) -> np.ndarray:
        codes = np.arange(self.next, self.next + k)
        self.next += k
        return codes


def generate_card_transactions(n: int, seed: int, fraud_rate: float = 0.01) -> TransactionTable:
    """``n`` card payments over 30 days, ``round(n * fraud_rate)`` of them fraud; sorted by ts."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not 0.0 <= fraud_rate < 0.5:
        raise ValueError(f"fraud_rate must be in [0, 0.5), got {fraud_rate}")
    rng = np.random.default_rng(seed)
    n_fraud = round(n * fraud_rate)
    shares = np.floor(np.array(_FRAUD_SHARES) * n_fraud).astype(int)
    shares[0] += n_fraud - shares.sum()

    devices = _DeviceCodes()
    merchants = _make_merchants(rng, max(200, n // 100), n_rings=max(1, round(shares[3] / 300)))
    cards = _make_cards(rng, max(20, n // 20), merchants, devices)
    parts = [
        _legit(rng, n - n_fraud, cards, merchants),
        _card_testing(rng, int(shares[0]), cards, merchants, devices),
        _account_takeover(rng, int(shares[1]), cards, merchants, devices),
        _velocity_burst(rng, int(shares[2]), cards, merchants, devices),
        _merchant_collusion(rng, int(shares[3]), cards, merchants, devices),
    ]
    return _assemble(parts, cards, merchants, devices, n=n, seed=seed, fraud_rate=fraud_rate)


def _make_merchants(rng: np.random.Generator, n: int, n_rings: int) -> _Merchants:
    # every category has a merchant, and every city a grocery, whatever n is
    n_fixed = len(_CATEGORIES) + len(_CITIES)
    category = np.concatenate(
        [
            np.arange(len(_CATEGORIES)),
            np.zeros(len(_CITIES), dtype=np.int64),
            rng.choice(len(_CATEGORIES), n - n_fixed, p=_CAT_SHARE),
        ]
    )
    weight = np.array([c[2] if c[2] > 0 else 0.012 for c in _CITIES])
    city = rng.choice(len(_CITIES), n, p=weight / weight.sum())
    city[len(_CATEGORIES) : n_fixed] = np.arange(len(_CITIES))
    city = np.where(_CAT_CHANNEL[category] == 1, -1, city)
    ring_sizes = rng.integers(3, 7, n_rings)
    ring = np.concatenate([np.full(n, -1), np.repeat(np.arange(n_rings), ring_sizes)])
    ring_city = rng.choice(_CN_CITIES[:4], n_rings)
    category = np.concatenate([category, rng.choice(_RING_CATS, ring_sizes.sum())])
    city = np.concatenate([city, np.repeat(ring_city, ring_sizes)])
    return _Merchants(category=category, city=city, ring=ring)


def _make_cards(
    rng: np.random.Generator, n: int, merchants: _Merchants, devices: _DeviceCodes
) -> _Cards:
    n_accounts = max(1, int(n * 0.8))
    account = np.concatenate([np.arange(n_accounts), rng.integers(0, n_accounts, n - n_accounts)])
    home_p = np.array([c[2] for c in _CITIES[:_N_HOME]])
    city = rng.choice(_N_HOME, n, p=home_p / home_p.sum())
    spend = rng.lognormal(0.0, 0.5, n)
    activity = rng.gamma(2.0, 1.0, n)
    k = 10
    legit = merchants.ring < 0
    online = np.flatnonzero(legit & (merchants.channel == 1))
    favourites = np.empty((n, k), dtype=np.int64)
    n_online = rng.binomial(k, 0.35, n).clip(1, k - 2)
    for c in range(_N_HOME):
        local = np.flatnonzero(legit & (merchants.city == c))
        rows = np.flatnonzero(city == c)
        favourites[rows] = rng.choice(local, (len(rows), k))
        pick_online = np.arange(k)[None, :] < n_online[rows, None]
        favourites[rows] = np.where(
            pick_online, rng.choice(online, (len(rows), k)), favourites[rows]
        )
    device = np.full((n, 3), -1, dtype=np.int64)
    device[:, 0] = devices.take(n)
    second = rng.random(n) < 0.3
    device[second, 1] = devices.take(int(second.sum()))
    new_phone = rng.random(n) < 0.06
    device[new_phone, 2] = devices.take(int(new_phone.sum()))
    trip = rng.random(n) < 0.04
    trip_from = EPOCH_S + rng.uniform(0, (DAYS - 7) * 86400, n)
    return _Cards(
        account=account,
        city=city,
        spend=spend,
        activity=activity / activity.sum(),
        favourites=favourites,
        device=device,
        new_device_from_s=EPOCH_S + rng.uniform(0, DAYS * 86400, n),
        trip_city=np.where(trip, rng.choice(_TRAVEL_CITIES, n), -1),
        trip_from_s=trip_from,
        trip_to_s=trip_from + rng.uniform(3, 7, n) * 86400,
    )


def _amounts(rng: np.random.Generator, category: np.ndarray, scale: np.ndarray) -> np.ndarray:
    amount = (
        _CAT_MEDIAN[category] * scale * np.exp(_CAT_SD[category] * rng.standard_normal(len(scale)))
    )
    amount = np.where(category == _TRANSIT, rng.uniform(2.0, 9.0, len(scale)), amount)
    atm = _CAT_CHANNEL[category] == 2
    amount = np.where(atm, np.clip(np.round(amount / 100.0) * 100.0, 100.0, 5000.0), amount)
    return np.maximum(np.round(amount, 2), 0.5)


def _legit(rng: np.random.Generator, n: int, cards: _Cards, merchants: _Merchants) -> _Rows:
    card = rng.choice(len(cards.city), n, p=cards.activity)
    day = rng.integers(0, DAYS, n)
    ts = EPOCH_S + day * 86400.0 + rng.choice(24, n, p=_DIURNAL) * 3600.0 + rng.uniform(0, 3600, n)
    follow = np.flatnonzero(rng.random(n) < 0.25)  # a second payment on the same outing
    anchor = rng.integers(0, n, len(follow))
    card[follow] = card[anchor]
    ts[follow] = np.minimum(ts[anchor] + rng.exponential(900.0, len(follow)), _END_S - 1.0)

    merchant = cards.favourites[card, rng.integers(0, cards.favourites.shape[1], n)]
    legit = merchants.ring < 0
    online = np.flatnonzero(legit & (merchants.channel == 1))
    other = rng.random(n) < 0.25
    merchant[other] = rng.choice(online, int(other.sum()))
    other_local = np.flatnonzero(other & (rng.random(n) < 0.55))
    for c in range(_N_HOME):
        rows = other_local[cards.city[card[other_local]] == c]
        merchant[rows] = rng.choice(np.flatnonzero(legit & (merchants.city == c)), len(rows))

    country = np.full(n, -1)
    online_row = merchants.channel[merchant] == 1
    home_country = _CITY_COUNTRY[cards.city[card]]
    country[online_row] = home_country[online_row]
    vpn = online_row & (rng.random(n) < 0.01)
    country[vpn] = rng.choice(len(_COUNTRIES), int(vpn.sum()))
    on_trip = (cards.trip_city[card] >= 0) & (ts >= cards.trip_from_s[card])
    on_trip &= ts < cards.trip_to_s[card]
    trip_city = cards.trip_city[card]
    ts[on_trip] += _CITY_BEHIND_S[trip_city[on_trip]]  # the day runs on local time there
    for c in _TRAVEL_CITIES:
        rows = np.flatnonzero(on_trip & (trip_city == c) & ~online_row)
        merchant[rows] = rng.choice(np.flatnonzero(legit & (merchants.city == c)), len(rows))
    country[on_trip & online_row] = _CITY_COUNTRY[trip_city[on_trip & online_row]]

    device = cards.device[card, 0].copy()
    use_second = (cards.device[card, 1] >= 0) & (rng.random(n) < 0.3)
    device[use_second] = cards.device[card[use_second], 1]
    use_new = (cards.device[card, 2] >= 0) & (ts >= cards.new_device_from_s[card])
    use_new &= rng.random(n) < 0.7
    device[use_new] = cards.device[card[use_new], 2]
    amount = _amounts(rng, merchants.category[merchant], cards.spend[card])
    _micro_bursts(rng, _Rows(ts, card, merchant, device, country, amount, 0), cards, merchants)
    return _Rows(ts, card, merchant, device, country, amount, pattern=0)


def _micro_bursts(
    rng: np.random.Generator, rows: _Rows, cards: _Cards, merchants: _Merchants
) -> None:
    """Gamers buying in-game items: a few small digital payments within a couple of minutes.

    Rewrites about 1.5 % of the legitimate rows in place (their own card and phone).
    """
    n = len(rows.ts)
    k, ep, pos, _ = _episodes(rng, int(n * 0.015), 3, 7)
    if k == 0:
        return
    picked = rng.choice(n, len(ep), replace=False)
    first = picked[np.searchsorted(ep, np.arange(k))]
    card = rows.card[first]
    rows.card[picked] = card[ep]
    rows.device[picked] = cards.device[card, 0][ep]
    rows.country[picked] = _CITY_COUNTRY[cards.city[card]][ep]
    shops = np.flatnonzero(np.isin(merchants.category, _DIGITAL) & (merchants.ring < 0))
    rows.merchant[picked] = rng.choice(shops, k)[ep]
    gaps = np.where(pos == 0, 0.0, rng.uniform(5.0, 40.0, len(ep)))
    rows.ts[picked] = rows.ts[first][ep] + _cumsum_by_episode(gaps, ep)
    prices = np.array([1.0, 3.0, 6.0, 6.0, 12.0, 30.0, 68.0])
    rows.amount[picked] = rng.choice(prices, len(ep))


def _episodes(
    rng: np.random.Generator, n: int, low: int, high: int
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """Split ``n`` rows into episodes of ``low..high`` rows (the last one may be cut short).

    Returns (episodes, episode of each row, position in its episode, episode lengths).
    """
    if n <= 0:
        empty = np.zeros(0, dtype=np.int64)
        return 0, empty, empty, empty
    lengths = rng.integers(low, high + 1, n // low + 1)
    cum = np.cumsum(lengths)
    k = int(np.searchsorted(cum, n)) + 1
    lengths = lengths[:k]
    lengths[-1] -= int(cum[k - 1] - n)
    episode = np.repeat(np.arange(k), lengths)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return k, episode, np.arange(n) - starts[episode], lengths


def _start_times(rng: np.random.Generator, k: int, hours: tuple[float, float]) -> np.ndarray:
    day = rng.integers(0, DAYS, k)
    return EPOCH_S + day * 86400.0 + rng.uniform(hours[0], hours[1], k) * 3600.0


def _card_testing(
    rng: np.random.Generator, n: int, cards: _Cards, merchants: _Merchants, devices: _DeviceCodes
) -> _Rows:
    k, ep, pos, lengths = _episodes(rng, n, 4, 11)
    card = rng.integers(0, len(cards.city), k)[ep]
    fraud_devices = devices.take(max(1, k // 3))  # one tester's phone tries several cards
    device = rng.choice(fraud_devices, k)[ep]
    testing = np.flatnonzero(np.isin(merchants.category, _DIGITAL) & (merchants.ring < 0))[:5]
    cash_out = np.flatnonzero(np.isin(merchants.category, _BIG_ONLINE) & (merchants.ring < 0))
    is_last = (pos == lengths[ep] - 1) & (lengths[ep] > 1)
    merchant = np.where(is_last, rng.choice(cash_out, n), rng.choice(testing, k)[ep])
    gaps = np.where(is_last, rng.uniform(20.0, 240.0, n), rng.exponential(15.0, n) + 2.0)
    gaps[pos == 0] = 0.0
    ts = _start_times(rng, k, (0.0, 24.0))[ep] + _cumsum_by_episode(gaps, ep)
    tiny = np.where(rng.random(n) < 0.3, 1.0, np.round(rng.uniform(0.5, 5.0, n), 2))
    large = np.round(np.clip(rng.lognormal(np.log(4000.0), 0.6, n), 800.0, 30000.0), 2)
    foreign = rng.random(k) < 0.5
    country = np.where(
        foreign,
        rng.choice([_COUNTRIES.index(c) for c in _FRAUD_COUNTRIES], k),
        _CITY_COUNTRY[cards.city[card[np.searchsorted(ep, np.arange(k))]]],
    )[ep]
    return _Rows(ts, card, merchant, device, country, np.where(is_last, large, tiny), pattern=1)


def _account_takeover(
    rng: np.random.Generator, n: int, cards: _Cards, merchants: _Merchants, devices: _DeviceCodes
) -> _Rows:
    k, ep, pos, _ = _episodes(rng, n, 2, 5)
    card = rng.integers(0, len(cards.city), k)[ep]
    device = devices.take(k)[ep]
    targets = np.flatnonzero(np.isin(merchants.category, _BIG_ONLINE) & (merchants.ring < 0))
    merchant = rng.choice(targets, n)
    gaps = np.where(pos == 0, 0.0, rng.uniform(300.0, 3600.0, n))
    night = rng.random(k) < 0.7  # the rest wait for the victim's working day
    start = np.where(night, _start_times(rng, k, (1.0, 5.0)), _start_times(rng, k, (9.0, 18.0)))
    ts = start[ep] + _cumsum_by_episode(gaps, ep)
    victims = card[np.searchsorted(ep, np.arange(k))]
    proxy = rng.random(k) < 0.3  # behind a proxy in the victim's own country
    country = np.where(
        proxy,
        _CITY_COUNTRY[cards.city[victims]],
        rng.choice([_COUNTRIES.index(c) for c in _FRAUD_COUNTRIES], k),
    )[ep]
    amount = np.round(np.clip(rng.lognormal(np.log(8000.0), 0.6, n), 1500.0, 50000.0), 2)
    return _Rows(ts, card, merchant, device, country, amount, pattern=2)


def _velocity_burst(
    rng: np.random.Generator, n: int, cards: _Cards, merchants: _Merchants, devices: _DeviceCodes
) -> _Rows:
    k, ep, _, _ = _episodes(rng, n, 8, 20)
    victims = rng.integers(0, len(cards.city), k)
    card = victims[ep]
    city = np.where(rng.random(k) < 0.6, cards.city[victims], rng.choice(_CN_CITIES, k))
    merchant = np.empty(n, dtype=np.int64)
    tills = (merchants.ring < 0) & np.isin(merchants.category, _POS_CATS)
    for c in np.unique(city):
        rows = np.flatnonzero(city[ep] == c)
        merchant[rows] = rng.choice(np.flatnonzero(tills & (merchants.city == c)), len(rows))
    span = rng.uniform(600.0, 3000.0, k)[ep]
    ts = _start_times(rng, k, (9.0, 22.0))[ep] + rng.uniform(0.0, 1.0, n) * span
    stolen_phone = rng.random(k) < 0.5
    device = np.where(stolen_phone, cards.device[victims, 0], devices.take(k))[ep]
    atm = merchants.channel[merchant] == 2
    amount = np.round(np.clip(rng.lognormal(np.log(900.0), 0.6, n), 100.0, 6000.0), 2)
    cash = np.clip(np.round(rng.lognormal(np.log(1500.0), 0.4, n) / 100.0) * 100.0, 100.0, 3000.0)
    return _Rows(ts, card, merchant, device, np.full(n, -1), np.where(atm, cash, amount), 3)


def _merchant_collusion(
    rng: np.random.Generator, n: int, cards: _Cards, merchants: _Merchants, devices: _DeviceCodes
) -> _Rows:
    k, ep, pos, _ = _episodes(rng, n, 1, 3)
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
    ts = np.minimum(start[ep] + _cumsum_by_episode(gaps, ep), _END_S - 1.0)
    round_amount = rng.choice(_ROUND_AMOUNTS, n)
    amount = np.where(rng.random(n) < 0.6, round_amount, np.round(rng.uniform(800, 5000, n), 2))
    return _Rows(ts, card, merchant, device, np.full(n, -1), amount, pattern=4)


def _cumsum_by_episode(gaps: np.ndarray, episode: np.ndarray) -> np.ndarray:
    total = np.cumsum(gaps)
    starts = np.searchsorted(episode, episode)  # index of each episode's first row
    return total - total[starts] + gaps[starts]


def _assemble(
    parts: list[_Rows],
    cards: _Cards,
    merchants: _Merchants,
    devices: _DeviceCodes,
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
    country = np.where(country >= 0, country, _CITY_COUNTRY[np.maximum(m_city, 0)])
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
    city_names = np.array([c[0] for c in _CITIES] + [""])
    data = {
        "ts": ts,
        "card_id": card_names[card],
        "device_id": device_names[device],
        "account_id": _names("A", int(cards.account.max()) + 1, 7)[cards.account[card]],
        "merchant_id": _names("M", len(merchants.city), 6)[merchant],
        "mcc": _CAT_MCC[merchants.category[merchant]],
        "amount_cny": amount,
        "country": np.array(_COUNTRIES)[country],
        "city": city_names[m_city],
        "home_city": city_names[cards.city[card]],
        "home_country": np.array(_COUNTRIES)[_CITY_COUNTRY[cards.city[card]]],
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
