"""Read queries every case type shares."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from casework.models import SlaStatus

Case = TypeVar("Case", bound=Model)


def breached_q(now: dt.datetime) -> Q:
    return (
        Q(sla_clock__resolution_breached_at__isnull=False)
        | Q(sla_clock__first_response_breached_at__isnull=False)
        | Q(
            sla_clock__stopped_at__isnull=True,
            sla_clock__paused_at__isnull=True,
            sla_clock__resolution_due_at__lte=now,
        )
    )


def due_today_q(now: dt.datetime, day_ends_at: dt.datetime) -> Q:
    """The resolution deadline falls between now and the end of today, on a running clock
    that has not missed it yet (a paused clock waits on the customer: its deadline moves)."""
    return Q(
        sla_clock__stopped_at__isnull=True,
        sla_clock__paused_at__isnull=True,
        sla_clock__resolution_breached_at__isnull=True,
        sla_clock__resolution_due_at__gt=now,
        sla_clock__resolution_due_at__lt=day_ends_at,
    )


def with_sla_status(queryset: QuerySet[Case], status: str, now: dt.datetime) -> QuerySet[Case]:
    """Cases (any model with an ``sla_clock``) on track / due soon / breached, by the
    same rule as ``SlaClock.status``."""
    if status == SlaStatus.BREACHED:
        return queryset.filter(breached_q(now))
    due_soon = Q(
        sla_clock__stopped_at__isnull=True,
        sla_clock__paused_at__isnull=True,
        sla_clock__resolution_warn_at__lte=now,
    )
    if status == SlaStatus.DUE_SOON:
        return queryset.filter(due_soon).exclude(breached_q(now))
    if status == SlaStatus.ON_TRACK:
        return queryset.exclude(breached_q(now)).exclude(due_soon)
    raise ValueError(f"Unknown SLA status {status!r}")
