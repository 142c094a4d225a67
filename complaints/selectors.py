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
# What a complaint's clock reads to say which rule it follows (clocks.resolution_target).
CLOCK_RULES = (
    "regime",
    "sla_clock__policy__calendar",
    "sla_clock__regime__calendar",
    "sla_clock__extension",
)


def complaint_list(queryset: QuerySet[Complaint] | None = None) -> QuerySet[Complaint]:
    return (queryset if queryset is not None else Complaint.objects.all()).select_related(*LIST_RELATED)


def complaints_for_partner(partner: Partner) -> QuerySet[Complaint]:
    """A partner sees only what it filed."""
    return (
        Complaint.objects.filter(partner=partner)
        .select_related(*CLOCK_RULES, "business_type", "cause", "product", "merged_into")
        .annotate(channel_code=channel_code_subquery())  # read with the row, as the API shows it
    )


def with_regime_limits(complaints: QuerySet[Complaint]) -> QuerySet[Complaint]:
    """For reading each complaint's decision basis: its regime's limits, in one query."""
    return complaints.prefetch_related("sla_clock__regime__limits")


def outcome(complaint: Complaint) -> str:
    """How the complaint ended, for the customer's page: its resolution code and summary."""
    if not complaint.resolution_code:
        return ""
    summary = " ".join(complaint.resolution_summary.split())
    code = complaint.get_resolution_code_display()
    return f"{code}: {summary[:80]}" if summary else str(code)
