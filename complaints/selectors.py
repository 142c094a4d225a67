"""Read queries the admin, the API and the sweep share, with their joins, so lists do
not run one query per row."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from casework.audit import records_for
from casework.models import Partner, SlaStatus, TransitionRecord

from .models import Complaint

LIST_RELATED = ("team", "assigned_to", "sla_clock", "escalated_to", "partner")


def complaint_list(queryset: QuerySet[Complaint] | None = None) -> QuerySet[Complaint]:
    return (queryset if queryset is not None else Complaint.objects.all()).select_related(*LIST_RELATED)


def complaints_for_partner(partner: Partner) -> QuerySet[Complaint]:
    """A partner sees only what it filed."""
    return Complaint.objects.filter(partner=partner).select_related("sla_clock")


def _breached(now: dt.datetime) -> Q:
    return (
        Q(sla_clock__resolution_breached_at__isnull=False)
        | Q(sla_clock__first_response_breached_at__isnull=False)
        | Q(
            sla_clock__stopped_at__isnull=True,
            sla_clock__paused_at__isnull=True,
            sla_clock__resolution_due_at__lte=now,
        )
    )


def with_sla_status(queryset: QuerySet[Complaint], status: str, now: dt.datetime) -> QuerySet[Complaint]:
    """Filter by on track / due soon / breached, the same rule as ``SlaClock.status``."""
    if status == SlaStatus.BREACHED:
        return queryset.filter(_breached(now))
    due_soon = Q(
        sla_clock__stopped_at__isnull=True,
        sla_clock__paused_at__isnull=True,
        sla_clock__resolution_warn_at__lte=now,
    )
    if status == SlaStatus.DUE_SOON:
        return queryset.filter(due_soon).exclude(_breached(now))
    if status == SlaStatus.ON_TRACK:
        return queryset.exclude(_breached(now)).exclude(due_soon)
    raise ValueError(f"Unknown SLA status {status!r}")


def complaint_timeline(complaint: Complaint) -> QuerySet[TransitionRecord]:
    """Every transition and audited step of the complaint, oldest first, with actors."""
    return records_for(complaint)
