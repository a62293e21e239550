"""Checks of Chinese identity numbers against their national standards.

Resident ID (GB 11643-1999: region, birth date, order code, ISO 7064 check
digit), unified social credit code (GB 32100-2015), bank card (ISO/IEC 7812
length and Luhn) and mainland mobile number, each with the reason it fails.
The standards' arithmetic comes from python-stdnum; this module adds the
consistency checks a bank's KYC officer makes against what the customer said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

Sex = Literal["male", "female"]
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass
class CheckResult:
    """One document's verdict; ``failures`` name each rule broken, in plain words."""

    kind: str
    number: str
    valid: bool
    failures: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)


def _digits_only(number: str) -> str:
    """Drop the spaces and hyphens people type between groups."""
    return re.sub(r"[\s-]", "", number)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def check_resident_id(
    number: str,
    *,
    declared_birth_date: date | None = None,
    declared_sex: Sex | None = None,
    min_age: int | None = None,
    today: date | None = None,
) -> CheckResult:
    """Validate an 18-digit resident ID and compare it with the declared facts."""
    compact = _digits_only(number).upper()
    result = CheckResult(kind="resident_id", number=compact, valid=False)
    try:
        ric.validate(compact)
    except StdnumError as exc:
        result.failures.append(f"not a valid GB 11643 number: {exc}")
        return result
    birth = ric.get_birth_date(compact)
    sex: Sex = "male" if int(compact[16]) % 2 == 1 else "female"
    result.facts = {"birth_date": birth.isoformat(), "sex": sex, "region_code": compact[:6]}
    try:
        place = ric.get_birth_place(compact)
        result.facts["region"] = "".join(v for v in place.values() if v)
    except StdnumError:
        result.failures.append(f"region code {compact[:6]} is not a known county")
    today = today or date.today()
    if birth > today:
        result.failures.append(f"birth date {birth} is in the future")
    if declared_birth_date is not None and declared_birth_date != birth:
        result.failures.append(
            f"declared birth date {declared_birth_date} differs from the ID's {birth}"
        )
    if declared_sex is not None and declared_sex != sex:
        result.failures.append(f"declared sex {declared_sex} differs from the ID's {sex}")
    age = age_on(birth, today)
    result.facts["age"] = str(age)
    if min_age is not None and age < min_age:
        result.failures.append(f"holder is {age}, under the minimum age {min_age}")
    result.valid = not result.failures
    return result


def check_uscc(code: str) -> CheckResult:
    """Unified social credit code of an organisation (GB 32100-2015)."""
    compact = _digits_only(code).upper()
    result = CheckResult(kind="uscc", number=compact, valid=False)
    try:
        uscc.validate(compact)
    except StdnumError as exc:
        result.failures.append(f"not a valid GB 32100 code: {exc}")
        return result
    result.facts = {
        "registration_authority": compact[0],
        "organisation_type": compact[1],
        "region_code": compact[2:8],
    }
    result.valid = True
    return result


def check_bank_card(number: str) -> CheckResult:
    """Payment card number: 16-19 digits with a valid Luhn check digit."""
    compact = _digits_only(number)
    result = CheckResult(kind="bank_card", number=compact, valid=False)
    if not compact.isdigit():
        result.failures.append("card number must contain digits only")
        return result
    if not 16 <= len(compact) <= 19:
        result.failures.append(f"card number has {len(compact)} digits; banks issue 16 to 19")
    if not luhn.is_valid(compact):
        result.failures.append("Luhn check digit is wrong (mistyped number?)")
    result.facts = {
        "iin": compact[:6],
        "network": "UnionPay" if compact.startswith("62") else "other",
    }
    result.valid = not result.failures
    return result


def check_mobile(number: str) -> CheckResult:
    """Mainland China mobile number: 11 digits, 1[3-9]x, optional +86 prefix."""
    compact = _digits_only(number)
    if compact.startswith("+86"):
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    result = CheckResult(kind="mobile", number=compact, valid=bool(_MOBILE_RE.match(compact)))
    if not result.valid:
        result.failures.append("not an 11-digit mainland mobile number starting 13-19")
    return result
