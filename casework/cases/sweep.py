"""The SLA sweep: each case type registers what it does when the clock ticks.

Beat calls :func:`run` every minute. The helpers below read due rows by index and lock
them with ``select_for_update(skip_locked=True)``, so two sweeps running at once split
the work instead of doing it twice (on SQLite, IMMEDIATE transactions queue them).

Each step locks only the rows it writes: a row another sweep holds for a *different*
step is skipped all the same, so a step that also locked rows it merely joins (the
case, when it writes the clock) would hide them from the other sweep's other steps.
Two sweeps could then each pass over a case, the one because the other held it for
its reminders, the other because the one held it for its first-response mark, and
nobody marked it late. Steps that lock the same rows (the clock steps) run in the same
order in every sweep, so the sweep holding a row for a later step already ran the
earlier one on it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from casework.cases.transitions import run_transition
from casework.core.errors import CaseworkError
from casework.models import SlaClock
from casework.notices import outbox
from casework.trail.reasons import SystemReason

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200

Sweeper = Callable[[dt.datetime], dict[str, int]]
_sweepers: dict[str, Sweeper] = {}


def register(name: str, sweeper: Sweeper) -> None:
    _sweepers[name] = sweeper


def run(now: dt.datetime) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for name, sweeper in sorted(_sweepers.items()):
        for key, count in sweeper(now).items():
            totals[f"{name}.{key}"] += count
    return dict(totals)


@dataclass(frozen=True)
class ClockedCases:
    """How the sweep finds one case type's cases from their clocks, and who hears of them."""

    model: type[models.Model]
    clock_relation: str  # the reverse name of the case's OneToOne to SlaClock
    related: tuple[str, ...]  # what the notice template reads
    template: str
    due_soon_recipients: Callable[[models.Model], list[str]]
    breach_recipients: Callable[[models.Model], list[str]]

    def clocks(self, **filters) -> list[SlaClock]:
        """Due clocks, locked; their cases are joined only to pick this type's, not locked
        (``of``: without it PostgreSQL locks and skips the joined case rows too)."""
        return list(
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(**{f"{self.clock_relation}__isnull": False}, **filters)
            .order_by("pk")[:SWEEP_BATCH]
        )

    def cases_of(self, clocks: list[SlaClock]) -> list[models.Model]:
        if not clocks:
            return []
        return list(
            self.model.objects.select_related("sla_clock", *self.related).filter(sla_clock__in=clocks)
        )

    def notify(self, case: models.Model, *, kind: str, recipients: list[str], subject: str) -> None:
        body = render_to_string(self.template, {"case": case, "kind": kind})
        deadline = f"{case.sla_clock.resolution_due_at:%Y%m%d%H%M}"
        for recipient in recipients:
            outbox.enqueue(
                idempotency_key=f"{case._meta.label_lower}-{case.pk}-{kind}-{deadline}-{recipient}",
                kind=kind,
                recipient=recipient,
                subject=subject,
                body=body,
                case=case,
            )


DUE_SOON = outbox.register_kind("due_soon", pgettext_lazy("notice kind", "due-soon warning"))
BREACH = outbox.register_kind("breach", pgettext_lazy("notice kind", "SLA breach"))


def local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def warn_due_soon(cases: ClockedCases, now: dt.datetime) -> int:
    """Warn once per deadline about running cases nearing it."""
    with transaction.atomic():
        clocks = cases.clocks(
            stopped_at__isnull=True,
            paused_at__isnull=True,
            due_soon_notified_at__isnull=True,
            resolution_breached_at__isnull=True,
            resolution_warn_at__lte=now,
            resolution_due_at__gt=now,
        )
        for case in cases.cases_of(clocks):
            clock = case.sla_clock
            clock.due_soon_notified_at = now
            clock.save(update_fields=["due_soon_notified_at"])
            with outbox.notice_language():
                cases.notify(
                    case,
                    kind=DUE_SOON,
                    recipients=cases.due_soon_recipients(case),
                    subject=gettext("[%(reference)s] due %(due)s")
                    % {"reference": case.reference, "due": local(clock.resolution_due_at)},
                )
    return len(clocks)


def mark_breaches(cases: ClockedCases, now: dt.datetime) -> int:
    """Mark running cases past their deadline as late, for good, and say so."""
    with transaction.atomic():
        clocks = cases.clocks(
            stopped_at__isnull=True,
            paused_at__isnull=True,
            resolution_breached_at__isnull=True,
            resolution_due_at__lte=now,
        )
        for case in cases.cases_of(clocks):
            clock = case.sla_clock
            clock.resolution_breached_at = clock.resolution_due_at
            clock.save(update_fields=["resolution_breached_at"])
            with outbox.notice_language():
                cases.notify(
                    case,
                    kind=BREACH,
                    recipients=cases.breach_recipients(case),
                    subject=gettext("[%(reference)s] SLA breached") % {"reference": case.reference},
                )
    return len(clocks)


def mark_late_first_responses(cases: ClockedCases, now: dt.datetime) -> int:
    """Mark cases nobody answered within the first-response target."""
    with transaction.atomic():
        clocks = cases.clocks(
            first_responded_at__isnull=True,
            first_response_breached_at__isnull=True,
            stopped_at__isnull=True,
            first_response_due_at__lte=now,
        )
        for clock in clocks:
            clock.first_response_breached_at = clock.first_response_due_at
            clock.save(update_fields=["first_response_breached_at"])
    return len(clocks)


def run_due_transitions(
    queryset: models.QuerySet,
    name: str,
    *,
    reason: str | SystemReason,
    before_save: Callable[[models.Model], None] | None = None,
) -> int:
    """Run the clock's own transition (auto-close, expiry) on each due case, as the system.

    A savepoint each: one case that cannot move does not hold back the rest.
    """
    moved = 0
    with transaction.atomic():
        for case in queryset.select_for_update(skip_locked=True)[:SWEEP_BATCH]:
            try:
                with transaction.atomic():
                    run_transition(
                        case,
                        name,
                        actor=None,
                        reason=reason,
                        before_save=(lambda case=case: before_save(case)) if before_save else None,
                    )
            except CaseworkError:
                logger.exception("The clock could not %s %s", name, case)
                continue
            moved += 1
    return moved
