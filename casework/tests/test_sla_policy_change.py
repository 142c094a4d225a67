"""A corrected case's clock on its new policy (``casework.sla.clocks.change_policy``): both
deadlines again from the start, pauses, extensions and a given first response kept, and
lateness that follows the new deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casework.core.errors import InvalidInput
from casework.models import SlaClock, SlaPolicy, SlaStatus, TimeUnit
from casework.sla import clocks
from casework.sla.calendars import default_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 2 November 2026, 10:00: a plain working week.
STARTED = dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def fifteen_days(db) -> SlaPolicy:
    """First response in 1 business day, resolution in 15 (35 after a holding response)."""
    return SlaPolicy.objects.get(case_type="complaint", category="", priority="")


@pytest.fixture
def urgent(db) -> SlaPolicy:
    """First response in 2 business hours, resolution in 3 business days (15 extended)."""
    return SlaPolicy.objects.get(case_type="complaint", category="", priority="urgent")


def a_policy(**targets) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Slow service, high",
        case_type="complaint",
        category="slow_service",
        priority="high",
        calendar=default_calendar(),
        **{
            "first_response_target": 4,
            "first_response_unit": TimeUnit.BUSINESS_HOURS,
            "resolution_target": 5,
            "resolution_unit": TimeUnit.BUSINESS_DAYS,
            "due_soon_minutes": 240,
            **targets,
        },
    )


def test_both_deadlines_are_worked_out_again_from_the_start(fifteen_days, urgent):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    assert clock.first_response_due_at == at(2026, 11, 3, 18, 0)
    assert clock.resolution_due_at == at(2026, 11, 23, 18, 0)

    clocks.change_policy(clock, urgent, at=at(2026, 11, 2, 11, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.policy == urgent
    assert clock.started_at == STARTED
    assert clock.first_response_due_at == at(2026, 11, 2, 12, 0)
    assert clock.resolution_due_at == at(2026, 11, 5, 18, 0)
    assert clock.resolution_warn_at == at(2026, 11, 5, 14, 0)  # the new policy's 4 hours' warning
    assert clock.status(at(2026, 11, 2, 11, 0)) == SlaStatus.ON_TRACK
    assert clock.status(at(2026, 11, 5, 15, 0)) == SlaStatus.DUE_SOON


def test_a_paused_clock_keeps_its_pauses_and_stays_paused(fifteen_days, urgent):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    clocks.record_first_response(clock, at=at(2026, 11, 2, 11, 0))
    clocks.pause_clock(clock, at=at(2026, 11, 2, 14, 0))
    clocks.resume_clock(clock, at=at(2026, 11, 2, 16, 0))  # two working hours waited
    clocks.pause_clock(clock, at=at(2026, 11, 3, 10, 0))  # waiting again

    clocks.change_policy(clock, urgent, at=at(2026, 11, 3, 11, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.paused_minutes_total == 120
    assert clock.paused_at == at(2026, 11, 3, 10, 0)
    # 3 business days from the start, then the two hours already waited.
    assert clock.resolution_due_at == at(2026, 11, 6, 11, 0)
    assert clock.status(at(2026, 11, 9, 10, 0)) == SlaStatus.ON_TRACK  # paused: not late
    # The pause still open counts when the customer answers, on the new policy.
    clocks.resume_clock(clock, at=at(2026, 11, 3, 12, 0))
    assert clock.paused_minutes_total == 240
    assert clock.resolution_due_at == at(2026, 11, 6, 13, 0)


def test_a_paused_clock_past_its_new_deadline_is_late(fifteen_days, urgent):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    clocks.record_first_response(clock, at=at(2026, 11, 2, 11, 0))
    clocks.pause_clock(clock, at=at(2026, 11, 6, 9, 30))

    clocks.change_policy(clock, urgent, at=at(2026, 11, 6, 10, 0))

    # Paused after the urgent deadline (5 November, 18:00): late before the pause.
    assert clock.resolution_breached_at == at(2026, 11, 5, 18, 0)
    assert clock.status(at(2026, 11, 6, 10, 0)) == SlaStatus.BREACHED


def test_an_extended_clock_keeps_its_extension(fifteen_days, urgent):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    clocks.extend_clock(clock)
    assert clock.resolution_due_at == at(2026, 12, 21, 18, 0)  # 35 business days

    clocks.change_policy(clock, urgent, at=at(2026, 11, 2, 11, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.is_extended
    assert clock.resolution_due_at == at(2026, 11, 23, 18, 0)  # the urgent policy's 15 days


def test_an_extended_clock_is_not_moved_to_a_policy_without_an_extension(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    clocks.extend_clock(clock)
    no_extension = a_policy(extended_resolution_target=None)

    with pytest.raises(InvalidInput, match="has none") as refused:
        clocks.change_policy(clock, no_extension, at=at(2026, 11, 2, 11, 0))

    assert refused.value.field == "category"
    clock = SlaClock.objects.get(pk=clock.pk)
    assert (clock.policy, clock.resolution_due_at) == (fifteen_days, at(2026, 12, 21, 18, 0))


def test_pauses_counted_in_business_time_are_not_recounted_in_calendar_time(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    clocks.pause_clock(clock, at=at(2026, 11, 2, 14, 0))
    clocks.resume_clock(clock, at=at(2026, 11, 2, 16, 0))
    calendar_days = a_policy(resolution_target=10, resolution_unit=TimeUnit.CALENDAR_DAYS)

    with pytest.raises(InvalidInput, match="paused for 120 minutes"):
        clocks.change_policy(clock, calendar_days, at=at(2026, 11, 3, 9, 0))

    assert SlaClock.objects.get(pk=clock.pk).policy == fifteen_days


def test_a_first_response_given_stays_as_it_was(fifteen_days, urgent):
    clock = clocks.start_clock(policy=urgent, started_at=STARTED)
    clocks.record_first_response(clock, at=at(2026, 11, 2, 13, 0))  # an hour late
    assert clock.first_response_breached_at == at(2026, 11, 2, 13, 0)

    clocks.change_policy(clock, fifteen_days, at=at(2026, 11, 2, 14, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.first_responded_at == at(2026, 11, 2, 13, 0)
    assert clock.first_response_due_at == at(2026, 11, 2, 12, 0)
    assert clock.first_response_breached_at == at(2026, 11, 2, 13, 0)


def test_a_breach_on_the_wrong_policy_goes_when_the_new_deadline_is_ahead(fifteen_days, urgent):
    clock = clocks.start_clock(policy=urgent, started_at=STARTED)
    clocks.record_first_response(clock, at=at(2026, 11, 2, 11, 0))
    # As the sweep marks it, past the urgent deadline.
    clock.resolution_breached_at = clock.resolution_due_at
    clock.save()
    assert clock.status(at(2026, 11, 6, 9, 0)) == SlaStatus.BREACHED

    clocks.change_policy(clock, fifteen_days, at=at(2026, 11, 6, 9, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.resolution_breached_at is None
    assert clock.resolution_due_at == at(2026, 11, 23, 18, 0)
    assert clock.status(at(2026, 11, 6, 9, 0)) == SlaStatus.ON_TRACK


def test_a_deadline_brought_forward_past_now_is_late_at_once(fifteen_days, urgent):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)

    clocks.change_policy(clock, urgent, at=at(2026, 11, 6, 9, 0))

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.status(at(2026, 11, 6, 9, 0)) == SlaStatus.BREACHED
    # Unanswered past the new first-response target: marked late, as the sweep does.
    assert clock.first_response_breached_at == at(2026, 11, 2, 12, 0)
    # The resolution's breach is left to the sweep, which marks it and tells the supervisors.
    assert clock.resolution_breached_at is None


def test_a_warning_given_is_given_again_before_the_new_deadline(fifteen_days, urgent):
    clock = clocks.start_clock(policy=urgent, started_at=STARTED)
    clock.due_soon_notified_at = at(2026, 11, 5, 14, 30)  # as the sweep records its warning
    clock.save()

    clocks.change_policy(clock, fifteen_days, at=at(2026, 11, 5, 15, 0))

    assert SlaClock.objects.get(pk=clock.pk).due_soon_notified_at is None


def test_the_same_policy_changes_nothing(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=STARTED)
    rows = clock.history.count()

    clocks.change_policy(clock, fifteen_days, at=at(2026, 11, 2, 11, 0))

    assert clock.history.count() == rows
