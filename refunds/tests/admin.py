"""What the refund admin tests share: the refund admin's addresses, a refund above the
four-eyes threshold, and what a refused action must leave as it was."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from casework.models import TransitionRecord
from refunds.models import RefundCase, RefundState
from refunds.tests.factories import refund_in_state

CHANGELIST = reverse("admin:refunds_refundcase_changelist")
ADD = reverse("admin:refunds_refundcase_add")
TRANSACTIONS = reverse("admin:refunds_paymenttransaction_changelist")


def large_refund(agent, desk, state: str = RefundState.UNDER_REVIEW, **arguments) -> RefundCase:
    """CNY 6,000 of an 8,000 payment: above the CNY 5,000 four-eyes threshold."""
    return refund_in_state(
        state,
        agent=agent,
        desk=desk,
        transaction_amount=Decimal("8000.00"),
        requested_amount=Decimal("6000.00"),
        **arguments,
    )


def unchanged(case: RefundCase) -> tuple:
    """What a refused action must leave as it was."""
    stored = RefundCase.objects.get(pk=case.pk)
    return (
        stored.state,
        stored.version,
        stored.approved_amount,
        stored.first_approved_by_id,
        stored.history.count(),
        TransitionRecord.objects.filter(case_reference=case.reference).count(),
    )
