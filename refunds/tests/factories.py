"""Refund cases for tests, made through the services as staff and partners make them:
one in any state, a large one, one from a customer's complaint, two splitting one
payment, and the payments system's report on the latest instruction."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.tests.files import PNG
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import PaymentInstruction, RefundCase, RefundState, RefundType

# The payments system's group: its API user reports settlements and does nothing else.
PAYMENTS_SYSTEM = "payments system"

# What the payments system reports here: a settlement's processor reference, a failure's error.
SETTLED_AS = "PSP-778899"
ERROR = "Beneficiary account closed"

_numbers = itertools.count(1)


def transaction_details(**overrides) -> dict:
    """A fresh original transaction: CNY 800.00 at a merchant, paid three days ago."""
    details = {
        "transaction_reference": f"TXN-2026-{next(_numbers):06d}",
        "merchant": "Hangzhou Tea House",
        "transaction_amount": Decimal("800.00"),
        "currency": "CNY",
        "paid_at": timezone.now() - dt.timedelta(days=3),
    }
    details.update(overrides)
    return details


def open_refund(actor, **overrides) -> RefundCase:
    """A refund of CNY 300.00 on a fresh transaction, opened by ``actor``."""
    arguments = {
        "refund_type": RefundType.NOT_RECEIVED,
        "requested_amount": Decimal("300.00"),
        "reason": "Order cancelled by the merchant; money not returned.",
        **transaction_details(),
    }
    arguments.update(overrides)
    return services.open_refund_case(actor=actor, **arguments)


# How each state is reached from "requested" (first and second approver as given).
PATHS = {
    RefundState.REQUESTED: (),
    RefundState.UNDER_REVIEW: ("start_review",),
    RefundState.AWAITING_EVIDENCE: ("start_review", "request_evidence"),
    RefundState.APPROVED: ("start_review", "approve"),
    RefundState.PROCESSING: ("start_review", "approve", "submit"),
    RefundState.REFUNDED: ("start_review", "approve", "submit", "settle"),
    RefundState.FAILED: ("start_review", "approve", "submit", "fail"),
    RefundState.REJECTED: ("start_review", "reject"),
    RefundState.CANCELLED: ("cancel",),
}


def refund_in_state(state: str, *, agent, desk, second=None, payments=None, **open_arguments) -> RefundCase:
    """A refund opened by ``agent`` and driven by ``desk`` (and ``second`` for the second
    approval of a large one; ``payments`` reports settlements) to ``state``."""
    case = open_refund(agent, **open_arguments)
    for step in PATHS[state]:
        case = _run(step, case, agent=agent, desk=desk, second=second, payments=payments)
    assert case.state == state, (case.state, state)
    return case


def _run(step: str, case: RefundCase, *, agent, desk, second, payments) -> RefundCase:
    match step:
        case "start_review":
            return services.start_review(case=case, actor=desk)
        case "request_evidence":
            return services.request_evidence(case=case, actor=desk, what="The merchant's cancellation e-mail")
        case "approve":
            case = services.approve_refund(case=case, actor=desk)
            if case.state == RefundState.UNDER_REVIEW:  # above the threshold: a second person
                case = services.approve_refund(case=case, actor=second)
            return case
        case "submit":
            return services.submit_to_payments(case=case, actor=desk)
        case "settle" | "fail":
            instruction = case.instructions.latest("attempt")
            services.report_settlement(
                idempotency_key=instruction.idempotency_key,
                actor=payments,
                outcome="settled" if step == "settle" else "failed",
                processor_reference=SETTLED_AS if step == "settle" else "",
                error="" if step == "settle" else ERROR,
            )
            return RefundCase.objects.get(pk=case.pk)
        case "reject":
            return services.reject_refund(
                case=case, actor=desk, reason="The goods were delivered and signed for."
            )
        case "cancel":
            return services.cancel_refund(case=case, actor=agent, reason="Merchant refunded directly")
    raise ValueError(step)


def advance(case: RefundCase, *steps: str, agent=None, desk, second=None, payments=None) -> RefundCase:
    """Run more of the steps in ``PATHS`` on a case made elsewhere (e.g. from a complaint)."""
    for step in steps:
        case = _run(step, case, agent=agent, desk=desk, second=second, payments=payments)
    return case


def png(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def report(case: RefundCase, payments, outcome: str, processor_reference: str = SETTLED_AS, **more):
    instruction = PaymentInstruction.objects.filter(case_id=case.pk).latest("attempt")
    return services.report_settlement(
        idempotency_key=instruction.idempotency_key,
        actor=payments,
        outcome=outcome,
        processor_reference=processor_reference if outcome == "settled" else "",
        error=more.get("error", ERROR) if outcome == "failed" else "",
    )


def large(**overrides) -> dict:
    """Open arguments for a refund of CNY 6,000.00, above the CNY 5,000 threshold."""
    return {
        "requested_amount": Decimal("6000.00"),
        **transaction_details(transaction_amount=Decimal("20000.00")),
        **overrides,
    }


# Four eyes counts what is already approved or paid on the same money: two cases splitting
# one payment, and the refusal the second approval of them meets.
SPLIT = Decimal("4999.99")  # twice this is the CNY 9,999.98 payment; once is below CNY 5,000
ON_THE_TRANSACTION = (
    "CNY 9,999.98 approved or paid on this transaction with this case is above the CNY 5,000.00 "
    "threshold: a second approver is needed."
)


def split_in_two(agent, desk) -> tuple[RefundCase, RefundCase]:
    """Two cases of CNY 4,999.99 on one CNY 9,999.98 payment, both under review."""
    first = refund_in_state(
        RefundState.UNDER_REVIEW,
        agent=agent,
        desk=desk,
        requested_amount=SPLIT,
        **transaction_details(transaction_amount=SPLIT * 2),
    )
    second = open_refund(
        agent,
        transaction_reference=first.transaction.reference,
        transaction_amount=SPLIT * 2,
        requested_amount=SPLIT,
    )
    return first, services.start_review(case=second, actor=desk)


def refund_for_customer(agent, desk, amount: str, *, phone: str, **complaint_details) -> RefundCase:
    """A refund case under review, opened from a complaint of the customer on ``phone``
    about a payment of its own (a fresh transaction)."""
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=agent,
        category="refund",
        customer_phone=phone,
        amount=Decimal(amount),
        **complaint_details,
    )
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )
    return services.start_review(case=case, actor=desk)
