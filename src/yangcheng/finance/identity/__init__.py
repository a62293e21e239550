"""Identity checks: document numbers now; face, liveness and voice to follow."""

from yangcheng.finance.identity.documents import (
    CheckResult,
    check_bank_card,
    check_mobile,
    check_resident_id,
    check_uscc,
)

__all__ = ["CheckResult", "check_bank_card", "check_mobile", "check_resident_id", "check_uscc"]
