"""What retention pseudonymises in a refund case once its period ends
(``casework.privacy.retention``): the customer's words and the evidence files. The
transaction, the amounts and the outcome stay."""

from __future__ import annotations

from casework.models.kinds import Personal, Retention
from casework.models.retention import PSEUDONYMISED

from .models import RefundCase, RefundEvidence
from .models.cases import ENDED_REFUND_STATES


def identifiers(case: RefundCase) -> tuple[str, ...]:
    complaint = case.complaint
    return (complaint.customer_name,) if complaint is not None and complaint.customer_name else ()


RETENTION = Retention(
    ended_states=ENDED_REFUND_STATES,
    ended_at="updated_at",
    personal=(
        Personal(RefundCase, {"reason": PSEUDONYMISED, "evidence_requested": PSEUDONYMISED}),
        Personal(RefundEvidence, {"note": PSEUDONYMISED}, case_field="case", file_field="file"),
    ),
    identifiers=identifiers,
)
