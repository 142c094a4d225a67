"""Business time on a calendar: which days work, and adding or measuring working time.

Working days come from the ``holidays`` package (for China it knows the make-up
workdays, 调休), overridden day by day in the admin. A business day ends at the
calendar's closing time; a business hour is an hour inside the working day.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

from casework.models import BusinessCalendar, TimeUnit

# A target more than this many days away is a configuration mistake, not a deadline.
MAX_SEARCH_DAYS = 3660


@lru_cache(maxsize=64)
def _country_holidays(country_code: str, year: int) -> holidays.HolidayBase:
    """One country's public holidays and make-up workdays for one year, built once per process:
    building them is slow and they do not change while it runs (the admin's overrides do, and
    are read per calendar). Asked only about days of that year, so never grows afterwards."""
    return holidays.country_holidays(country_code, years=year)


# Overrides as read, by calendar and overrides token: every change to a calendar's
# overrides gives it a new token in the same transaction, so what is kept here under a token
# is what the calendar held with it, and a calendar row read afresh asks for the new set.
# (Rows changed with QuerySet.update() bypass this; the admin does not.)
_overrides_read: dict[tuple[int, object], dict[dt.date, bool]] = {}
OVERRIDES_KEPT = 64


class WorkingTime:
    """Answers "is this a working day" and does arithmetic in working minutes."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.time_zone)
        self.opens = calendar.workday_starts_at
        self.closes = calendar.workday_ends_at

    @cached_property
    def overrides(self) -> dict[dt.date, bool]:
        calendar = self.calendar
        if calendar.pk is None:
            return {}
        key = (calendar.pk, calendar.overrides_token)
        overrides = _overrides_read.get(key)
        if overrides is None:
            overrides = dict(calendar.overrides.values_list("date", "is_working_day"))
            while len(_overrides_read) >= OVERRIDES_KEPT:
                _overrides_read.pop(next(iter(_overrides_read)), None)
            _overrides_read[key] = overrides
        return overrides

    def _holidays_for(self, year: int) -> holidays.HolidayBase:
        return _country_holidays(self.calendar.country_code, year)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return self._holidays_for(day.year).is_working_day(day)

    def _open(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.opens, tzinfo=self.zone)

    def _close(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.closes, tzinfo=self.zone)

    def _working_days_from(self, day: dt.date):
        for offset in range(MAX_SEARCH_DAYS):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                yield candidate
        raise ValueError(f"No working day within {MAX_SEARCH_DAYS} days of {day}")

    def add_business_minutes(self, start: dt.datetime, minutes: int) -> dt.datetime:
        """The moment ``minutes`` of working time after ``start``."""
        if minutes <= 0:
            return start
        local = start.astimezone(self.zone)
        remaining = dt.timedelta(minutes=minutes)
        for day in self._working_days_from(local.date()):
            window_start = max(local, self._open(day)) if day == local.date() else self._open(day)
            window_end = self._close(day)
            if window_start >= window_end:
                continue
            available = window_end - window_start
            if remaining <= available:
                return window_start + remaining
            remaining -= available
        raise AssertionError("unreachable")

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of business on the ``days``-th working day after the day of ``start``.

        The day a case arrives does not count, as regulators count: accepted on a
        Monday with 1 business day means due at close of business on Tuesday.
        """
        local_day = start.astimezone(self.zone).date()
        if days == 0:
            return (
                self._close(local_day) if self.is_working_day(local_day) else self.add_business_days(start, 1)
            )
        for counted, day in enumerate(self._working_days_from(local_day + dt.timedelta(days=1)), start=1):
            if counted == days:
                return self._close(day)
        raise AssertionError("unreachable")

    def add_civil_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of business on the ``days``-th day after the day of ``start``, as Chinese law
        counts a period (Civil Code arts. 201, 203): the day of receipt does not count, and a
        last day that is not a working day moves to the next working day."""
        last = start.astimezone(self.zone).date() + dt.timedelta(days=days)
        return self._close(next(self._working_days_from(last)))

    def business_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working minutes in [start, end); zero if end is not after start."""
        if end <= start:
            return 0
        local_start = start.astimezone(self.zone)
        local_end = end.astimezone(self.zone)
        total = dt.timedelta(0)
        day = local_start.date()
        while day <= local_end.date():
            if self.is_working_day(day):
                window_start = max(local_start, self._open(day))
                window_end = min(local_end, self._close(day))
                if window_end > window_start:
                    total += window_end - window_start
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)

    def add(self, start: dt.datetime, amount: int, unit: str) -> dt.datetime:
        """Add a target in any unit of :class:`TimeUnit`."""
        if unit == TimeUnit.BUSINESS_HOURS:
            return self.add_business_minutes(start, amount * 60)
        if unit == TimeUnit.BUSINESS_DAYS:
            return self.add_business_days(start, amount)
        if unit == TimeUnit.CALENDAR_HOURS:
            return start + dt.timedelta(hours=amount)
        if unit == TimeUnit.CALENDAR_DAYS:
            return start + dt.timedelta(days=amount)
        if unit == TimeUnit.CIVIL_DAYS:
            return self.add_civil_days(start, amount)
        raise ValueError(f"Unknown time unit {unit!r}")

    def shift_for_pause(
        self, due_at: dt.datetime, paused_at: dt.datetime, resumed_at: dt.datetime, unit: str
    ) -> tuple[dt.datetime, int]:
        """Move a deadline by the time spent paused, counted the way the target counts.

        Returns the new deadline and the minutes of pause that counted.
        """
        if unit in (TimeUnit.CALENDAR_HOURS, TimeUnit.CALENDAR_DAYS):
            paused = int((resumed_at - paused_at).total_seconds() // 60)
            return due_at + dt.timedelta(minutes=paused), paused
        paused = self.business_minutes_between(paused_at, resumed_at)
        if paused == 0:
            return due_at, 0
        return self.add_business_minutes(due_at, paused), paused


def default_calendar() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        calendar, _ = BusinessCalendar.objects.get_or_create(
            name="China (default)", defaults={"is_default": True}
        )
    return calendar


def business_zone() -> ZoneInfo:
    """The default business calendar's time zone: where "today" ends."""
    name = BusinessCalendar.objects.filter(is_default=True).values_list("time_zone", flat=True).first()
    return ZoneInfo(name or settings.TIME_ZONE)


def end_of_day(now: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    tomorrow = now.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=zone)
