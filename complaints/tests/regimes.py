"""Complaints under a regime, for the extension tests: the regime is recorded on the
complaint and its clock as registration records it once the clocks follow the regimes
(``under``); everything else goes through the services."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from casework.models import SlaClock
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
# Received on Monday 3 August 2026: day 60 is 2 October, inside the National Day holiday
# (1-7 October 2026), so the civil-law count runs to the next working day, 8 October.
RECEIVED = dt.datetime(2026, 8, 3, 10, 0, tzinfo=SHANGHAI)
DAY_60 = dt.datetime(2026, 10, 8, 18, 0, tzinfo=SHANGHAI)
REASON = "The acquiring bank must trace the payment through the card scheme."


def under(complaint: Complaint, regime) -> Complaint:
    """Record ``regime`` on the complaint and its clock, as registration does once the clocks
    follow the regimes."""
    Complaint.objects.filter(pk=complaint.pk).update(regime=regime)
    SlaClock.objects.filter(pk=complaint.sla_clock_id).update(regime=regime)
    return Complaint.objects.select_related("sla_clock").get(pk=complaint.pk)


def received_complaint(agent, regime, **details) -> Complaint:
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        received_at=RECEIVED,
        transaction_at=RECEIVED - dt.timedelta(hours=3),
        **details,
    )
    return under(complaint, regime)


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_related("sla_clock").get(pk=complaint.pk)
