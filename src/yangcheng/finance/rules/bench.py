"""Timings for the rule engine's speed claims; `python -m yangcheng.finance.rules.bench`.

Tests never assert timings (see ARCHITECTURE.md); this measures them, for the finance benchmark
to report. Data are generated from a seed, so two runs time the same work.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from .compile import compile_rule
from .lists import ListStore
from .ruleset import Outcome, Rule, RuleSet
from .schema import TransactionSchema
from .velocity import VelocityStore

__all__ = ["SCHEMA", "run", "thirty_rules"]

SCHEMA = TransactionSchema(
    {
        "amount_cny": "float",
        "country": "str",
        "mcc": "str",
        "channel": "str",
        "is_new_device": "bool",
        "card_count_3600s": "int",
        "card_sum_86400s": "float",
        "hour": "int",
    }
)


def thirty_rules() -> list[Rule]:
    """Thirty rules of the shapes card-fraud teams write: thresholds, lists, velocity, combos."""
    templates = [
        "amount_cny > {a}",
        'amount_cny > {a} and country != "CN"',
        'country in ["KP", "IR", "SY"] or mcc == "{m}"',
        "is_new_device and amount_cny > {a}",
        "card_count_3600s >= {n} and amount_cny > {a}",
        'card_sum_86400s > {a} * 5 and channel == "ecom"',
        '(hour < 6 or hour >= 23) and amount_cny > {a} and mcc in ["4829", "6051", "{m}"]',
        'channel == "pos" and is_new_device and card_count_3600s > {n}',
        'amount_cny % 1000 == 0 and amount_cny >= {a} and country != "CN"',
        'mcc =~ "^7[89]" and amount_cny > {a}',
    ]
    rng = random.Random(0)
    outcomes: list[Outcome] = ["review", "decline", "tag"]
    rules = []
    for k in range(30):
        expression = templates[k % len(templates)].format(
            a=rng.choice([500, 2000, 10000, 50000]) + k, m=rng.choice(["5967", "7995"]), n=3 + k % 5
        )
        rules.append(Rule(f"R{k:02d}", expression, outcomes[k % 3], 10 + 3 * k))
    return rules


def _rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {
            "amount_cny": round(rng.lognormvariate(6, 1.5), 2),
            "country": rng.choice(["CN", "CN", "CN", "HK", "US", "KP"]),
            "mcc": rng.choice(["5411", "5967", "7995", "4829", "5812"]),
            "channel": rng.choice(["pos", "ecom", "atm"]),
            "is_new_device": rng.random() < 0.1,
            "card_count_3600s": rng.randint(0, 9),
            "card_sum_86400s": round(rng.uniform(0, 200000), 2),
            "hour": rng.randint(0, 23),
        }
        for _ in range(n)
    ]


def _per_call_us(seconds: float, calls: int) -> float:
    return round(seconds / calls * 1e6, 2)


def run(seed: int = 0) -> dict[str, float]:
    """Microseconds per operation for compile, rule-set evaluation, velocity and list lookups."""
    results: dict[str, float] = {}
    fresh = [f"amount_cny > {seed * 100000 + k} and country == 'CN'" for k in range(200)]
    start = time.perf_counter()
    for expression in fresh:
        compile_rule(expression, SCHEMA)
    results["compile_cold_us"] = _per_call_us(time.perf_counter() - start, len(fresh))
    start = time.perf_counter()
    for expression in fresh:
        compile_rule(expression, SCHEMA)
    results["compile_cached_us"] = _per_call_us(time.perf_counter() - start, len(fresh))

    start = time.perf_counter()
    ruleset = RuleSet("bench", "1", thirty_rules(), SCHEMA)
    results["ruleset_30_build_ms"] = round((time.perf_counter() - start) * 1e3, 2)
    rows = _rows(5000, seed)
    start = time.perf_counter()
    hits = sum(len(ruleset.evaluate(row)) for row in rows)
    results["ruleset_30_evaluate_us"] = _per_call_us(time.perf_counter() - start, len(rows))
    results["ruleset_30_mean_hits"] = round(hits / len(rows), 2)

    rng = random.Random(seed)
    events = [(f"card{rng.randrange(2000)}", k * 0.5, rng.uniform(1, 5000)) for k in range(20000)]
    with tempfile.TemporaryDirectory() as folder:
        for label, path, commit_every in [
            ("velocity_observe_memory_us", None, 1),
            ("velocity_observe_sqlite_us", Path(folder) / "v1.db", 1),
            ("velocity_observe_sqlite_batch64_us", Path(folder) / "v64.db", 64),
        ]:
            store = VelocityStore(path, commit_every=commit_every)
            start = time.perf_counter()
            for entity, ts, amount in events:
                store.observe("card", entity, ts, amount)
            results[label] = _per_call_us(time.perf_counter() - start, len(events))
            store.close()
        lists = ListStore(Path(folder) / "lists.db", b"benchmark-salt-0123456789")
        for k in range(2000):
            lists.add("block", "card", f"62220212{k:08d}", reason="bench")
        start = time.perf_counter()
        for k in range(20000):
            lists.lookup("card", f"62220212{k % 4000:08d}")
        results["list_lookup_card_us"] = _per_call_us(time.perf_counter() - start, 20000)
        lists.close()
    return results


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:40s} {value:>10}")
