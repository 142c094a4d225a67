"""The SLA clock: start on the policy, pause to the minute, extend, stop, stay late."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casework.core.errors import InvalidInput
from casework.models import SlaPolicy, SlaStatus, TimeUnit
from casework.sla import clocks
from casework.sla.calendars import default_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def fifteen_days(db) -> SlaPolicy:
    return SlaPolicy.objects.get(case_type="complaint", category="", priority="")


@pytest.fixture
def four_hours(db) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Chat: 4 business hours",
        case_type="complaint",
        category="slow_service",
        priority="high",
        calendar=default_calendar(),
        first_response_target=30,
        first_response_unit=TimeUnit.CALENDAR_HOURS,
        resolution_target=4,
        resolution_unit=TimeUnit.BUSINESS_HOURS,
        due_soon_minutes=60,
    )


def test_the_default_complaint_policy_is_the_regulatory_15_35_preset(fifteen_days):
    assert (fifteen_days.resolution_target, fifteen_days.extended_resolution_target) == (15, 35)
    assert fifteen_days.resolution_unit == TimeUnit.BUSINESS_DAYS


def test_most_specific_policy_wins(fifteen_days, four_hours):
    assert clocks.policy_for(case_type="complaint", category="slow_service", priority="high") == four_hours
    assert clocks.policy_for(case_type="complaint", category="slow_service", priority="low") == fifteen_days
    urgent = clocks.policy_for(case_type="complaint", category="transaction", priority="urgent")
    assert urgent.priority == "urgent"


def test_no_policy_is_a_clear_error(db):
    SlaPolicy.objects.filter(case_type="refund").update(is_active=False)
    with pytest.raises(InvalidInput, match="No active SLA policy"):
        clocks.policy_for(case_type="refund", category="x")


def test_clock_accepted_28_september_is_due_on_23_october(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=at(2026, 9, 28, 10, 0))
    assert clock.resolution_due_at == at(2026, 10, 23, 18, 0)
    assert clock.resolution_warn_at == at(2026, 10, 23, 10, 0)  # 8 hours' warning
    assert clock.first_response_due_at == at(2026, 9, 29, 18, 0)


def test_waiting_on_the_customer_pauses_to_the_minute(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    assert clock.resolution_due_at == at(2026, 10, 12, 13, 0)
    clocks.pause_clock(clock, at=at(2026, 10, 12, 10, 0))
    assert clock.status(at(2026, 10, 12, 15, 0)) == SlaStatus.ON_TRACK  # paused: not late
    clocks.resume_clock(clock, at=at(2026, 10, 12, 11, 37))
    assert clock.paused_minutes_total == 97
    assert clock.resolution_due_at == at(2026, 10, 12, 14, 37)


def test_a_pause_over_a_night_counts_only_working_minutes(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 9, 15, 0))
    # Due 10 Oct (make-up Saturday) 10:00: 3 h on Friday, 1 h on Saturday.
    assert clock.resolution_due_at == at(2026, 10, 10, 10, 0)
    clocks.pause_clock(clock, at=at(2026, 10, 9, 17, 30))
    clocks.resume_clock(clock, at=at(2026, 10, 10, 9, 10))
    assert clock.paused_minutes_total == 40
    assert clock.resolution_due_at == at(2026, 10, 10, 10, 40)


def test_pause_on_a_business_day_target_moves_it_by_business_minutes(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=at(2026, 9, 28, 10, 0))
    clocks.pause_clock(clock, at=at(2026, 10, 8, 17, 0))
    clocks.resume_clock(clock, at=at(2026, 10, 9, 10, 30))
    assert clock.paused_minutes_total == 60 + 90
    assert clock.resolution_due_at == at(2026, 10, 26, 11, 30)


def test_holding_response_moves_the_deadline_to_35_business_days(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=at(2026, 9, 28, 10, 0))
    clocks.extend_clock(clock)
    assert clock.resolution_due_at == at(2026, 11, 20, 18, 0)
    with pytest.raises(InvalidInput, match="already"):
        clocks.extend_clock(clock)


def test_holding_response_needs_an_extended_limit(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    with pytest.raises(InvalidInput, match="no extended limit"):
        clocks.extend_clock(clock)


def test_status_goes_on_track_due_soon_breached(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    assert clock.status(at(2026, 10, 12, 11, 59)) == SlaStatus.ON_TRACK
    assert clock.status(at(2026, 10, 12, 12, 0)) == SlaStatus.DUE_SOON
    assert clock.status(at(2026, 10, 12, 13, 0)) == SlaStatus.BREACHED


def test_resolved_late_stays_late(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    clocks.stop_clock(clock, at=at(2026, 10, 12, 16, 0))
    assert clock.resolution_breached_at == at(2026, 10, 12, 13, 0)
    assert clock.is_breached(at(2026, 12, 1, 0, 0))


def test_resolved_in_time_is_not_late(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    clocks.stop_clock(clock, at=at(2026, 10, 12, 12, 0))
    assert not clock.is_breached(at(2026, 12, 1, 0, 0))
    assert clock.status(at(2026, 12, 1, 0, 0)) == SlaStatus.ON_TRACK


def test_stopping_a_paused_clock_counts_the_pause(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    clocks.pause_clock(clock, at=at(2026, 10, 12, 10, 0))
    clocks.stop_clock(clock, at=at(2026, 10, 12, 15, 0))
    assert clock.resolution_due_at == at(2026, 10, 12, 18, 0)
    assert not clock.is_breached()


def test_first_response_after_its_target_is_marked(fifteen_days):
    clock = clocks.start_clock(policy=fifteen_days, started_at=at(2026, 9, 28, 10, 0))
    clocks.record_first_response(clock, at=at(2026, 9, 30, 9, 0))
    assert clock.first_response_breached_at == at(2026, 9, 30, 9, 0)
    assert clock.is_breached(at(2026, 9, 30, 9, 0))


def test_reopening_does_not_count_the_resolved_time(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    clocks.stop_clock(clock, at=at(2026, 10, 12, 10, 0))
    clocks.restart_clock(clock, at=at(2026, 10, 13, 9, 0))
    assert clock.stopped_at is None
    assert clock.resolution_due_at == at(2026, 10, 13, 12, 0)


def test_a_pause_after_the_deadline_keeps_the_case_late(four_hours):
    clock = clocks.start_clock(policy=four_hours, started_at=at(2026, 10, 12, 9, 0))
    clocks.pause_clock(clock, at=at(2026, 10, 12, 14, 0))  # an hour late, before the sweep ran
    assert clock.resolution_breached_at == at(2026, 10, 12, 13, 0)
    assert clock.is_breached(at(2026, 10, 12, 15, 0))
