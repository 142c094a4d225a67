"""What the cases opened from a complaint (an unlock request, a refund case) hand it when
they end: the outcome, a reopening, or a note."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from casework.cases.transitions import (
    run_transition,
)
from casework.core.actors import Actor
from casework.core.errors import CaseworkError
from casework.notices import outbox
from casework.sla import clocks
from casework.trail.reasons import SystemReason
from complaints.models import (
    Complaint,
    ComplaintNote,
    State,
)
from complaints.services import classification
from complaints.services.cases import answered_and_stopped

logger = logging.getLogger(__name__)


# What the cases opened from a complaint (an unlock request, a refund case) hand it when
# they end. Run inside the linked case's transaction; the complaint's own change is a
# savepoint, so a complaint that cannot follow never undoes the linked case's end.


def _written(reason: str | SystemReason) -> str:
    """A system reason as text the complaint keeps (its resolution summary, a note): in the
    deployment's language, as notices are, not in the triggering request's."""
    if not isinstance(reason, SystemReason):
        return reason
    with outbox.notice_language():
        return reason.render()


def _resolve_by_linked_case(
    *, complaint: Complaint, code: str, summary: str | SystemReason, linked_case, redress: Decimal | None
) -> bool:
    """Resolve as the system on the linked case's behalf; False (and nothing changed) when
    the complaint cannot resolve now, e.g. while it waits on the customer. Upheld, with
    the redress paid and the codes it has (``classification.automatic_resolution``)."""
    if complaint.state not in (State.ACCEPTED, State.IN_PROGRESS, State.ESCALATED):
        return False
    resolution = classification.automatic_resolution(complaint, redress_amount=redress)

    run_transition(
        complaint,
        "resolve",
        actor=None,
        system_label=f"{linked_case._meta.verbose_name_raw} {linked_case.reference}",
        reason=summary,
        data={"code": code, "linked_case": linked_case.reference, **resolution.trail()},
        before_save=lambda: (answered_and_stopped(complaint), resolution.apply(complaint)),
        arguments={"code": code, "summary": _written(summary), "is_first_contact": False},
    )
    if resolution.missing:  # the holder records them (Classify): the returns count it then
        with outbox.notice_language():
            note = classification.missing_codes_note(resolution)
        _add_linked_case_note(complaint=complaint, author=linked_case.submitted_by, body=note)
    return True


def _reopen_by_linked_case(*, complaint: Complaint, reason: str | SystemReason, linked_case) -> Complaint:
    return run_transition(
        complaint,
        "reopen",
        actor=None,
        system_label=f"{linked_case._meta.verbose_name_raw} {linked_case.reference}",
        reason=reason,
        data={"linked_case": linked_case.reference},
        before_save=lambda: clocks.restart_clock(complaint.sla_clock, at=timezone.now()),
    )


def _add_linked_case_note(*, complaint: Complaint, author, body: str) -> ComplaintNote:
    note = ComplaintNote(complaint=complaint, author=author, body=body)
    note._history_user = author
    note.save()
    return note


def _linked_case_note(linked_case, actor: Actor, body: str) -> None:
    # By the staff member acting, else by whoever opened the linked case: the clock, the
    # payments system and a partner are nobody in the back office.
    author = actor if getattr(actor, "is_staff", False) else linked_case.submitted_by
    _add_linked_case_note(complaint=linked_case.complaint, author=author, body=body)


def follow_linked_case(
    linked_case,
    *,
    actor: Actor,
    note: str,
    resolution: tuple[str, str | SystemReason] | None = None,
    redress: Decimal | None = None,
) -> None:
    """A case opened from a complaint (``linked_case.complaint``) has ended: ended well
    (``resolution``, the code and the summary the customer is told; ``redress``, what was
    paid), the open complaint resolves with it, upheld; if it cannot now (it waits on the
    customer), or the case ended otherwise, the agent reads ``note`` on it and takes the
    complaint on. A complaint no longer open is left as it is."""
    complaint = linked_case.complaint
    if complaint is None or not complaint.is_open:
        return
    if resolution is not None:
        code, summary = resolution
        try:
            with transaction.atomic():
                if _resolve_by_linked_case(
                    complaint=complaint, code=code, summary=summary, linked_case=linked_case, redress=redress
                ):
                    return
        except CaseworkError:
            logger.exception("Complaint %s could not follow %s", complaint, linked_case)
    _linked_case_note(linked_case, actor, note)


def reopen_after_linked_case(linked_case, *, actor: Actor, reason: str | SystemReason) -> None:
    """A case opened from a complaint went wrong after the complaint resolved (a refund that
    failed at payments): the conversation with the customer reopens, within the window,
    with ``reason``. A complaint that cannot reopen, or is still open, gets it as a note."""
    complaint = linked_case.complaint
    if complaint is None:
        return
    if complaint.state == State.RESOLVED:
        try:
            with transaction.atomic():
                _reopen_by_linked_case(complaint=complaint, reason=reason, linked_case=linked_case)
                return
        except CaseworkError:
            logger.exception("Complaint %s could not reopen after %s", complaint, linked_case)
    if complaint.is_open or complaint.state == State.RESOLVED:
        _linked_case_note(linked_case, actor, _written(reason))
