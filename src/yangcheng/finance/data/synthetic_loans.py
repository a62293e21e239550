"""Synthetic consumer-credit applications with defaults and first-party fraud, from a seed.

Ordinary applicants default with a probability that rises with debt-to-income,
recent credit inquiries, a thin or short credit file, a large loan for the
income, youth and renting. A share of applicants (``fpd_rate``) never mean to
pay (*first-party default*): a recently issued ID document, a burst of credit
inquiries, the product's maximum amount, a device new to them and shared across
the ring, a short job but a high declared income. They all default.

``income_cny`` is the declared annual income; ``debt_to_income`` is monthly debt
service before this loan over monthly income; ``id_issued_days`` is the age of
the ID document; ``id_hash`` is a SHA-256 prefix of the (synthetic) resident ID
number, as a lender stores it. Applications arrive over 90 days from 2024-03-01
China Standard Time, sorted by ``ts``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from yangcheng.finance.data.table import DatasetCard, TransactionTable, column_counts

EPOCH_S = 1709222400.0  # 2024-03-01 00:00:00 +08:00
DAYS = 90
PATTERNS = ("none", "first_party_default")
LOAN_MAX_AMOUNT_CNY = 200_000.0  # the cap on an unsecured online consumer loan
LOAN_PURPOSES = (
    "consumption",
    "education",
    "renovation",
    "travel",
    "medical",
    "car",
    "debt_consolidation",
)
LOAN_HOUSING = ("own", "mortgage", "rent", "family", "other")
LOAN_CHANNELS = ("app", "web", "branch", "agent")
_TERMS = np.array([6, 12, 24, 36])
_PURPOSE_P = np.array([0.38, 0.08, 0.14, 0.1, 0.06, 0.1, 0.14])
_PURPOSE_RISK = np.array([0.1, -0.2, -0.3, 0.0, 0.2, -0.2, 0.5])
_HOUSING_RISK = np.array([-0.4, -0.2, 0.3, 0.0, 0.5])
_CHANNEL_P = np.array([0.55, 0.2, 0.15, 0.1])


def generate_loan_applications(n: int, seed: int, fpd_rate: float = 0.02) -> TransactionTable:
    """``n`` consumer-loan applications, ``round(n * fpd_rate)`` of them first-party fraud."""
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    if not 0.0 <= fpd_rate < 0.5:
        raise ValueError(f"fpd_rate must be in [0, 0.5), got {fpd_rate}")
    rng = np.random.default_rng(seed)
    n_fpd = round(n * fpd_rate)
    fpd = np.zeros(n, dtype=bool)
    fpd[rng.choice(n, n_fpd, replace=False)] = True

    age = np.clip(rng.normal(35, 9, n), 20, 65).round().astype(np.int64)
    employment = np.clip(np.minimum(age - 19, rng.gamma(2.0, 3.0, n)), 0, 40).round(1)
    income = rng.lognormal(np.log(120_000), 0.55, n) * (1 + 0.02 * employment)
    income = np.clip(income, 24_000, 2_000_000).round(-2)
    history = ((age - 19) * 12 * rng.beta(2, 2, n)).astype(np.int64)
    thin = rng.random(n) < 0.1
    history[thin] = rng.integers(0, 7, int(thin.sum()))
    open_loans = rng.poisson(1.5, n)
    dti = np.clip(rng.beta(2, 6, n) + 0.04 * open_loans, 0, 1.5).round(3)
    inquiries = rng.poisson(1.2, n) + (open_loans > 3) * rng.poisson(1.0, n)
    amount = np.round(income * rng.lognormal(np.log(0.3), 0.6, n), -3)
    amount = np.clip(amount, 1000, LOAN_MAX_AMOUNT_CNY)
    term = rng.choice(_TERMS, n, p=[0.1, 0.4, 0.3, 0.2])
    purpose = rng.choice(len(LOAN_PURPOSES), n, p=_PURPOSE_P)
    owner_p = np.clip((age - 22) / 40, 0.05, 0.7)
    housing = np.where(
        rng.random(n) < owner_p,
        rng.choice([0, 1], n, p=[0.4, 0.6]),
        rng.choice([2, 3, 4], n, p=[0.6, 0.3, 0.1]),
    )
    channel = rng.choice(len(LOAN_CHANNELS), n, p=_CHANNEL_P)
    id_days = rng.integers(90, 20 * 365, n)
    renewed = rng.random(n) < 0.03
    id_days[renewed] = rng.integers(1, 90, int(renewed.sum()))
    new_device = rng.random(n) < 0.1
    device = np.arange(n)

    k = int(fpd.sum())
    age[fpd] = rng.integers(20, 31, k)
    employment[fpd] = rng.uniform(0, 2, k).round(1)
    income[fpd] = np.clip(rng.lognormal(np.log(250_000), 0.3, k), 24_000, 2_000_000).round(-2)
    history[fpd] = rng.integers(0, 13, k)
    open_loans[fpd] = np.where(rng.random(k) < 0.5, rng.integers(0, 2, k), rng.integers(4, 9, k))
    inquiries[fpd] = rng.poisson(8, k) + 3
    dti[fpd] = rng.uniform(0.05, 0.4, k).round(3)
    at_max = rng.random(k) < 0.7
    amount[fpd] = np.where(at_max, LOAN_MAX_AMOUNT_CNY, rng.uniform(150, 200, k).round() * 1000)
    term[fpd] = rng.choice([24, 36], k)
    housing[fpd] = rng.choice([2, 4], k, p=[0.6, 0.4])
    channel[fpd] = rng.choice([0, 3], k, p=[0.7, 0.3])
    id_days[fpd] = np.where(rng.random(k) < 0.8, rng.integers(1, 60, k), id_days[fpd])
    new_device[fpd] = rng.random(k) < 0.85
    device[fpd] = n + rng.integers(0, max(1, k // 4), k)  # a ring shares a few phones

    loan_to_income = amount / income
    logit = (
        -3.3
        + 2.5 * (dti - 0.3)
        + 0.22 * (inquiries - 1.2)
        - 0.6 * np.log(income / 120_000)
        + 0.6 * (history < 12)
        + 0.15 * (open_loans - 1.5)
        - 0.02 * (age - 35)
        + 0.9 * (loan_to_income - 0.3)
        + _PURPOSE_RISK[purpose]
        + _HOUSING_RISK[housing]
        + 0.3 * (term == 36)
        - 0.04 * employment
        + 0.5 * (id_days < 90)
        + rng.normal(0, 0.5, n)
    )
    default = (rng.random(n) < 1 / (1 + np.exp(-logit))) | fpd

    ts = np.sort(EPOCH_S + rng.uniform(0, DAYS * 86400, n))
    order = rng.permutation(n)  # arrival order unrelated to how rows were drawn
    reused = fpd & (rng.random(n) < 0.3)  # some fraud identities apply twice
    identity = np.where(reused, rng.choice(np.flatnonzero(fpd), n) if k else 0, np.arange(n))
    ids = [hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:16] for i in identity.tolist()]
    data = {
        "application_id": np.char.add("L", np.char.zfill(np.arange(n).astype(str), 8)),
        "ts": ts,
        "age": age[order],
        "income_cny": income[order],
        "employment_years": employment[order],
        "debt_to_income": dti[order],
        "credit_history_months": history[order],
        "n_open_loans": open_loans[order],
        "n_inquiries_6m": inquiries[order],
        "loan_amount_cny": amount[order],
        "term_months": term[order],
        "purpose": np.array(LOAN_PURPOSES)[purpose[order]],
        "housing": np.array(LOAN_HOUSING)[housing[order]],
        "channel": np.array(LOAN_CHANNELS)[channel[order]],
        "device_id": np.char.add("LD", np.char.zfill(device[order].astype(str), 8)),
        "id_hash": np.array(ids)[order],
        "id_issued_days": id_days[order],
        "is_new_device": new_device[order],
        "default": default[order],
        "pattern": np.array(PATTERNS)[fpd[order].astype(np.int64)],
    }
    card = DatasetCard(
        name="synthetic_loan_applications",
        version="1.0",
        description=(
            "Synthetic consumer-loan applications (China, CNY, 90 days from 2024-03-01) with "
            "a default label and a first-party-default pattern."
        ),
        source="generated by yangcheng.finance.data.synthetic_loans",
        licence="Apache-2.0 (generated data, no personal data)",
        records=n,
        seed=seed,
        generator=f"generate_loan_applications(n={n}, seed={seed}, fpd_rate={fpd_rate})",
        counts={
            **column_counts(data["default"], "default="),
            **column_counts(data["pattern"], "pattern="),
        },
    )
    return TransactionTable(data, card)
