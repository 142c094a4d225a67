"""Merging a duplicate complaint into the one that goes on (issue 18, *Merge*).

``merge_complaint`` closes ``complaint`` as ``merged`` into ``into`` (the survivor) and moves
to the survivor everything that was kept on it: internal notes, attachments, messages with
the partner, the customer's messages (``casework.CustomerMessage``), what came back to its
holder (``casework.Handback``), and the unlock requests and refund cases opened from it.
Each moved row is saved through its model, so its own history records the move; nothing
is deleted. Both trails get their record: the merged complaint's ``merge`` (the survivor's
reference, the reason, what moved, by type and id) and the survivor's ``merged in`` (the
other's reference, the same list). The merged complaint's SLA clock stops, as a withdrawal
stops it, and a partner that filed it is told by its webhook (``Mergeable.partner_event_details``
says what it may know of the survivor).

Both rows are locked in the order of their ids (two merges of the same pair, either way
round, queue behind each other instead of deadlocking), and the versions the caller read
are claimed: a change to either complaint since it was read refuses the merge.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from casework.cases.opening import require
from casework.cases.transitions import (
    PermittedStep,
    history_reason,
    permitted_transition,
    require_version,
)
from casework.core.actors import Actor
from casework.core.errors import InvalidInput
from casework.core.limits import refuse_overlong_reason
from casework.models import CustomerMessage, Handback
from casework.sla import clocks
from complaints import reasons
from complaints.duplicates import likely_duplicates
from complaints.models import Complaint, merge_refusal

REASON_NEEDED = gettext_lazy("Say why the complaints are the same: it is kept in both trails.")
# The trail's name of the survivor's record; "merge" is the merged complaint's transition.
MERGED_IN = "merged_in"


def moved_records(complaint: Complaint) -> dict[str, list[models.Model]]:
    """What is kept on ``complaint`` that a merge moves, by type, oldest first."""
    content_type = ContentType.objects.get_for_model(Complaint)
    on_it = {"content_type": content_type, "object_id": complaint.pk}
    return {
        "notes": list(complaint.notes.order_by("pk")),
        "attachments": list(complaint.attachments.order_by("pk")),
        "partner_messages": list(complaint.partner_messages.order_by("pk")),
        "customer_messages": list(CustomerMessage.objects.filter(**on_it).order_by("pk")),
        "handbacks": list(Handback.objects.filter(**on_it).order_by("pk")),
        # Opened from it (accounts and refunds build on complaints: their reverse relations).
        "account_requests": list(complaint.account_requests.order_by("pk")),
        "refund_cases": list(complaint.refund_cases.order_by("pk")),
    }


def _move(rows: Iterable[models.Model], into: Complaint, *, actor: Actor, reason: str) -> list[int]:
    """Point each row at ``into``, saved one by one through its model: a row with a history
    gets its history row (who, why), none is written behind the models' backs."""
    moved = []
    for row in rows:
        if hasattr(row, "complaint_id"):
            row.complaint = into
            fields = ["complaint"]
        else:  # a generic link to its case, with the case's reference beside it
            row.object_id = into.pk
            row.case_reference = into.reference
            fields = ["object_id", "case_reference"]
        row._history_user = actor
        row._change_reason = reason
        row.save(update_fields=fields)
        moved.append(row.pk)
    return moved


def _lock_as_read(*complaints: Complaint) -> None:
    """Lock the rows in id order, then refuse if either changed since it was read."""
    for complaint in sorted(complaints, key=lambda case: case.pk):
        stored = Complaint.objects.select_for_update().values_list("version", flat=True).get(pk=complaint.pk)
        require_version(complaint, stored)


def merge_complaint(*, complaint: Complaint, into: Complaint | None, actor: Actor, reason: str) -> Complaint:
    """Close ``complaint`` as a duplicate merged into ``into``; return it. One transaction.

    Refused (naming the field): no reason; no survivor, itself, a survivor not open or merged
    already, another customer's or another partner's complaint (``merge_refusal``). Refused
    as a state: ``complaint`` is not open. Refused as a concurrent change: either complaint
    changed since it was read.
    """
    merge = permitted_transition(complaint, "merge", actor=actor)
    require(reason, "reason", str(REASON_NEEDED))
    reason = reason.strip()
    if into is None:
        raise InvalidInput(merge_refusal(complaint, into)[1], field="into")
    # The survivor's trail says where it came from, in the words of the merge.
    merged_in = reasons.MERGED_IN(reference=complaint.reference, reason=reason)
    refuse_overlong_reason(merged_in.canonical())
    with transaction.atomic():
        _lock_as_read(complaint, into)
        refusal = merge_refusal(complaint, into)
        if refusal is not None:
            raise InvalidInput(refusal[1], field=refusal[0])
        why = history_reason(
            reasons.MOVED_BY_MERGE(merged=complaint.reference, into=into.reference, reason=reason).canonical()
        )
        moved = {
            kind: _move(rows, into, actor=actor, reason=why)
            for kind, rows in moved_records(complaint).items()
        }
        moved = {kind: ids for kind, ids in moved.items() if ids}
        merge.run(
            reason=reason,
            data={"into": into.reference, "moved": moved},
            before_save=lambda: clocks.stop_clock(complaint.sla_clock, at=timezone.now()),
            arguments={"into": into},
        )
        # The survivor's own record: what came to it and from where. Its permission is the
        # merge's, checked above; it keeps its state.
        PermittedStep(into, MERGED_IN, actor).run(
            apply=lambda: None,
            reason=merged_in,
            data={"from": complaint.reference, "moved": moved},
        )
    return complaint


def merge_choices(complaint: Complaint) -> list[Complaint]:
    """The complaints ``complaint`` may be merged into that look like its duplicates
    (``complaints.duplicates``), nearest first: what the merge form offers."""
    return [found for found in likely_duplicates(complaint)[:20] if merge_refusal(complaint, found) is None]
