"""Provisional credits (Regulation E): credit the disputed amount by the regime's deadline,
reverse it with notice when no error is found, make it final when one is; and what a
complaint's Reg E extension asks before it may run to 45 (90) days."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext

from refunds.models import CreditState, ProvisionalCredit

# A credit that stands: made, and not taken back.
STANDING_STATES = (CreditState.CREDITED, CreditState.FINAL)


def provisional_credit_refusal(complaint, *, by: dt.datetime) -> str | None:
    """Why the complaint's extension that needs a provisional credit may not run, or
    ``None``: a credit on one of its refund cases, made by ``by`` and not reversed."""
    standing = ProvisionalCredit.objects.filter(
        refund_case__complaint=complaint, state__in=STANDING_STATES, credited_at__lte=by
    ).exists()
    if standing:
        return None
    return gettext(
        "The longer limit needs the disputed amount provisionally credited by %(by)s: credit it "
        "on the complaint's refund case first."
    ) % {"by": timezone.localtime(by).strftime("%Y-%m-%d %H:%M")}
