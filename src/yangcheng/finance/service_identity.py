"""Identity-document capability of the finance scenario."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yangcheng.finance.identity import (
    CheckResult,
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
)
from yangcheng.platform.catalog import Capability


class DocumentCheckRequest(BaseModel):
    """Identity numbers a customer presented, and what they declared about themselves."""

    model_config = ConfigDict(extra="forbid")

    resident_id: str | None = Field(
        default=None, max_length=40, description="18-character resident ID (GB 11643)."
    )
    declared_birth_date: date | None = Field(default=None, description="As the customer stated.")
    declared_sex: Literal["male", "female"] | None = None
    min_age: int | None = Field(default=None, ge=0, le=150, description="E.g. 18 for credit.")
    uscc: str | None = Field(
        default=None, max_length=40, description="Unified social credit code (GB 32100)."
    )
    bank_card: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def _something_to_check(self) -> DocumentCheckRequest:
        if not any((self.resident_id, self.uscc, self.bank_card, self.mobile)):
            raise ValueError("give at least one of resident_id, uscc, bank_card, mobile")
        if self.resident_id is None and (self.declared_birth_date or self.declared_sex):
            raise ValueError("declared_birth_date/declared_sex need a resident_id to compare with")
        return self


class DocumentCheck(BaseModel):
    kind: str
    number: str
    valid: bool
    failures: list[str]
    facts: dict[str, str]


class DocumentCheckResponse(BaseModel):
    all_valid: bool
    checks: list[DocumentCheck]


def check_documents(req: DocumentCheckRequest) -> DocumentCheckResponse:
    results: list[CheckResult] = []
    if req.resident_id is not None:
        results.append(
            check_resident_id(
                req.resident_id,
                declared_birth_date=req.declared_birth_date,
                declared_sex=req.declared_sex,
                min_age=req.min_age,
            )
        )
    if req.uscc is not None:
        results.append(check_uscc(req.uscc))
    if req.bank_card is not None:
        results.append(check_bank_card(req.bank_card))
    if req.mobile is not None:
        results.append(check_mobile(req.mobile))
    checks = [DocumentCheck(**r.__dict__) for r in results]
    return DocumentCheckResponse(all_valid=all(c.valid for c in checks), checks=checks)


DOCUMENTS = Capability(
    name="finance.identity.documents",
    version="1.0.0",
    group="finance",
    summary="Check resident ID, company credit code, bank card and mobile numbers",
    description=(
        "Validates each number against its national standard (GB 11643, GB 32100, "
        "ISO/IEC 7812 Luhn) and compares the resident ID with the declared birth date, "
        "sex and minimum age. Every failure is named."
    ),
    request_model=DocumentCheckRequest,
    response_model=DocumentCheckResponse,
    handler=check_documents,
    card={
        "standards": ["GB 11643-1999", "GB 32100-2015", "ISO/IEC 7812-1"],
        "implementation": "python-stdnum (region table of GB/T 2260)",
        "limitations": "Checks numbers, not that they were issued to this person.",
    },
    examples=(
        {
            "resident_id": "11010519491231002X",
            "declared_birth_date": "1949-12-31",
            "declared_sex": "female",
            "min_age": 18,
            "bank_card": "6222020200112233446",
            "mobile": "+86 138 0013 8000",
        },
        {
            "resident_id": "440304199003071248",
            "declared_sex": "female",
            "uscc": "91110000600037341L",
        },
    ),
)

CAPABILITIES = (DOCUMENTS,)
