"""Likely duplicates of a complaint: what the agent is offered to merge it with.

An open complaint of the same customer (``casework.customers``: by what was verified,
never by the name) is a likely duplicate when it is about the same transaction reference,
whenever it came, or in the same category and registered within
``COMPLAINT_DUPLICATE_WINDOW_HOURS`` of this one. A complaint without a customer (no
phone, account or address yet) has none. One indexed query, nearest in time first.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet

from complaints.models import OPEN_STATES, Complaint


def duplicate_q(*, customer_id: int, category: str, transaction_reference: str, at: dt.datetime) -> Q:
    """Open complaints of ``customer_id`` a complaint with these details duplicates."""
    window = dt.timedelta(hours=settings.COMPLAINT_DUPLICATE_WINDOW_HOURS)
    alike = Q(category=category, created_at__gte=at - window, created_at__lte=at + window)
    if transaction_reference:
        alike |= Q(transaction_reference=transaction_reference)
    return Q(customer_id=customer_id, state__in=OPEN_STATES) & alike


def likely_duplicates(complaint: Complaint) -> QuerySet[Complaint]:
    """The open complaints ``complaint`` likely duplicates (itself left out), nearest first."""
    if complaint.customer_id is None:
        return Complaint.objects.none()
    return (
        Complaint.objects.filter(
            duplicate_q(
                customer_id=complaint.customer_id,
                category=complaint.category,
                transaction_reference=complaint.transaction_reference,
                at=complaint.created_at,
            )
        )
        .exclude(pk=complaint.pk)
        .order_by("-created_at", "-pk")
    )
