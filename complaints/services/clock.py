"""The complaint's clock: what the sweep does with no user, never from a door."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings

from casework.cases import sweep
from casework.cases.teams import team_for_code
from complaints import reasons
from complaints.models import (
    Complaint,
    State,
)
from complaints.services.cases import SUPERVISORS_TEAM

logger = logging.getLogger(__name__)


# The clock's use cases: run by the sweep with no user, never from a door.

CLOCKED = sweep.ClockedCases(
    model=Complaint,
    clock_relation="complaint",
    related=("team", "assigned_to"),
    template="complaints/clock_notice.txt",
    due_soon_recipients=lambda complaint: [complaint.team.mailbox],
    breach_recipients=lambda complaint: sorted(
        {complaint.team.mailbox, team_for_code(SUPERVISORS_TEAM).mailbox}
    ),
)


def auto_close_resolved(now: dt.datetime) -> int:
    """Close complaints left resolved for the configured number of days."""
    days = settings.COMPLAINT_AUTO_CLOSE_DAYS
    due = Complaint.objects.filter(
        state=State.RESOLVED, resolved_at__lte=now - dt.timedelta(days=days)
    ).order_by("resolved_at")
    return sweep.run_due_transitions(due, "close", reason=reasons.AUTO_CLOSED(days=days))


def run_clock(now: dt.datetime) -> dict[str, int]:
    return {
        "due_soon": sweep.warn_due_soon(CLOCKED, now),
        "breached": sweep.mark_breaches(CLOCKED, now),
        "first_response_late": sweep.mark_late_first_responses(CLOCKED, now),
        "auto_closed": auto_close_resolved(now),
    }
