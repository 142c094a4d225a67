"""The period a return covers: a month (``2026-03``), a half-year (``2026-H1``) or a
calendar year (``2026``), as local dates in the regime calendar's time zone; the first day
is in the period, the day after the last is not."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from casework.core.errors import InvalidInput

MONTH = "month"
HALF_YEAR = "half_year"
YEAR = "year"


@dataclass(frozen=True)
class Period:
    kind: str
    starts_on: dt.date  # the first day in the period
    ends_before: dt.date  # the first day after it

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.starts_on:%Y-%m}"
        if self.kind == HALF_YEAR:
            return f"{self.starts_on.year}-H{1 if self.starts_on.month == 1 else 2}"
        return f"{self.starts_on.year}"

    @property
    def last_day(self) -> dt.date:
        return self.ends_before - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return gettext("%(first)s to %(last)s") % {"first": self.starts_on, "last": self.last_day}

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """Midnight of the first day and midnight after the last, in ``zone``."""
        return at_midnight(self.starts_on, zone), at_midnight(self.ends_before, zone)

    def previous(self) -> Period:
        return period_of(self.kind, self.starts_on - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_of(self.kind, self.ends_before)


def at_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def period_of(kind: str, day: dt.date) -> Period:
    """The period of ``kind`` that holds ``day``."""
    if kind == MONTH:
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
    elif kind == HALF_YEAR:
        start = dt.date(day.year, 1 if day.month <= 6 else 7, 1)
        end = dt.date(day.year, 7, 1) if start.month == 1 else dt.date(day.year + 1, 1, 1)
    else:
        start, end = dt.date(day.year, 1, 1), dt.date(day.year + 1, 1, 1)
    return Period(kind, start, end)


def parse_period(text: str, *, kinds: tuple[str, ...]) -> Period:
    """``2026-03``, ``2026-H1`` or ``2026``, whichever of ``kinds`` the return takes."""
    text = (text or "").strip()
    patterns = {
        MONTH: (r"(\d{4})-(\d{2})", lambda y, m: period_of(MONTH, dt.date(y, m, 1))),
        HALF_YEAR: (r"(\d{4})-H([12])", lambda y, h: period_of(HALF_YEAR, dt.date(y, 1 if h == 1 else 7, 1))),
        YEAR: (r"(\d{4})", lambda y: period_of(YEAR, dt.date(y, 1, 1))),
    }
    for kind in kinds:
        pattern, build = patterns[kind]
        match = re.fullmatch(pattern, text)
        if match:
            try:
                return build(*(int(group) for group in match.groups()))
            except ValueError:
                break
    examples = {MONTH: "2026-03", HALF_YEAR: "2026-H1", YEAR: "2026"}
    raise InvalidInput(
        gettext("Give the period as %(examples)s.") % {"examples": " / ".join(examples[k] for k in kinds)},
        field="period",
    )
