"""The world the synthetic card stream happens in: cities, merchant categories, cards.

Shared by :mod:`yangcheng.finance.data.synthetic_cards` (legitimate payments and
assembly) and :mod:`yangcheng.finance.data._card_fraud` (fraud patterns). Rows are
kept as integer codes until the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPOCH_S = 1709222400.0  # 2024-03-01 00:00:00 +08:00
DAYS = 30
END_S = EPOCH_S + DAYS * 86400

PATTERNS = ("none", "card_testing", "account_takeover", "velocity_burst", "merchant_collusion")
CHANNELS = ("pos", "ecom", "atm")
FRAUD_SHARES = (0.30, 0.20, 0.25, 0.25)  # of fraud rows, in PATTERNS[1:] order

# (city, country, share of cardholders living there, hours behind China Standard Time);
# travel-only cities have share 0
CITIES = (
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
N_HOME = sum(1 for c in CITIES if c[2] > 0)
CN_CITIES = np.array([i for i, c in enumerate(CITIES) if c[1] == "CN"])
TRAVEL_CITIES = np.array([i for i, c in enumerate(CITIES) if c[2] == 0])
FRAUD_COUNTRIES = ("US", "GB", "RU", "NG", "BR", "VN", "PH", "UA", "ID", "TR")
COUNTRIES = tuple(dict.fromkeys([c[1] for c in CITIES] + list(FRAUD_COUNTRIES)))
CITY_COUNTRY = np.array([COUNTRIES.index(c[1]) for c in CITIES])
CITY_BEHIND_S = np.array([c[3] * 3600.0 for c in CITIES])

# (mcc, channel, median amount CNY, log-sd, share of legitimate payments)
CATEGORIES = (
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
CAT_MCC = np.array([c[0] for c in CATEGORIES])
CAT_CHANNEL = np.array([CHANNELS.index(c[1]) for c in CATEGORIES])
CAT_MEDIAN = np.array([c[2] for c in CATEGORIES])
CAT_SD = np.array([c[3] for c in CATEGORIES])
CAT_SHARE = np.array([c[4] for c in CATEGORIES]) / sum(c[4] for c in CATEGORIES)
TRANSIT = 3
DIGITAL = np.array([14, 15, 16])  # where card testers try cards
BIG_ONLINE = np.array([13, 17, 18])  # where they then cash out
RING_CATS = np.array([5, 8, 9, 10])  # what colluding merchants register as
POS_CATS = np.flatnonzero(CAT_CHANNEL != 1)
# hour-of-day profile of legitimate spending (China Standard Time)
DIURNAL = np.array(
    [
        *(1.0, 0.6, 0.35, 0.25, 0.25, 0.4, 1.2, 3.0, 4.5, 4.5, 4.8, 5.5),
        *(7.5, 6.5, 5.0, 4.8, 5.0, 5.8, 7.0, 7.5, 6.8, 5.5, 3.8, 2.0),
    ]
)
DIURNAL = DIURNAL / DIURNAL.sum()
ROUND_AMOUNTS = np.array([800.0, 1000.0, 1200.0, 1500.0, 2000.0, 2500.0, 3000.0, 5000.0])


@dataclass
class Merchants:
    category: np.ndarray  # index into CATEGORIES
    city: np.ndarray  # index into CITIES, -1 online
    ring: np.ndarray  # colluding ring number, -1 none

    @property
    def channel(self) -> np.ndarray:
        return CAT_CHANNEL[self.category]


@dataclass
class Cards:
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
class Rows:
    """Rows as integer codes; turned into named columns at the end."""

    ts: np.ndarray
    card: np.ndarray
    merchant: np.ndarray
    device: np.ndarray  # payer device code, -1 for ATM (terminal filled in later)
    country: np.ndarray  # index into COUNTRIES for online rows, -1: the merchant's
    amount: np.ndarray
    pattern: int


class DeviceCodes:
    def __init__(self) -> None:
        self.next = 0

    def take(self, k: int) -> np.ndarray:
        codes = np.arange(self.next, self.next + k)
        self.next += k
        return codes


def make_merchants(rng: np.random.Generator, n: int, n_rings: int) -> Merchants:
    # every category has a merchant, and every city a grocery, whatever n is
    n_fixed = len(CATEGORIES) + len(CITIES)
    category = np.concatenate(
        [
            np.arange(len(CATEGORIES)),
            np.zeros(len(CITIES), dtype=np.int64),
            rng.choice(len(CATEGORIES), n - n_fixed, p=CAT_SHARE),
        ]
    )
    weight = np.array([c[2] if c[2] > 0 else 0.012 for c in CITIES])
    city = rng.choice(len(CITIES), n, p=weight / weight.sum())
    city[len(CATEGORIES) : n_fixed] = np.arange(len(CITIES))
    city = np.where(CAT_CHANNEL[category] == 1, -1, city)
    ring_sizes = rng.integers(3, 7, n_rings)
    ring = np.concatenate([np.full(n, -1), np.repeat(np.arange(n_rings), ring_sizes)])
    ring_city = rng.choice(CN_CITIES[:4], n_rings)
    category = np.concatenate([category, rng.choice(RING_CATS, ring_sizes.sum())])
    city = np.concatenate([city, np.repeat(ring_city, ring_sizes)])
    return Merchants(category=category, city=city, ring=ring)


def make_cards(
    rng: np.random.Generator, n: int, merchants: Merchants, devices: DeviceCodes
) -> Cards:
    n_accounts = max(1, int(n * 0.8))
    account = np.concatenate([np.arange(n_accounts), rng.integers(0, n_accounts, n - n_accounts)])
    home_p = np.array([c[2] for c in CITIES[:N_HOME]])
    city = rng.choice(N_HOME, n, p=home_p / home_p.sum())
    spend = rng.lognormal(0.0, 0.5, n)
    activity = rng.gamma(2.0, 1.0, n)
    k = 10
    legit = merchants.ring < 0
    online = np.flatnonzero(legit & (merchants.channel == 1))
    favourites = np.empty((n, k), dtype=np.int64)
    n_online = rng.binomial(k, 0.35, n).clip(1, k - 2)
    for c in range(N_HOME):
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
    return Cards(
        account=account,
        city=city,
        spend=spend,
        activity=activity / activity.sum(),
        favourites=favourites,
        device=device,
        new_device_from_s=EPOCH_S + rng.uniform(0, DAYS * 86400, n),
        trip_city=np.where(trip, rng.choice(TRAVEL_CITIES, n), -1),
        trip_from_s=trip_from,
        trip_to_s=trip_from + rng.uniform(3, 7, n) * 86400,
    )


def amounts(rng: np.random.Generator, category: np.ndarray, scale: np.ndarray) -> np.ndarray:
    amount = (
        CAT_MEDIAN[category] * scale * np.exp(CAT_SD[category] * rng.standard_normal(len(scale)))
    )
    amount = np.where(category == TRANSIT, rng.uniform(2.0, 9.0, len(scale)), amount)
    atm = CAT_CHANNEL[category] == 2
    amount = np.where(atm, np.clip(np.round(amount / 100.0) * 100.0, 100.0, 5000.0), amount)
    return np.maximum(np.round(amount, 2), 0.5)


def episodes(
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


def start_times(rng: np.random.Generator, k: int, hours: tuple[float, float]) -> np.ndarray:
    day = rng.integers(0, DAYS, k)
    return EPOCH_S + day * 86400.0 + rng.uniform(hours[0], hours[1], k) * 3600.0


def cumsum_by_episode(gaps: np.ndarray, episode: np.ndarray) -> np.ndarray:
    total = np.cumsum(gaps)
    starts = np.searchsorted(episode, episode)  # index of each episode's first row
    return total - total[starts] + gaps[starts]
