"""Refund use cases. The admin, the API, the sweep and the shell call these; each is one
transaction and returns the case (or what it made).

- ``cases``: opening a case on its original transaction, review, evidence, the decision
  (four eyes), rejection and cancellation;
- ``payments``: the instructions that pay an approved refund, and the settlement report;
- ``endings``: what a case's end stops and hands the complaint it came from;
- ``clock``: reminders before the deadline, the overdue notice after it;
- ``provisional``: a provisional credit (Reg E) and its reversal; ``provisional_clock``:
  its own deadline.

Imported as ``refunds.services``: the use cases are re-exported here. ``clock`` imports
none of the others, ``endings`` the clock, ``payments`` the endings and ``provisional``,
``cases`` the clock and the endings, ``provisional`` the clock and ``cases``,
``provisional_clock`` the clock.
"""

from .cases import (
    CUSTOMER_LOCK_SPACE,
    EVIDENCE_STATES,
    REFERENCE_PREFIX,
    add_evidence,
    approve_refund,
    assign_handler,
    cancel_refund,
    check_approval,
    evidence_received,
    open_refund_case,
    open_refund_case_from_complaint,
    refundable_amount,
    reject_refund,
    request_evidence,
    start_review,
)
from .clock import CLOCKED, REFUNDS_TEAM, SUPERVISORS_TEAM, run_clock, send_reminders
from .payments import (
    ConflictingReport,
    UnknownInstruction,
    report_settlement,
    retry_payment,
    submit_to_payments,
)
from .provisional import (
    ConflictingCreditReport,
    credit_provisionally,
    make_provisional_credit_final,
    open_provisional_credit,
    provisional_credit_refusal,
    reverse_provisional_credit,
)
from .provisional_clock import run_credit_clock

__all__ = [
    "CLOCKED",
    "CUSTOMER_LOCK_SPACE",
    "EVIDENCE_STATES",
    "REFERENCE_PREFIX",
    "REFUNDS_TEAM",
    "SUPERVISORS_TEAM",
    "ConflictingCreditReport",
    "ConflictingReport",
    "UnknownInstruction",
    "add_evidence",
    "approve_refund",
    "assign_handler",
    "cancel_refund",
    "check_approval",
    "credit_provisionally",
    "evidence_received",
    "make_provisional_credit_final",
    "open_provisional_credit",
    "open_refund_case",
    "open_refund_case_from_complaint",
    "provisional_credit_refusal",
    "refundable_amount",
    "reject_refund",
    "report_settlement",
    "request_evidence",
    "retry_payment",
    "reverse_provisional_credit",
    "run_clock",
    "run_credit_clock",
    "send_reminders",
    "start_review",
    "submit_to_payments",
]
