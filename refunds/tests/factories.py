"""Refund cases for tests, made through the services as staff and partners make them."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from casework.tests.files import PNG  # noqa: F401  (re-exported: the refund tests use it)
from refunds import services
from refunds.models import RefundCase, RefundState, RefundType

# The payments system's group: its API user reports settlements and does nothing else.
PAYMENTS_SYSTEM = "payments system"

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
                processor_reference="PSP-778899" if step == "settle" else "",
                error="" if step == "settle" else "Beneficiary account closed",
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
