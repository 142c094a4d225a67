"""The refund deadline's clock: reminders to the handler before the deadline, the overdue
notice after it, and a first response late."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.cases import sweep
from casework.cases.teams import team_for_code
from casework.notices import outbox

from ..models import RefundCase

REMINDER_NOTICE = outbox.register_kind("refund_reminder", pgettext_lazy("notice kind", "refund reminder"))
REFUNDS_TEAM = "refunds"
SUPERVISORS_TEAM = "supervisors"


def clear_reminder(case: RefundCase) -> None:
    case.next_reminder_at = None
    RefundCase.objects.filter(pk=case.pk).update(next_reminder_at=None)


def schedule_reminder(case: RefundCase) -> None:
    """The next reminder still to send for the current deadline, if any."""
    clock = case.sla_clock
    offsets = settings.REFUND_REMINDER_DAYS_BEFORE[case.reminders_sent :]
    if clock.stopped_at or clock.paused_at or not offsets:
        clear_reminder(case)
        return
    case.next_reminder_at = clock.resolution_due_at - dt.timedelta(days=offsets[0])
    RefundCase.objects.filter(pk=case.pk).update(
        next_reminder_at=case.next_reminder_at, reminders_sent=case.reminders_sent
    )


def handler_mailboxes(case: RefundCase) -> list[str]:
    if case.handler_id and case.handler.email:
        return [case.handler.email]
    return [team_for_code(REFUNDS_TEAM).mailbox]


def send_reminders(now: dt.datetime) -> int:
    """Remind the handler at each configured offset before the deadline, once each."""
    offsets = settings.REFUND_REMINDER_DAYS_BEFORE
    sent = 0
    with transaction.atomic():
        due = list(
            RefundCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("sla_clock", "transaction", "handler")
            .filter(next_reminder_at__lte=now)
            .order_by("next_reminder_at")[: sweep.SWEEP_BATCH]
        )
        for case in due:
            deadline = case.sla_clock.resolution_due_at
            index = case.reminders_sent
            while index < len(offsets) and deadline - dt.timedelta(days=offsets[index]) <= now:
                index += 1
            if now < deadline and index > case.reminders_sent:
                days = offsets[index - 1]
                with outbox.notice_language():
                    subject = _("[%(reference)s] refund due %(deadline)s") % {
                        "reference": case.reference,
                        "deadline": sweep.local(deadline),
                    }
                    body = render_to_string("refunds/clock_notice.txt", {"case": case, "kind": "reminder"})
                for recipient in handler_mailboxes(case):
                    outbox.enqueue(
                        idempotency_key=f"refundcase-{case.pk}-reminder-{days}d-{deadline:%Y%m%d%H%M}-{recipient}",
                        kind=REMINDER_NOTICE,
                        recipient=recipient,
                        subject=subject,
                        body=body,
                        case=case,
                    )
                sent += 1
            else:
                index = len(offsets)  # past the deadline: the overdue notice takes over
            case.reminders_sent = index
            remaining = offsets[index:]
            case.next_reminder_at = deadline - dt.timedelta(days=remaining[0]) if remaining else None
            RefundCase.objects.filter(pk=case.pk).update(
                reminders_sent=case.reminders_sent, next_reminder_at=case.next_reminder_at
            )
    return sent


CLOCKED = sweep.ClockedCases(
    model=RefundCase,
    clock_relation="refund_case",
    related=("transaction", "handler"),
    template="refunds/clock_notice.txt",
    due_soon_recipients=handler_mailboxes,
    # Overdue: the handler and, as the escalation, the supervisors.
    breach_recipients=lambda case: sorted(
        {*handler_mailboxes(case), team_for_code(SUPERVISORS_TEAM).mailbox}
    ),
)


def run_clock(now: dt.datetime) -> dict[str, int]:
    return {
        "reminders": send_reminders(now),
        "overdue": sweep.mark_breaches(CLOCKED, now),
        "late_first_response": sweep.mark_late_first_responses(CLOCKED, now),
    }
