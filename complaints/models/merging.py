"""Merging a duplicate complaint into the one that goes on (issue 18).

A complaint the same customer filed twice (the hotline and a partner, say: see
``complaints.duplicates``) is closed as ``merged`` into the other, the survivor: its
``merged_into`` names the survivor (kept in its history), and the survivor lists it as
``merged_from``. What may be merged into what is one rule, :func:`merge_refusal`, asked by
the service (``complaints.services.merging``) and by the admin's merge form for its choices.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from complaints.models.states import OPEN_STATES, State, Turn

MERGE_PERMISSION = "complaints.merge_complaint"


class Mergeable(models.Model):
    """The ``merge`` transition and the link it leaves, for ``Complaint``."""

    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
        help_text=_("The complaint this duplicate was merged into; its work goes on there."),
    )

    class Meta:
        abstract = True

    @transition(
        field="state",
        source=list(OPEN_STATES),
        target=State.MERGED,
        permission=MERGE_PERMISSION,
        custom={"label": _("Merge")},
    )
    def merge(self, *, into: Mergeable) -> None:
        self.merged_into = into
        self.turn = Turn.NOBODY

    def partner_event_details(self, record) -> dict:
        """What the partner's webhook adds to a transition (``casework.notices.partner_webhooks``):
        a merge names the survivor only when it is the same partner's complaint; otherwise the
        partner learns that it was merged, and nothing of a case it may not see."""
        if record.transition != "merge":
            return {}
        into = self.merged_into
        is_its_own = into is not None and into.partner_id is not None and into.partner_id == self.partner_id
        return {"merged_into": into.reference if is_its_own else None}


def merge_refusal(complaint: Mergeable, into: Mergeable | None) -> tuple[str, str] | None:
    """Why ``complaint`` may not be merged into ``into``, as (field, words), or None.

    The complaint's own state is its transition's (``merge`` leaves only an open state). The
    survivor must be another open complaint, not merged itself, of the same customer (as
    identified by what was verified: ``casework.customers``) and not another partner's. A
    merge across customers is refused outright, whoever asks: it would move one person's
    messages and documents onto another's case; if the two are one person, their details
    are corrected first and the complaints then share their customer."""
    if into is None:
        return "into", gettext("Choose the complaint this one duplicates.")
    if into.pk == complaint.pk:
        return "into", gettext(
            "A complaint cannot be merged into itself: choose the complaint it duplicates."
        )
    if into.state == State.MERGED:
        return "into", gettext("%(into)s was itself merged into %(survivor)s: merge into that one.") % {
            "into": into,
            "survivor": into.merged_into,
        }
    if into.state not in OPEN_STATES:
        return "into", gettext("%(into)s is %(state)s: merge only into an open complaint.") % {
            "into": into,
            "state": into.get_state_display(),
        }
    if complaint.customer_id is None or complaint.customer_id != into.customer_id:
        return "into", gettext(
            "%(into)s is not the same customer's complaint: only a duplicate of the same customer's "
            "complaint is merged (correct the customer's details first if they are one person)."
        ) % {"into": into}
    if complaint.partner_id and into.partner_id and complaint.partner_id != into.partner_id:
        return "into", gettext(
            "%(into)s was filed by another partner: each partner's messages stay with its own complaints."
        ) % {"into": into}
    return None
