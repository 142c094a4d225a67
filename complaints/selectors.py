"""Read queries the admin, the API and the sweep share, with their joins, so lists do
not run one query per row."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.models import Partner

# Every case type filters by SLA status the same way; complaints' callers keep this name.
from casework.sla.selectors import with_sla_status as with_sla_status

from .models import Complaint
from .services.classification import channel_code_subquery

LIST_RELATED = ("team", "assigned_to", "sla_clock", "escalated_to", "partner")


def complaint_list(queryset: QuerySet[Complaint] | None = None) -> QuerySet[Complaint]:
    return (queryset if queryset is not None else Complaint.objects.all()).select_related(*LIST_RELATED)


def complaints_for_partner(partner: Partner) -> QuerySet[Complaint]:
    """A partner sees only what it filed."""
    return (
        Complaint.objects.filter(partner=partner)
        .select_related("sla_clock", "business_type", "cause", "product")
        .annotate(channel_code=channel_code_subquery())  # read with the row, as the API shows it
    )
