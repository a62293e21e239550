"""Identity numbers against their national standards, and against what was declared."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric

from yangcheng.finance.identity import (
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
)

VALID_ID = "11010519491231002X"  # Beijing Chaoyang, 1949-12-31, female


def with_check_digit(first17: str) -> str:
    return first17 + ric.calc_check_digit(first17 + "0")


def test_a_valid_resident_id_gives_its_facts() -> None:
    r = check_resident_id(VALID_ID, today=date(2026, 11, 26))
    assert r.valid and r.failures == []
    assert r.facts["birth_date"] == "1949-12-31"
    assert r.facts["sex"] == "female"
    assert r.facts["age"] == "76"
    assert r.facts["region"].startswith("北京")


def test_lowercase_x_and_spaces_are_normalised() -> None:
    assert check_resident_id("110105 19491231 002x").valid


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "GB 11643"),
        ("110105194913310025", "GB 11643"),  # month 13
    ],
)
def test_invalid_resident_ids_say_why(number: str, words: str) -> None:
    r = check_resident_id(number)
    assert not r.valid
    assert words in r.failures[0]


def test_every_single_digit_typo_is_caught() -> None:
    """ISO 7064 MOD 11-2 detects all single substitutions."""
    for pos in range(17):
        for d in "0123456789":
            if d == VALID_ID[pos]:
                continue
            typo = VALID_ID[:pos] + d + VALID_ID[pos + 1 :]
            assert not check_resident_id(typo).valid, typo


def test_declared_facts_must_match_the_id() -> None:
    r = check_resident_id(
        VALID_ID,
        declared_birth_date=date(1950, 1, 1),
        declared_sex="male",
        min_age=80,
        today=date(2026, 11, 26),
    )
    assert not r.valid
    assert len(r.failures) == 3
    assert any("1950-01-01" in f for f in r.failures)
    assert any("male" in f for f in r.failures)
    assert any("under the minimum age 80" in f for f in r.failures)


def test_age_turns_on_the_birthday() -> None:
    number = with_check_digit("44030420080307123")
    assert check_resident_id(number, min_age=18, today=date(2026, 3, 6)).failures
    assert check_resident_id(number, min_age=18, today=date(2026, 3, 7)).valid


def test_uscc() -> None:
    ok = check_uscc("91110000600037341L")
    assert ok.valid and ok.facts["region_code"] == "110000"
    bad = check_uscc("91110000600037341M")
    assert not bad.valid and "GB 32100" in bad.failures[0]


def test_bank_card_luhn_and_length() -> None:
    assert check_bank_card("6222 0202 0011 2233 446").valid
    assert "Luhn" in check_bank_card("6222020200112233445").failures[0]
    short = check_bank_card("4111111111111")
    assert any("13 digits" in f for f in short.failures)
    assert check_bank_card("6222-abc").failures == ["card number must contain digits only"]


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("13800138000", True),
        ("+86 138 0013 8000", True),
        ("008619912345678", True),
        ("12800138000", False),
        ("1380013800", False),
    ],
)
def test_mobile(number: str, valid: bool) -> None:
    assert check_mobile(number).valid is valid
