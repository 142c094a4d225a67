"""A provisional credit's own deadline (Regulation E): the refunds desk is warned before a
due credit's ``due_at``, and after it the credit is marked late for good and the desk and
the supervisors are told. The sweep (every minute, ``casework.cases.sweep``) reads the due
credits by index and locks them with ``skip_locked``; no timer lives in a broker message."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.cases import sweep
from casework.cases.teams import team_for_code
from casework.notices import outbox

from ..models import OPEN_REFUND_STATES, CreditState, ProvisionalCredit
from .clock import REFUNDS_TEAM, SUPERVISORS_TEAM, handler_mailboxes

CREDIT_DUE_SOON = outbox.register_kind(
    "provisional_credit_due_soon", pgettext_lazy("notice kind", "provisional credit due soon")
)
CREDIT_LATE = outbox.register_kind(
    "provisional_credit_late", pgettext_lazy("notice kind", "provisional credit late")
)


def _desk_mailboxes(credit: ProvisionalCredit, *, late: bool) -> list[str]:
    told = {team_for_code(REFUNDS_TEAM).mailbox, *handler_mailboxes(credit.refund_case)}
    if late:
        told.add(team_for_code(SUPERVISORS_TEAM).mailbox)
    return sorted(told)


def _notify(credit: ProvisionalCredit, *, kind: str, late: bool) -> None:
    with outbox.notice_language():
        subject = (
            _("[%(reference)s] provisional credit late: due %(due)s")
            if late
            else _("[%(reference)s] provisional credit due %(due)s")
        ) % {"reference": credit.reference, "due": sweep.local(credit.due_at)}
        body = render_to_string("refunds/provisional_credit_notice.txt", {"credit": credit, "late": late})
    for recipient in _desk_mailboxes(credit, late=late):
        outbox.enqueue(
            idempotency_key=f"{credit.idempotency_key}-{'late' if late else 'due-soon'}-"
            f"{credit.due_at:%Y%m%d%H%M}-{recipient}",
            kind=kind,
            recipient=recipient,
            subject=subject,
            body=body,
            case=credit.refund_case,
        )


def _due_credits(**filters) -> list[ProvisionalCredit]:
    """Due credits of cases still open, locked (another sweep skips them), by index."""
    return list(
        ProvisionalCredit.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("refund_case__transaction", "refund_case__handler")
        .filter(
            state=CreditState.DUE, late_at__isnull=True, refund_case__state__in=OPEN_REFUND_STATES, **filters
        )
        .order_by("due_at")[: sweep.SWEEP_BATCH]
    )


def warn_due_credits(now: dt.datetime) -> int:
    """Warn the refunds desk once about each credit nearing its deadline."""
    with transaction.atomic():
        credits = _due_credits(warned_at__isnull=True, warn_at__lte=now, due_at__gte=now)
        for credit in credits:
            ProvisionalCredit.objects.filter(pk=credit.pk).update(warned_at=now)
            _notify(credit, kind=CREDIT_DUE_SOON, late=False)
    return len(credits)


def mark_late_credits(now: dt.datetime) -> int:
    """Mark each credit not made by its deadline late, for good, and tell the desk and the
    supervisors."""
    with transaction.atomic():
        credits = _due_credits(due_at__lt=now)
        for credit in credits:
            credit.late_at = credit.due_at
            credit._change_reason = "late"
            credit.save(update_fields=["late_at"])
            _notify(credit, kind=CREDIT_LATE, late=True)
    return len(credits)


def run_credit_clock(now: dt.datetime) -> dict[str, int]:
    return {"due_soon": warn_due_credits(now), "late": mark_late_credits(now)}
