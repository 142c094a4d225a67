"""What the survey answers add up to: CSAT (the share of 4s and 5s), the average rating and
the week-by-week trend over a period, in one query however many answers there are."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek

from complaints.models import SurveyResponse

SATISFIED = Q(rating__gte=4)


@dataclass(frozen=True)
class SurveyWeek:
    starts_on: dt.date  # the Monday, in the business time zone
    responses: int
    satisfied: int

    @property
    def csat(self) -> float | None:
        return self.satisfied / self.responses if self.responses else None


@dataclass(frozen=True)
class SurveyFigures:
    responses: int
    satisfied: int
    rating_sum: int
    weeks: tuple[SurveyWeek, ...]  # every week of the period, oldest first, empty ones too

    @property
    def csat(self) -> float | None:
        return self.satisfied / self.responses if self.responses else None

    @property
    def average(self) -> float | None:
        return self.rating_sum / self.responses if self.responses else None


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def survey_figures(*, since: dt.datetime, now: dt.datetime, zone: ZoneInfo) -> SurveyFigures:
    """The answers given after ``since`` up to ``now``, by week (weeks start on Monday in ``zone``)."""
    rows = (
        SurveyResponse.objects.filter(answered_at__gt=since, answered_at__lte=now)
        .annotate(week=TruncWeek("answered_at", tzinfo=zone))
        .values("week")
        .annotate(responses=Count("pk"), satisfied=Count("pk", filter=SATISFIED), rating_sum=Sum("rating"))
        .order_by("week")
    )
    by_week = {}
    for row in rows:
        week = row["week"]
        starts_on = week.astimezone(zone).date() if isinstance(week, dt.datetime) else week
        by_week[starts_on] = row
    first, last = _monday(since.astimezone(zone).date()), _monday(now.astimezone(zone).date())
    weeks = []
    day = first
    while day <= last:
        row = by_week.get(day, {})
        weeks.append(SurveyWeek(day, row.get("responses", 0), row.get("satisfied", 0)))
        day += dt.timedelta(days=7)
    return SurveyFigures(
        responses=sum(row["responses"] for row in by_week.values()),
        satisfied=sum(row["satisfied"] for row in by_week.values()),
        rating_sum=sum(row["rating_sum"] or 0 for row in by_week.values()),
        weeks=tuple(weeks),
    )
