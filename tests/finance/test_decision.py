"""Decision flows: compile-time checks, step order, list and rule precedence, hints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from yangcheng.finance.decision import Flow, FlowError, Resources
from yangcheng.finance.rules import ListStore, MissingField, VelocityStore, WrongType

SALT = b"0123456789abcdef-test"


class FixedModel:
    """A stand-in risk model with a known score: the flow logic is under test, not the GBM."""

    feature_names_ = ["amount_cny", "card_id_count_60s"]

    def __init__(self, score: float) -> None:
        self.score = score
        self.explained = 0

    def score_row(self, x: np.ndarray) -> float:
        return self.score

    def reason_codes(self, x: np.ndarray, top_k: int = 3) -> list[tuple[str, float]]:
        self.explained += 1
        return [("card_id_count_60s", 1.5), ("amount_cny", 0.4)][:top_k]


def spec(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "mini",
        "schema": {"ts": "float", "card_id": "str", "merchant_id": "str", "amount_cny": "float"},
        "parties": {
            "payer": {
                "label": "cardholder",
                "key": "card_id",
                "reasons": {"card_id_count_60s": "Several payments within a minute"},
                "advice": {"decline": "Call the cardholder"},
            },
            "payee": {"label": "merchant", "key": "merchant_id"},
        },
        "steps": [
            {
                "id": "lists",
                "type": "lists",
                "entities": {"card": "card_id", "merchant": "merchant_id"},
            },
            {"id": "velocity", "type": "velocity", "entities": ["card_id"]},
            {"id": "model", "type": "model", "model": "fixed", "features": "plain"},
            {
                "id": "rules",
                "type": "rules",
                "rules": [
                    {
                        "id": "burst",
                        "expression": "card_id_count_60s >= 2",
                        "outcome": "review",
                        "severity": 60,
                        "description": "Burst on this card",
                        "tags": ["payer"],
                    },
                    {
                        "id": "huge",
                        "expression": "amount_cny > 100000",
                        "outcome": "decline",
                        "severity": 90,
                        "description": "Huge amount",
                        "tags": ["payer", "payee"],
                    },
                ],
            },
        ],
        "decision": {"score": "model_score", "review": 0.3, "decline": 0.8},
    }
    base.update(over)
    return base


def build(score: float = 0.1, **over: Any) -> tuple[Flow, FixedModel]:
    model = FixedModel(score)
    flow = Flow(
        spec(**over),
        load_model=lambda name: model,
        feature_builders={
            "plain": lambda t, v: np.array([t["amount_cny"], v["card_id_count_60s"]])
        },
    )
    return flow, model


def txn(ts: float = 1000.0, amount: float = 50.0, card: str = "C1") -> dict[str, Any]:
    return {"ts": ts, "card_id": card, "merchant_id": "M1", "amount_cny": amount}


@pytest.fixture
def res(tmp_path: Path) -> Resources:
    return Resources(VelocityStore(None), ListStore(tmp_path / "lists.db", SALT))


def test_a_quiet_payment_is_approved_without_reason_codes(res: Resources) -> None:
    flow, model = build(0.1)
    d = flow.decide(txn(), res)
    assert d.decision == "approve" and d.score == 0.1
    assert d.rules_fired == [] and d.reason_codes == []
    assert model.explained == 0  # reason codes are computed only for adverse decisions
    assert {h.role for h in d.hints} == {"payer", "payee"}
    assert all(h.level == "low" for h in d.hints)


def test_velocity_feeds_rules_and_the_hint_names_the_reason(res: Resources) -> None:
    flow, _ = build(0.1)
    flow.decide(txn(1000.0), res)
    flow.decide(txn(1010.0), res)
    d = flow.decide(txn(1020.0), res)
    assert d.decision == "review"
    assert d.features["card_id_count_60s"] == 2.0
    [fired] = d.rules_fired
    assert fired.rule_id == "burst" and fired.values == {"card_id_count_60s": 2.0}
    payer = next(h for h in d.hints if h.role == "payer")
    assert payer.level == "medium"
    assert "Burst on this card" in payer.messages
    assert "Several payments within a minute" in payer.messages
    assert d.reason_codes[0]["feature"] == "card_id_count_60s"


def test_thresholds_on_the_score(res: Resources) -> None:
    assert build(0.5)[0].decide(txn(), res).decision == "review"
    d = build(0.85)[0].decide(txn(card="C2"), res)
    assert d.decision == "decline"
    assert next(h for h in d.hints if h.role == "payer").advice == "Call the cardholder"


def test_block_declines_allow_approves_watch_reviews(res: Resources) -> None:
    assert res.lists is not None
    flow, _ = build(0.9)
    res.lists.add("allow", "card", "C-vip", reason="private banking client")
    assert flow.decide(txn(card="C-vip"), res).decision == "approve"
    res.lists.add("block", "card", "C-stolen", reason="reported stolen")
    d = build(0.0)[0].decide(txn(card="C-stolen"), res)
    assert d.decision == "decline" and d.list_hits[0]["list"] == "block"
    res.lists.add("watch", "merchant", "M-watch")
    w = build(0.0)[0].decide({**txn(card="C3"), "merchant_id": "M-watch"}, res)
    assert w.decision == "review"


def test_a_declining_rule_beats_a_low_score(res: Resources) -> None:
    d = build(0.01)[0].decide(txn(amount=200000.0), res)
    assert d.decision == "decline"
    payee = next(h for h in d.hints if h.role == "payee")
    assert payee.level == "high" and "Huge amount" in payee.messages


def test_shadow_runs_do_not_record_velocity(res: Resources) -> None:
    flow, _ = build(0.1)
    shadow = Resources(res.velocity, res.lists, record=False)
    for i in range(3):
        flow.decide(txn(1000.0 + i), shadow)
    assert flow.decide(txn(1004.0), res).features["card_id_count_60s"] == 0.0


def test_missing_or_mistyped_fields_are_errors_not_defaults(res: Resources) -> None:
    flow, _ = build()
    with pytest.raises(MissingField) as missing:
        flow.decide({"ts": 1.0, "card_id": "C", "merchant_id": "M"}, res)
    assert missing.value.field == "amount_cny"
    with pytest.raises(WrongType) as wrong:
        flow.decide({**txn(), "amount_cny": "50"}, res)
    assert wrong.value.field == "amount_cny"


@pytest.mark.parametrize(
    ("change", "where", "words"),
    [
        ({"name": ""}, "flow", "name"),
        ({"schema": {}}, "schema", "at least one field"),
        ({"parties": {}}, "parties", "at least one"),
        ({"decision": {"score": "nothing"}}, "decision.score", "nothing"),
        (
            {"decision": {"score": "model_score", "review": 0.9, "decline": 0.5}},
            "decision",
            "before",
        ),
    ],
)
def test_bad_flow_documents_name_the_place(change: dict, where: str, words: str) -> None:
    with pytest.raises(FlowError) as err:
        build(**change)
    assert err.value.where == where and words in str(err.value)


def test_a_rule_reading_a_later_steps_field_fails_at_compile() -> None:
    steps = spec()["steps"]
    rules, model = steps[3], steps[2]
    with pytest.raises(FlowError) as err:
        build(
            steps=[
                steps[0],
                steps[1],
                {
                    **rules,
                    "rules": [
                        {
                            "id": "early",
                            "expression": "model_score > 0.5",
                            "outcome": "review",
                            "severity": 10,
                        }
                    ],
                },
                model,
            ]
        )
    assert err.value.where == "rules" and "model_score" in str(err.value)


def test_rule_errors_carry_the_position() -> None:
    steps = spec()["steps"]
    bad = {
        **steps[3],
        "rules": [
            {"id": "typo", "expression": "amount_cny > 'big'", "outcome": "review", "severity": 10}
        ],
    }
    with pytest.raises(FlowError) as err:
        build(steps=[*steps[:3], bad])
    assert "typo" in str(err.value) and "position" in str(err.value)


def test_unknown_step_type_and_model_load_failure() -> None:
    with pytest.raises(FlowError, match="unknown step type"):
        build(steps=[{"id": "x", "type": "oracle"}])
    with pytest.raises(FlowError, match="cannot be loaded"):
        Flow(
            spec(),
            load_model=lambda n: (_ for _ in ()).throw(FileNotFoundError(n)),
            feature_builders={"plain": lambda t, v: np.zeros(2)},
        )
