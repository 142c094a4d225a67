"""Read queries every case type shares."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

from casework.models import SlaClock, SlaStatus

Case = TypeVar("Case", bound=Model)


# The worklists' two figures, one rule wherever they are counted or listed (My work's
# counters, the team view, the saved views, the dashboard and the open-cases filter): by
# the case's next deadline (its ``next_due_at``, the first response until answered, then
# the resolution), over open cases. A clock waiting on the customer after the first
# response does not count down (its resolution moves when it resumes); a clock the sweep
# or a step marked late stays late. Each reads the case row and, for the clock, only two
# small partial indexes (``clock_running_late``, ``clock_waiting_answered``), so the
# figures cost the same at any number of ended cases.


def _marked_late() -> QuerySet:
    return SlaClock.objects.filter(
        Q(resolution_breached_at__isnull=False) | Q(first_response_breached_at__isnull=False),
        stopped_at__isnull=True,
    ).values("pk")


def _waiting_after_first_response() -> QuerySet:
    return SlaClock.objects.filter(
        stopped_at__isnull=True, paused_at__isnull=False, first_responded_at__isnull=False
    ).values("pk")


def breached_q(now: dt.datetime) -> Q:
    """Marked late by the clock (late stays late), or the next deadline has passed on a
    clock that counts down."""
    return Q(sla_clock__in=_marked_late()) | (
        Q(next_due_at__lte=now) & ~Q(sla_clock__in=_waiting_after_first_response())
    )


def due_today_q(now: dt.datetime, day_ends_at: dt.datetime) -> Q:
    """The next deadline falls between now and the end of today, on a clock that counts
    down and is not late yet (a late case counts as breached, not due today)."""
    return (
        Q(next_due_at__gt=now, next_due_at__lt=day_ends_at)
        & ~Q(sla_clock__in=_waiting_after_first_response())
        & ~Q(sla_clock__in=_marked_late())
    )


def _clock_late_q(now: dt.datetime) -> Q:
    """Late as ``SlaClock.is_breached`` says of a running or stopped clock: the SLA status."""
    return (
        Q(sla_clock__resolution_breached_at__isnull=False)
        | Q(sla_clock__first_response_breached_at__isnull=False)
        | Q(
            sla_clock__stopped_at__isnull=True,
            sla_clock__paused_at__isnull=True,
            sla_clock__resolution_due_at__lte=now,
        )
    )


def with_sla_status(queryset: QuerySet[Case], status: str, now: dt.datetime) -> QuerySet[Case]:
    """Cases (any model with an ``sla_clock``, ended ones too) on track / due soon /
    breached, by the same rule as ``SlaClock.status``."""
    if status == SlaStatus.BREACHED:
        return queryset.filter(_clock_late_q(now))
    due_soon = Q(
        sla_clock__stopped_at__isnull=True,
        sla_clock__paused_at__isnull=True,
        sla_clock__resolution_warn_at__lte=now,
    )
    if status == SlaStatus.DUE_SOON:
        return queryset.filter(due_soon).exclude(_clock_late_q(now))
    if status == SlaStatus.ON_TRACK:
        return queryset.exclude(_clock_late_q(now)).exclude(due_soon)
    raise ValueError(f"Unknown SLA status {status!r}")
