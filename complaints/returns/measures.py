# ruff: noqa: RUF001, RUF002
"""Every condition a return's figure counts by, in one place: the returns aggregate with
them (conditional ``Count`` and ``Sum``), and the complaint list's filter
(``complaints.returns.filters``) asks the very same ones, so a figure's link lists exactly
the complaints the figure counts.

The words, as the returns define them (``DEFINITIONS``):

- *received* in a period: registered (``created_at``) in it;
- *closed* in a period: resolved or closed in it, the first of the two counting (a complaint
  resolved in March and closed in April is closed in March); a reopened one counts again
  when it is resolved again, not before;
- *open* at a moment: received before it and neither resolved nor closed by then; a rejected
  or withdrawn complaint is not open (the case carries no date for those ends, so it is
  left out of the open counts of every moment);
- a *merged* duplicate (``complaints.services.merging``) is not counted at all, in any
  figure: the customer complained once, and the survivor it was merged into counts;
- *days to resolve*: calendar days from the day of receipt to the day it was closed, both as
  dates in the regime calendar's time zone, the day of receipt not counted (as the Civil
  Code counts a period): resolved the day it came is 0 days, the next day 1 day;
- the *timeliness buckets* over the complaints closed in the period, each upper bound in its
  own bucket: within 1 day (0–1), 1–3 days (2–3), 3–15 days (4–15), 15–60 days (16–60),
  later (61 and more);
- *decided*: closed with an outcome; *upheld*: upheld or partly upheld; the *upheld rate*:
  upheld over decided;
- *redress paid*: the sum of the redress recorded on the complaints closed in the period,
  by currency.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext_lazy as _

from casework.models import Regime
from casework.sla.calendars import WorkingTime, business_zone, default_calendar
from casework.sla.regimes import deployment_regime
from complaints.models import Complaint, Outcome, State
from complaints.returns.periods import at_midnight

ENDED_STATES = (State.RESOLVED, State.CLOSED)
NEVER_OPEN_STATES = (State.REJECTED, State.WITHDRAWN)
UPHELD = (Outcome.UPHELD, Outcome.PARTLY_UPHELD)
NONE = "none"  # a dimension's parameter for "no code recorded"

# key, label, the days to resolve it holds: (more than, at most); None: no bound.
BUCKETS = (
    ("within_1", _("within 1 day"), None, 1),
    ("1_3", _("1–3 days"), 1, 3),
    ("3_15", _("3–15 days"), 3, 15),
    ("15_60", _("15–60 days"), 15, 60),
    ("later", _("later than 60 days"), 60, None),
)
BUCKET_KEYS = tuple(bucket[0] for bucket in BUCKETS)

# DISP 1.10's bands: by the close of the third business day after the day of receipt
# (DISP 1.5), within eight weeks of receipt (DISP 1.6), later.
FCA_BANDS = (
    ("within_3bd", _("within 3 business days")),
    ("within_8w", _("after 3 business days, within 8 weeks")),
    ("later", _("after 8 weeks")),
)
EIGHT_WEEKS = dt.timedelta(weeks=8)
# A receipt more than this long before a period's start cannot close within 3 business days in it.
LONGEST_THREE_BUSINESS_DAYS = dt.timedelta(days=14)


def zone_of(regime: Regime) -> ZoneInfo:
    """Where a return's days begin and end: the regime's calendar's zone, else the default's."""
    if regime.calendar_id:
        return ZoneInfo(regime.calendar.time_zone)
    return business_zone()


def working_time(regime: Regime) -> WorkingTime:
    return WorkingTime(regime.calendar if regime.calendar_id else default_calendar())


def regime_q(regime: Regime) -> Q:
    """The complaints a return under the regime counts: those that run under it (any version
    of its code); under the deployment's regime, also those that record none (registered
    before regimes were). A merged duplicate is none of them: the customer complained once,
    and the survivor it was merged into is the complaint received, open and closed."""
    versions = list(Regime.objects.filter(code=regime.code).values_list("pk", flat=True))
    condition = Q(regime_id__in=versions)
    try:
        is_deployment = deployment_regime().code == regime.code
    except Exception:  # no regime is marked default: no case falls back to one
        is_deployment = False
    if is_deployment:
        condition |= Q(regime__isnull=True)
    return condition & ~Q(state=State.MERGED)


def days_to_resolve(zone: ZoneInfo) -> ExpressionWrapper:
    """Days from the day of receipt to the day it ended, as dates in ``zone`` (an interval)."""
    ended = Coalesce("resolved_at", "closed_at")
    return ExpressionWrapper(
        TruncDate(ended, tzinfo=zone) - TruncDate("created_at", tzinfo=zone), output_field=DurationField()
    )


def with_measures(queryset: QuerySet, zone: ZoneInfo) -> QuerySet:
    """The complaints with what the conditions below ask: when each ended, in how many days."""
    return queryset.alias(
        return_ended_at=Coalesce("resolved_at", "closed_at"), return_days=days_to_resolve(zone)
    )


def scoped(regime: Regime) -> tuple[QuerySet, ZoneInfo]:
    zone = zone_of(regime)
    return with_measures(Complaint.objects.filter(regime_q(regime)).order_by(), zone), zone


def received_q(start: dt.datetime, end: dt.datetime) -> Q:
    return Q(created_at__gte=start, created_at__lt=end)


def closed_q(start: dt.datetime, end: dt.datetime) -> Q:
    return Q(state__in=ENDED_STATES, return_ended_at__gte=start, return_ended_at__lt=end)


def closed_by_q(moment: dt.datetime) -> Q:
    return Q(state__in=ENDED_STATES, return_ended_at__lt=moment)


def open_at_q(moment: dt.datetime) -> Q:
    return Q(created_at__lt=moment) & ~closed_by_q(moment) & ~Q(state__in=NEVER_OPEN_STATES)


def bucket_q(key: str) -> Q:
    _key, _label, above, at_most = next(bucket for bucket in BUCKETS if bucket[0] == key)
    condition = Q()
    if above is not None:
        condition &= Q(return_days__gt=dt.timedelta(days=above))
    if at_most is not None:
        condition &= Q(return_days__lte=dt.timedelta(days=at_most))
    return condition


def bucket_of(days: int) -> str:
    """The bucket a number of days to resolve falls in: the same bounds as ``bucket_q``."""
    for key, _label, above, at_most in BUCKETS:
        if (above is None or days > above) and (at_most is None or days <= at_most):
            return key
    raise AssertionError(days)


def days_to_resolve_counts(queryset: QuerySet, condition: Q, zone: ZoneInfo) -> dict[int, int]:
    """How many complaints meeting ``condition`` took each number of days: one GROUP BY,
    the day count worked out once per row; the buckets and the average add up these groups."""
    rows = queryset.filter(condition).values(return_day_count=days_to_resolve(zone)).annotate(n=Count("pk"))
    return {row["return_day_count"].days: row["n"] for row in rows}


def bucket_counts(by_days: dict[int, int]) -> dict[str, int]:
    counts = dict.fromkeys(BUCKET_KEYS, 0)
    for days, n in by_days.items():
        counts[bucket_of(days)] += n
    return counts


def decided_q() -> Q:
    return ~Q(outcome="")


def upheld_q() -> Q:
    return Q(outcome__in=UPHELD)


def redress_q(currency: str | None = None) -> Q:
    condition = Q(redress_amount__gt=0)
    return condition & Q(currency=currency) if currency else condition


def within_three_business_days_q(regime: Regime, start: dt.datetime, end: dt.datetime) -> Q:
    """Closed by the close of business on the third business day after the day of receipt,
    on the regime's calendar, for complaints closed in [start, end): one range of receipt
    days per deadline (a Friday's, Saturday's and Sunday's receipts share theirs)."""
    working = working_time(regime)
    zone = working.zone
    first = (start - LONGEST_THREE_BUSINESS_DAYS).astimezone(zone).date()
    last = end.astimezone(zone).date()
    ranges: list[list] = []  # [first day, day after the last, deadline]
    day = first
    while day <= last:
        deadline = working.add_business_days(at_midnight(day, zone) + dt.timedelta(hours=12), 3)
        if ranges and ranges[-1][2] == deadline:
            ranges[-1][1] = day + dt.timedelta(days=1)
        else:
            ranges.append([day, day + dt.timedelta(days=1), deadline])
        day += dt.timedelta(days=1)
    condition = Q(pk__in=[])
    for since, until, deadline in ranges:
        condition |= Q(
            created_at__gte=at_midnight(since, zone),
            created_at__lt=at_midnight(until, zone),
            return_ended_at__lte=deadline,
        )
    return condition


def within_eight_weeks_q() -> Q:
    return Q(return_ended_at__lte=F("created_at") + EIGHT_WEEKS)


def fca_band_q(key: str, regime: Regime, start: dt.datetime, end: dt.datetime) -> Q:
    three = within_three_business_days_q(regime, start, end)
    if key == "within_3bd":
        return three
    if key == "within_8w":
        return ~three & within_eight_weeks_q()
    return ~three & ~within_eight_weeks_q()


def dimension_q(name: str, value: str) -> Q:
    """One value of one dimension: a business type or cause by its code, a channel by its value."""
    if name == "channel":
        return Q(channel=value)
    if value == NONE:
        return Q(**{f"{name}__isnull": True})
    return Q(**{f"{name}__code": value})


# A figure's link: the complaint list's parameters (complaints.returns.filters reads them).
PREFIX = "rt_"
MEASURES = ("received", "closed", "open_at", "handled")
DIMENSIONS = ("business_type", "cause", "channel")


def figure_params(regime: Regime, measure: str, *, since: dt.date, until: dt.date, **extra: str) -> dict:
    """The list parameters of a figure: ``measure`` over the local days [since, until)
    (``open_at``: at midnight starting ``until``), narrowed by ``extra`` (bucket, band,
    outcome, redress currency, a dimension's value)."""
    params = {"regime": regime.code, "measure": measure, "to": until.isoformat()}
    if measure != "open_at":
        params["from"] = since.isoformat()
    params.update({name: str(value) for name, value in extra.items()})
    return {PREFIX + name: value for name, value in params.items()}


def figure_q(params: dict[str, str], regime: Regime, zone: ZoneInfo) -> Q:
    """The condition a figure's parameters (without their prefix) name; ValueError if they
    name none."""
    measure = params["measure"]
    end = at_midnight(dt.date.fromisoformat(params["to"]), zone)
    if measure == "open_at":
        condition = open_at_q(end)
        start = None
    else:
        start = at_midnight(dt.date.fromisoformat(params["from"]), zone)
        if measure == "received":
            condition = received_q(start, end)
        elif measure == "closed":
            condition = closed_q(start, end)
        elif measure == "handled":
            condition = received_q(start, end) & closed_by_q(end)
        else:
            raise ValueError(measure)
    if "bucket" in params:
        if params["bucket"] not in BUCKET_KEYS:
            raise ValueError(params["bucket"])
        condition &= bucket_q(params["bucket"])
    if "band" in params:
        if start is None or params["band"] not in {band for band, _label in FCA_BANDS}:
            raise ValueError(params["band"])
        condition &= fca_band_q(params["band"], regime, start, end)
    if "outcome" in params:
        condition &= {"decided": decided_q, "upheld": upheld_q}[params["outcome"]]()
    if "redress" in params:
        condition &= redress_q(params["redress"])
    for name in DIMENSIONS:
        if name in params:
            condition &= dimension_q(name, params[name])
    return condition
