"""The end of a refund case: its deadline clock stops and the complaint it came from is
handed the outcome (resolved by a refund paid, a note otherwise; reopened by a payment
that failed)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.core.actors import Actor
from casework.models import HandbackKind
from casework.notices import outbox
from casework.sla import clocks
from casework.workspace import handbacks
from complaints import services as complaint_services
from complaints.models import ResolutionCode

from .. import reasons
from ..models import RefundCase, RefundState
from ..money import format_money
from .clock import clear_reminder, handler_mailboxes

FAILED_NOTICE = outbox.register_kind("refund_failed", pgettext_lazy("notice kind", "refund payment failed"))


def end_case(case: RefundCase, actor: Actor = None) -> None:
    """The case has ended: stop the deadline clock, and move the complaint it came from on."""
    clocks.stop_clock(case.sla_clock, at=timezone.now())
    clear_reminder(case)
    resolution = redress = None
    if case.state == RefundState.REFUNDED:
        redress = case.amount_to_pay  # the complaint's redress paid, for the returns
        summary = reasons.REFUNDED(
            money=format_money(case.amount_to_pay, case.currency),
            case=case.reference,
            processor_reference=case.processor_reference,
        )
        resolution = (ResolutionCode.REFUNDED, summary)
    with outbox.notice_language():  # a note the system writes: in the deployment's language
        note = (
            _("Refund case %(case)s ended %(state)s: %(reason)s.")
            if case.rejection_reason
            else _("Refund case %(case)s ended %(state)s.")
        ) % {
            "case": case.reference,
            "state": case.get_state_display(),
            "reason": case.rejection_reason.rstrip("."),
        }
    complaint_services.follow_linked_case(
        case, actor=actor, resolution=resolution, note=note, redress=redress
    )
    if resolution is not None:
        # The handler and the complaint's holder are told, after the complaint moved on.
        handbacks.hand_back_along(
            [case, case.complaint], kind=HandbackKind.REFUND_SETTLED, actor=actor, detail=str(resolution[1])
        )


def after_payment_failed(case: RefundCase, *, actor: Actor, error: str) -> None:
    """The money did not go: the handler hears of it, and the complaint's conversation reopens."""
    told = handler_mailboxes(case)
    with outbox.notice_language():
        subject = _("[%(reference)s] refund payment failed") % {"reference": case.reference}
        body = render_to_string("refunds/failed_notice.txt", {"case": case, "error": error})
    for recipient in told:
        outbox.enqueue(
            idempotency_key=f"refundcase-{case.pk}-failed-{case.instructions.count()}-{recipient}",
            kind=FAILED_NOTICE,
            recipient=recipient,
            subject=subject,
            body=body,
            case=case,
        )
    complaint_services.reopen_after_linked_case(
        case, actor=actor, reason=reasons.FAILED_AT_PAYMENTS(case=case.reference, error=error)
    )
    # On My work too: the handler (already e-mailed above) and the complaint's holder.
    handbacks.hand_back_along(
        [case, case.complaint], kind=HandbackKind.REFUND_FAILED, actor=actor, detail=error, told=told
    )
