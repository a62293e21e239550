from __future__ import annotations

import json
from typing import Any

import pytest

from yangcheng.finance.rules import (
    Attribute,
    Bin,
    MissingField,
    Scorecard,
    ScorecardError,
    TransactionSchema,
    WrongType,
)

AGE = Attribute("age", (Bin(None, 25, 10), Bin(25, 40, 25), Bin(40, None, 35)))
CITY = Attribute("city", categories={"Guangzhou": 20, "Shenzhen": 15}, other_points=5)


def _card() -> Scorecard:
    return Scorecard("application", "v3", 600, [AGE, CITY])


@pytest.mark.parametrize(
    ("age", "label", "points"),
    [
        (-1e9, "[-inf, 25)", 10),
        (24.999, "[-inf, 25)", 10),
        (25, "[25, 40)", 25),  # a lower bound is inside its bin
        (39.5, "[25, 40)", 25),
        (40, "[40, +inf)", 35),  # an upper bound is not
        (1e9, "[40, +inf)", 35),
    ],
)
def test_numeric_bins_are_half_open(age: float, label: str, points: float) -> None:
    result = _card().score({"age": age, "city": "Guangzhou"})
    assert result.contributions[0] == ("age", label, points)
    assert result.points == 600 + points + 20


def test_categories_and_other() -> None:
    card = _card()
    assert card.score({"age": 30, "city": "Shenzhen"}).contributions[1] == ("city", "Shenzhen", 15)
    assert card.score({"age": 30, "city": "Lhasa"}).contributions[1] == ("city", "other", 5)


@pytest.mark.parametrize(
    ("bins", "words"),
    [
        ((Bin(0, 25, 1), Bin(25, None, 2)), "below 0"),
        ((Bin(None, 25, 1), Bin(25, 60, 2)), "from 60 up"),
        ((Bin(None, 25, 1), Bin(30, None, 2)), "[25, 30) fall in no bin"),
        ((Bin(None, 30, 1), Bin(25, None, 2)), "overlap"),
        ((Bin(None, 25, 1), Bin(25, 25, 3), Bin(25, None, 2)), "empty"),
        ((Bin(None, None, 1), Bin(None, None, 2)), "overlap"),
    ],
)
def test_bins_must_cover_the_real_line_exactly_once(bins: tuple[Bin, ...], words: str) -> None:
    with pytest.raises(ScorecardError, match="attribute 'income'") as caught:
        Attribute("income", bins)
    assert words in str(caught.value)


def test_attribute_definition_errors_name_the_attribute() -> None:
    with pytest.raises(ScorecardError, match=r"'city'.*other_points"):
        Attribute("city", categories={"Guangzhou": 20})
    with pytest.raises(ScorecardError, match=r"'city'.*not both"):
        Attribute("city", (Bin(None, None, 1),), {"Guangzhou": 20}, 0)
    with pytest.raises(ScorecardError, match=r"'age'.*more than once"):
        Scorecard("s", "1", 0, [AGE, AGE])


def test_schema_types_are_checked_when_given() -> None:
    schema = TransactionSchema({"age": "str", "city": "str"})
    with pytest.raises(ScorecardError, match=r"'age'.*bins need a number"):
        Scorecard("s", "1", 0, [AGE, CITY], schema)


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"city": "Guangzhou"}, MissingField),
        ({"age": None, "city": "Guangzhou"}, MissingField),
        ({"age": "30", "city": "Guangzhou"}, WrongType),
        ({"age": True, "city": "Guangzhou"}, WrongType),
        ({"age": 30, "city": 1}, WrongType),
    ],
)
def test_missing_or_mistyped_value_never_scores_zero(row: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        _card().score(row)


def test_round_trip() -> None:
    card = Scorecard(
        "application", "v3", 600, [AGE, CITY], TransactionSchema({"age": "int", "city": "str"})
    )
    again = Scorecard.from_dict(json.loads(json.dumps(card.to_dict())))
    assert again.to_dict() == card.to_dict()
    assert again.score({"age": 33, "city": "Lhasa"}) == card.score({"age": 33, "city": "Lhasa"})


def test_from_dict_names_missing_keys() -> None:
    document = _card().to_dict()
    del document["attributes"][0]["bins"][1]["points"]
    with pytest.raises(ScorecardError, match=r"'age'.*'points'"):
        Scorecard.from_dict(document)
