"""Refund cases under US Regulation E, for the provisional credit's tests: a complaint put
under the ``us-reg-e`` regime (and its clock started with it) before its refund case is
opened, as the regimes' own services will do once they register complaints under one."""

from __future__ import annotations

from decimal import Decimal

from casework.models import SlaClock
from casework.sla.regimes import regime_by_code
from complaints.models import Complaint
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import RefundCase, RefundType


def put_under(complaint: Complaint, code: str, condition: str = "") -> Complaint:
    """The complaint and its clock run under regime ``code`` (narrowed by ``condition``)."""
    regime = regime_by_code(code)
    Complaint.objects.filter(pk=complaint.pk).update(regime=regime, regime_condition=condition)
    SlaClock.objects.filter(pk=complaint.sla_clock_id).update(regime=regime)
    return Complaint.objects.select_related("sla_clock").get(pk=complaint.pk)


def refund_under(
    agent, desk, *, regime: str = "us-reg-e", condition: str = "", amount: str = "300.00", **complaint_details
) -> RefundCase:
    """A refund case under review, opened from a complaint (in English, by e-mail) that runs
    under ``regime``; the transaction and the refund are ``amount``."""
    details = {
        "category": "refund",
        "customer_email": "jane.doe@example.com",
        "preferred_channel": "email",
        "customer_language": "en",
        "amount": Decimal(amount),
        "currency": "USD",
        "description": "I was charged for a subscription I had cancelled; the merchant will not refund it.",
        **complaint_details,
    }
    complaint = put_under(
        complaint_in_state(ComplaintState.IN_PROGRESS, agent=agent, **details), regime, condition
    )
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.UNAUTHORISED
    )
    return services.start_review(case=case, actor=desk)
