"""Read queries the admin, the API and the sweep share, with their joins, so lists do
not run one query per row."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.utils.translation import gettext

from casework.models import Partner

from .models import PaymentTransaction, RefundCase, RefundState
from .money import format_money

# What each row of the refund case list shows beside the case itself.
LIST_RELATED = ("transaction", "handler", "sla_clock", "provisional_credit")


def refund_case_list(queryset: QuerySet[RefundCase] | None = None) -> QuerySet[RefundCase]:
    """Refund cases with their transaction, handler and deadline clock, in one query."""
    return (queryset if queryset is not None else RefundCase.objects.all()).select_related(*LIST_RELATED)


def refund_cases_for_partner(partner: Partner) -> QuerySet[RefundCase]:
    """A partner sees only what it sent, with what each row shows beside the case."""
    return RefundCase.objects.filter(partner=partner).select_related("transaction", "sla_clock", "complaint")


def awaiting_approval(queryset: QuerySet[RefundCase], *, second_only: bool = False) -> QuerySet[RefundCase]:
    """Cases under review; with ``second_only``, those whose first approval waits for a second."""
    under_review = queryset.filter(state=RefundState.UNDER_REVIEW)
    return under_review.filter(first_approved_by__isnull=False) if second_only else under_review


def transaction_list(queryset: QuerySet[PaymentTransaction] | None = None) -> QuerySet[PaymentTransaction]:
    """Original transactions with how many refund cases each has, in one query."""
    queryset = queryset if queryset is not None else PaymentTransaction.objects.all()
    return queryset.annotate(refund_case_count=Count("refund_cases"))


def outcome(case: RefundCase) -> str:
    """How the case ended, for the customer's page: what was paid or approved, or why not."""
    if (
        case.state in (RefundState.REFUNDED, RefundState.APPROVED, RefundState.PROCESSING)
        and case.approved_amount
    ):
        amount = format_money(case.approved_amount, case.currency)
        if case.state == RefundState.REFUNDED:
            return gettext("%(amount)s paid") % {"amount": amount}
        return gettext("%(amount)s approved") % {"amount": amount}
    reason = case.failure_reason or case.rejection_reason
    return " ".join(reason.split())[:80]
