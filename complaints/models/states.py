"""A complaint's states and whose turn it is: read by the model, its merge mixin and
everything that counts complaints by state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("received")
    ACCEPTED = "accepted", _("accepted")
    IN_PROGRESS = "in_progress", _("in progress")
    ESCALATED = "escalated", _("escalated")
    AWAITING_CUSTOMER = "awaiting_customer", _("awaiting customer")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    # A duplicate closed into the complaint that goes on (``merged_into``): not open, not
    # resolved, and not counted as received (its survivor is).
    MERGED = "merged", _("merged")


OPEN_STATES = (
    State.RECEIVED,
    State.ACCEPTED,
    State.IN_PROGRESS,
    State.ESCALATED,
    State.AWAITING_CUSTOMER,
)
# The ends a complaint never leaves: retention's period runs from them.
ENDED_STATES = (State.CLOSED, State.REJECTED, State.WITHDRAWN, State.MERGED)


class Turn(models.TextChoices):
    """Whose move it is; kept apart from the state and from lateness."""

    AGENT = "agent", _("agent")
    TEAM = "team", _("escalation team")
    CUSTOMER = "customer", _("customer")
    NOBODY = "nobody", _("nobody")
