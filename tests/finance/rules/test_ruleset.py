from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from yangcheng.finance.rules import (
    InvalidRule,
    MissingField,
    Rule,
    RuleHit,
    RuleSet,
    RuleSetError,
    TransactionSchema,
)


def _rules() -> list[Rule]:
    return [
        Rule("R1", "amount_cny >= 50000", "review", 60, "large amount", ("amount",)),
        Rule("R2", 'country in ["KP", "IR"]', "decline", 100, "sanctioned country"),
        Rule("R3", "is_new_device and n_txn_24h > 5", "decline", 80, "new device burst"),
        Rule("R4", 'country == "HK"', "tag", 0, "cross-border"),
    ]


def test_evaluate_returns_hits_in_rule_order_with_values_read(
    schema: TransactionSchema, row: dict[str, Any]
) -> None:
    ruleset = RuleSet("card-fraud", "2024.03", _rules(), schema)
    hits = ruleset.evaluate(row)
    assert [h.rule_id for h in hits] == ["R1", "R3", "R4"]
    assert hits[1] == RuleHit(
        "R3", "decline", 80, "new device burst", {"is_new_device": True, "n_txn_24h": 7}
    )
    assert ruleset.evaluate({**row, "amount_cny": 1.0, "country": "CN", "n_txn_24h": 1}) == []


def test_only_fields_the_set_reads_must_be_present(schema: TransactionSchema) -> None:
    ruleset = RuleSet("amounts", "1", [_rules()[0]], schema)
    assert [h.rule_id for h in ruleset.evaluate({"amount_cny": 60000})] == ["R1"]
    with pytest.raises(MissingField):
        RuleSet("all", "1", _rules(), schema).evaluate({"amount_cny": 60000})


def test_compile_error_names_the_rule_and_position(schema: TransactionSchema) -> None:
    rules = [*_rules(), Rule("R5", 'amount_cny > "big"', "review", 10)]
    with pytest.raises(InvalidRule) as caught:
        RuleSet("broken", "1", rules, schema)
    assert caught.value.rule_id == "R5" and caught.value.position == 13
    assert str(caught.value).startswith("rule 'R5' ('amount_cny > \"big\"') at position 13: ")


def test_duplicate_rule_ids_are_rejected(schema: TransactionSchema) -> None:
    rules = [*_rules(), Rule("R2", "amount_cny > 1", "tag", 1)]
    with pytest.raises(RuleSetError, match="duplicate rule id 'R2'"):
        RuleSet("dup", "1", rules, schema)


@pytest.mark.parametrize(
    ("outcome", "severity"), [("block", 50), ("review", 101), ("review", -1), ("review", True)]
)
def test_rule_outcome_and_severity_are_checked(outcome: str, severity: Any) -> None:
    with pytest.raises(RuleSetError, match="R9"):
        Rule("R9", "amount_cny > 1", outcome, severity)  # type: ignore[arg-type]


@pytest.mark.parametrize("codec", ["json", "yaml"])
def test_round_trip_through_json_and_yaml(
    schema: TransactionSchema, row: dict[str, Any], codec: str
) -> None:
    original = RuleSet("card-fraud", "2024.03", _rules(), schema)
    document = original.to_dict()
    if codec == "json":
        loaded = json.loads(json.dumps(document))
    else:
        loaded = yaml.safe_load(yaml.safe_dump(document))
    again = RuleSet.from_dict(loaded)
    assert again.to_dict() == document
    assert again.rules == original.rules
    assert again.evaluate(row) == original.evaluate(row)


def test_from_dict_rejects_unknown_and_missing_keys(schema: TransactionSchema) -> None:
    document = RuleSet("s", "1", _rules(), schema).to_dict()
    document["rules"][0]["severty"] = 3
    with pytest.raises(RuleSetError, match="severty"):
        RuleSet.from_dict(document)
    with pytest.raises(RuleSetError, match="rules"):
        RuleSet.from_dict({"name": "s", "version": "1"}, schema)
