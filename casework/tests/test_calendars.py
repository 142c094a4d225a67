"""Business time on the China calendar: holidays, make-up workdays (调休), overrides."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casework.models import BusinessCalendar, CalendarOverride, TimeUnit
from casework.sla.calendars import WorkingTime, default_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def china(db) -> WorkingTime:
    return WorkingTime(default_calendar())


def test_national_day_week_is_not_worked(china):
    assert not any(china.is_working_day(dt.date(2026, 10, day)) for day in range(1, 8))


def test_make_up_saturday_after_national_day_is_worked(china):
    assert dt.date(2026, 10, 10).weekday() == 5
    assert china.is_working_day(dt.date(2026, 10, 10))
    assert china.is_working_day(dt.date(2026, 9, 20))  # the make-up Sunday before


def test_ordinary_weekend_rests(china):
    assert not china.is_working_day(dt.date(2026, 10, 17))
    assert not china.is_working_day(dt.date(2026, 10, 18))


def test_fifteen_business_days_from_28_september_end_on_23_october(china):
    # 29, 30 Sep; 8, 9, 10 (make-up Saturday), 12-16, 19-23 Oct.
    assert china.add_business_days(at(2026, 9, 28, 10, 30), 15) == at(2026, 10, 23, 18, 0)


def test_thirty_five_business_days_after_a_holding_response(china):
    assert china.add(at(2026, 9, 28, 10, 30), 35, TimeUnit.BUSINESS_DAYS) == at(2026, 11, 20, 18, 0)


def test_business_hours_skip_nights_and_holidays(china):
    # 30 Sep 16:00 + 3 working hours: 2 h that day, then 1 h on 8 Oct after the holiday.
    assert china.add_business_minutes(at(2026, 9, 30, 16, 0), 180) == at(2026, 10, 8, 10, 0)


def test_business_hours_started_outside_hours_begin_at_opening(china):
    assert china.add_business_minutes(at(2026, 10, 12, 7, 0), 60) == at(2026, 10, 12, 10, 0)
    assert china.add_business_minutes(at(2026, 10, 9, 20, 0), 30) == at(2026, 10, 10, 9, 30)


def test_business_minutes_between_counts_only_working_time(china):
    assert china.business_minutes_between(at(2026, 9, 30, 17, 0), at(2026, 10, 8, 9, 15)) == 75
    assert china.business_minutes_between(at(2026, 10, 8, 9, 0), at(2026, 10, 8, 9, 0)) == 0


def test_calendar_units_ignore_the_calendar(china):
    start = at(2026, 9, 30, 16, 0)
    assert china.add(start, 5, TimeUnit.CALENDAR_DAYS) == at(2026, 10, 5, 16, 0)
    assert china.add(start, 48, TimeUnit.CALENDAR_HOURS) == at(2026, 10, 2, 16, 0)


def test_override_turns_a_working_day_into_a_day_off(db):
    calendar = default_calendar()
    CalendarOverride.objects.create(
        calendar=calendar, date=dt.date(2026, 10, 12), is_working_day=False, note="Typhoon"
    )
    working = WorkingTime(calendar)
    assert not working.is_working_day(dt.date(2026, 10, 12))
    assert working.add_business_days(at(2026, 10, 9, 12, 0), 2) == at(2026, 10, 13, 18, 0)


def test_override_turns_a_holiday_into_a_working_day(db):
    calendar = default_calendar()
    CalendarOverride.objects.create(calendar=calendar, date=dt.date(2026, 10, 7), is_working_day=True)
    assert WorkingTime(calendar).is_working_day(dt.date(2026, 10, 7))


def test_another_country_and_zone(db):
    # Seeded with the regimes (casework/migrations/0029_seed_regimes.py): DISP counts on it.
    calendar = BusinessCalendar.objects.get(name="United Kingdom")
    assert (calendar.country_code, calendar.time_zone) == ("GB", "Europe/London")
    assert (calendar.workday_starts_at, calendar.workday_ends_at) == (dt.time(9), dt.time(17))
    working = WorkingTime(calendar)
    london = ZoneInfo("Europe/London")
    # Christmas Day and Boxing Day (28 Dec substitute) 2026 rest in England.
    assert not working.is_working_day(dt.date(2026, 12, 25))
    assert working.add_business_days(dt.datetime(2026, 12, 24, 10, tzinfo=london), 1) == dt.datetime(
        2026, 12, 29, 17, tzinfo=london
    )


def fresh(calendar: BusinessCalendar) -> BusinessCalendar:
    return BusinessCalendar.objects.get(pk=calendar.pk)


def test_overrides_are_read_once_per_change_of_the_calendar(db, django_assert_num_queries):
    calendar = default_calendar()
    CalendarOverride.objects.create(calendar=calendar, date=dt.date(2026, 10, 12), is_working_day=False)
    WorkingTime(fresh(calendar)).is_working_day(dt.date(2026, 10, 12))

    reread = fresh(calendar)
    with django_assert_num_queries(0):
        assert not WorkingTime(reread).is_working_day(dt.date(2026, 10, 12))


def test_a_change_made_through_another_object_is_seen_by_a_calendar_read_afterwards(db):
    calendar = fresh(default_calendar())
    assert WorkingTime(calendar).is_working_day(dt.date(2026, 10, 12))

    # Elsewhere (another process, the admin): an override added, then one removed.
    elsewhere = fresh(calendar)
    override = CalendarOverride.objects.create(
        calendar=elsewhere, date=dt.date(2026, 10, 12), is_working_day=False
    )
    assert not WorkingTime(fresh(calendar)).is_working_day(dt.date(2026, 10, 12))

    CalendarOverride.objects.filter(pk=override.pk).delete()  # as the admin's "delete selected"
    assert WorkingTime(fresh(calendar)).is_working_day(dt.date(2026, 10, 12))


def test_saving_a_calendar_read_before_an_override_changed_does_not_bring_the_old_overrides_back(db):
    stale = fresh(default_calendar())
    assert WorkingTime(stale).overrides == {}  # read and kept under its token
    CalendarOverride.objects.create(calendar=fresh(stale), date=dt.date(2026, 10, 12), is_working_day=False)

    stale.workday_ends_at = dt.time(17, 30)
    stale.save()

    assert not WorkingTime(fresh(stale)).is_working_day(dt.date(2026, 10, 12))
