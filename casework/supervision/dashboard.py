"""The supervisors' dashboard: what is open, what is due or late, and how well the SLA
was kept. Pure reads, shown on the admin index to whoever has ``casework.view_dashboard``.

The case types are the kinds registered in ``casework.models.kinds``. Each one's figures come
from one aggregate query (counts with a condition, grouped by state), so the page runs
the same few queries however many cases there are. The same conditions drive the list
filters the figures link to (``casework.supervision.filters``): a figure and the changelist
it opens count the same cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from casework.models.kinds import CaseKind, registered
from casework.sla.calendars import business_zone, end_of_day

# The selectors' rules for "breached" (late on the first response or the resolution, and
# late for ever) and "due today", so the dashboard counts what the lists' filters list and
# the team view (casework.workspace.teams) counts the same.
from casework.sla.selectors import breached_q, due_today_q

PERMISSION = "casework.view_dashboard"
PERIODS_DAYS = (7, 30, 90)
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class AgeBucket:
    """Open for at least ``min_days`` (if set) and less than ``max_days`` (if set)."""

    key: str
    label: str
    min_days: int | None
    max_days: int | None

    def q(self, now: dt.datetime) -> Q:
        condition = Q()
        if self.max_days is not None:
            condition &= Q(created_at__gt=now - dt.timedelta(days=self.max_days))
        if self.min_days is not None:
            condition &= Q(created_at__lte=now - dt.timedelta(days=self.min_days))
        return condition


AGE_BUCKETS = (
    AgeBucket("lt1d", _("under 1 day"), None, 1),
    AgeBucket("1to3d", _("1 to 3 days"), 1, 3),
    AgeBucket("3to7d", _("3 to 7 days"), 3, 7),
    AgeBucket("7to30d", _("7 to 30 days"), 7, 30),
    AgeBucket("gt30d", _("30 days or more"), 30, None),
)


def resolution_met_q() -> Q:
    """Stopped by the resolution deadline and never marked late on it (first responses aside)."""
    return Q(
        sla_clock__stopped_at__isnull=False,
        sla_clock__resolution_breached_at__isnull=True,
        sla_clock__stopped_at__lte=F("sla_clock__resolution_due_at"),
    )


def resolution_missed_q(now: dt.datetime) -> Q:
    """Marked late on the resolution, stopped after it, or still running past it."""
    return (
        Q(sla_clock__resolution_breached_at__isnull=False)
        | Q(sla_clock__stopped_at__gt=F("sla_clock__resolution_due_at"))
        | Q(
            sla_clock__stopped_at__isnull=True,
            sla_clock__paused_at__isnull=True,
            sla_clock__resolution_due_at__lte=now,
        )
    )


@dataclass(frozen=True)
class CaseTypeFigures:
    kind: CaseKind
    open_by_state: Mapping[str, int]  # every open state, in the state machine's order
    breached_by_state: Mapping[str, int]  # open cases with a breached clock
    open_by_age: Mapping[str, int]  # AgeBucket.key -> open cases
    due_today: int
    resolved: int  # in the period
    resolved_in_time: int  # of those, within the resolution deadline
    first_contact: int | None  # of those, resolved at first contact (complaints only)

    @property
    def open(self) -> int:
        return sum(self.open_by_state.values())

    @property
    def breached(self) -> int:
        return sum(self.breached_by_state.values())

    @property
    def resolved_late(self) -> int:
        return self.resolved - self.resolved_in_time

    @property
    def compliance(self) -> float | None:
        """Share of the period's resolutions within the deadline; None when there were none."""
        return self.resolved_in_time / self.resolved if self.resolved else None

    @property
    def first_contact_rate(self) -> float | None:
        if self.first_contact is None or not self.resolved:
            return None
        return self.first_contact / self.resolved


@dataclass(frozen=True)
class Dashboard:
    now: dt.datetime
    period_days: int
    zone: ZoneInfo
    day_ends_at: dt.datetime
    case_types: tuple[CaseTypeFigures, ...]

    @property
    def since(self) -> dt.datetime:
        return self.now - dt.timedelta(days=self.period_days)

    def for_type(self, case_type: str) -> CaseTypeFigures:
        return next(figures for figures in self.case_types if figures.kind.case_type == case_type)


def case_type_figures(
    kind: CaseKind, *, now: dt.datetime, since: dt.datetime, day_ends_at: dt.datetime
) -> CaseTypeFigures:
    """One query: the open cases and the period's resolutions, counted by state."""
    is_open = kind.open_q()
    resolved = kind.resolved_q(since, now)
    counts = {
        "cases": Count("pk"),
        "due_today": Count("pk", filter=is_open & due_today_q(now, day_ends_at)),
        "breached": Count("pk", filter=is_open & breached_q(now)),
        "in_time": Count("pk", filter=resolved & resolution_met_q()),
        **{f"age_{bucket.key}": Count("pk", filter=is_open & bucket.q(now)) for bucket in AGE_BUCKETS},
    }
    if kind.first_contact_field:
        counts["first_contact"] = Count("pk", filter=resolved & Q(**{kind.first_contact_field: True}))
    rows = {
        row["state"]: row
        for row in kind.model.objects.filter(is_open | resolved).values("state").annotate(**counts).order_by()
    }
    open_rows = [rows[state] for state in kind.open_states if state in rows]
    resolved_rows = [rows[state] for state in kind.resolved_states if state in rows]
    empty = dict.fromkeys(counts, 0)
    by_state = {state: rows.get(state, empty) for state in kind.open_states}
    return CaseTypeFigures(
        kind=kind,
        open_by_state={state: row["cases"] for state, row in by_state.items()},
        breached_by_state={state: row["breached"] for state, row in by_state.items()},
        open_by_age={
            bucket.key: sum(row[f"age_{bucket.key}"] for row in open_rows) for bucket in AGE_BUCKETS
        },
        due_today=sum(row["due_today"] for row in open_rows),
        resolved=sum(row["cases"] for row in resolved_rows),
        resolved_in_time=sum(row["in_time"] for row in resolved_rows),
        first_contact=(
            sum(row["first_contact"] for row in resolved_rows) if kind.first_contact_field else None
        ),
    )


def dashboard(*, now: dt.datetime, period_days: int = DEFAULT_PERIOD_DAYS) -> Dashboard:
    """Every figure, as of ``now``, with SLA compliance over the last ``period_days``."""
    zone = business_zone()
    day_ends_at = end_of_day(now, zone)
    since = now - dt.timedelta(days=period_days)
    return Dashboard(
        now=now,
        period_days=period_days,
        zone=zone,
        day_ends_at=day_ends_at,
        case_types=tuple(
            case_type_figures(kind, now=now, since=since, day_ends_at=day_ends_at) for kind in registered()
        ),
    )
