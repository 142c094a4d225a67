"""``{% supervisors_dashboard %}``: the dashboard on the admin index, for users with
``casework.view_dashboard``; nothing for everyone else.

The figures come from ``casework.dashboard``; this module only lays them out: a link to
the filtered changelist behind every number (when the user may open that list), and the
geometry of the inline SVG bar charts, drawn on the server (no script).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils import timezone

from casework import dashboard
from casework.dashboard_filters import (
    BacklogAgeFilter,
    OpenCasesFilter,
    ResolutionDeadlineFilter,
    ResolvedInPeriodFilter,
)
from casework.models import CaseType

register = template.Library()

LABEL_WIDTH = 130  # room for "awaiting customer" at the chart's font size
BAR_WIDTH = 170
VALUE_WIDTH = 90
ROW_HEIGHT = 22


@dataclass(frozen=True)
class Figure:
    """One number, what it counts, and the changelist that lists exactly those cases."""

    key: str  # stable name, e.g. "complaint:state:received"
    count: int
    url: str  # blank when the user may not open the list
    description: str


@dataclass(frozen=True)
class Bar:
    label: str
    figure: Figure
    text: str
    y: int
    width: int
    text_x: int


@dataclass(frozen=True)
class BarChart:
    slug: str
    title: str
    summary: str  # every bar's label and number, for screen readers
    bars: tuple[Bar, ...]
    tone: str = ""  # CSS modifier
    has_track: bool = False  # draw the 100% track behind each bar (shares)
    label_x: int = LABEL_WIDTH - 8
    bar_x: int = LABEL_WIDTH
    track_width: int = BAR_WIDTH
    width: int = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * ROW_HEIGHT + 4


def bar_chart(slug: str, title: str, rows, *, tone: str = "", has_track: bool = False) -> BarChart:
    """``rows``: (label, figure, text, share of the full bar width from 0 to 1)."""
    bars = []
    for index, (label, figure, text, share) in enumerate(rows):
        width = round(BAR_WIDTH * share)
        if figure.count and width < 2:
            width = 2  # a case is there: let it show
        bars.append(
            Bar(
                label=label,
                figure=figure,
                text=text,
                y=index * ROW_HEIGHT + 2,
                width=width,
                text_x=LABEL_WIDTH + (BAR_WIDTH if has_track else width) + 6,
            )
        )
    summary = "; ".join(f"{bar.label}: {bar.text}" for bar in bars)
    return BarChart(slug=slug, title=title, summary=summary, bars=tuple(bars), tone=tone, has_track=has_track)


def count_chart(slug: str, title: str, rows) -> BarChart:
    """Bars scaled to the largest count; ``rows``: (label, figure)."""
    largest = max((figure.count for _, figure in rows), default=0)
    return bar_chart(
        slug,
        title,
        [(label, figure, str(figure.count), figure.count / (largest or 1)) for label, figure in rows],
    )


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


class Links:
    """Changelist URLs for one user: blank where the user may not view the case type."""

    def __init__(self, user) -> None:
        self.user = user

    def url(self, kind: dashboard.CaseKind, **params: str) -> str:
        meta = kind.model._meta
        if not (
            self.user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
            or self.user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
        ):
            return ""
        return f"{reverse(f'admin:{meta.app_label}_{meta.model_name}_changelist')}?{urlencode(params)}"


@dataclass(frozen=True)
class CaseTypePanel:
    name: str
    open: Figure
    due_today: Figure
    breached: Figure
    resolved: Figure
    resolved_in_time: Figure
    resolved_late: Figure
    compliance: str
    first_contact: Figure | None
    first_contact_rate: str
    states_chart: BarChart
    age_chart: BarChart


def case_type_panel(figures: dashboard.CaseTypeFigures, links: Links, period_days: int) -> CaseTypePanel:
    kind = figures.kind
    key = kind.case_type
    name = kind.name
    labels = kind.state_labels
    open_filter = OpenCasesFilter.parameter_name
    resolved = {ResolvedInPeriodFilter.parameter_name: str(period_days)}
    deadline = ResolutionDeadlineFilter.parameter_name
    in_period = f"in the last {period_days} days"

    def figure(suffix: str, count: int, description: str, **params: str) -> Figure:
        return Figure(f"{key}:{suffix}", count, links.url(kind, **params), description)

    first_contact = None
    if figures.first_contact is not None:
        first_contact = figure(
            "first_contact",
            figures.first_contact,
            f"{name.capitalize()} resolved at first contact {in_period}: {figures.first_contact}",
            **resolved,
            **{f"{kind.first_contact_field}__exact": "1"},
        )
    return CaseTypePanel(
        name=name,
        open=figure(
            "open", figures.open, f"Open {name}: {figures.open}", **{open_filter: OpenCasesFilter.ALL}
        ),
        due_today=figure(
            "due_today",
            figures.due_today,
            f"Open {name} due by the end of today: {figures.due_today}",
            **{open_filter: OpenCasesFilter.DUE_TODAY},
        ),
        breached=figure(
            "breached",
            figures.breached,
            f"Open {name} with a breached SLA: {figures.breached}",
            **{open_filter: OpenCasesFilter.BREACHED},
        ),
        resolved=figure(
            "resolved",
            figures.resolved,
            f"{name.capitalize()} resolved {in_period}: {figures.resolved}",
            **resolved,
        ),
        resolved_in_time=figure(
            "resolved_in_time",
            figures.resolved_in_time,
            f"{name.capitalize()} resolved {in_period} within the deadline: {figures.resolved_in_time}",
            **resolved,
            **{deadline: ResolutionDeadlineFilter.MET},
        ),
        resolved_late=figure(
            "resolved_late",
            figures.resolved_late,
            f"{name.capitalize()} resolved {in_period} after the deadline: {figures.resolved_late}",
            **resolved,
            **{deadline: ResolutionDeadlineFilter.MISSED},
        ),
        compliance=percent(figures.compliance),
        first_contact=first_contact,
        first_contact_rate=percent(figures.first_contact_rate),
        states_chart=count_chart(
            f"dashboard-{key}-states",
            f"Open {name} by state",
            [
                (
                    labels[state],
                    figure(
                        f"state:{state}", count, f"Open {name} {labels[state]}: {count}", state__exact=state
                    ),
                )
                for state, count in figures.open_by_state.items()
            ],
        ),
        age_chart=count_chart(
            f"dashboard-{key}-age",
            f"Open {name} by age",
            [
                (
                    bucket.label,
                    figure(
                        f"age:{bucket.key}",
                        figures.open_by_age[bucket.key],
                        f"{name.capitalize()} open for {bucket.label}: {figures.open_by_age[bucket.key]}",
                        **{BacklogAgeFilter.parameter_name: bucket.key},
                    ),
                )
                for bucket in dashboard.AGE_BUCKETS
            ],
        ),
    )


def overdue_refunds(
    figures: dashboard.CaseTypeFigures, links: Links
) -> tuple[Figure, list[tuple[str, Figure]]]:
    """Open refund cases past their deadline (the refund list's "overdue"), and in which states."""
    kind = figures.kind
    labels = kind.state_labels
    breached = {OpenCasesFilter.parameter_name: OpenCasesFilter.BREACHED}
    total = Figure(
        f"{kind.case_type}:overdue",
        figures.breached,
        links.url(kind, **breached),
        f"Open refund cases overdue: {figures.breached}",
    )
    by_state = [
        (
            labels[state],
            Figure(
                f"{kind.case_type}:overdue:{state}",
                count,
                links.url(kind, **breached, state__exact=state),
                f"Overdue refund cases {labels[state]}: {count}",
            ),
        )
        for state, count in figures.breached_by_state.items()
        if count
    ]
    return total, by_state


def chosen_period(request) -> int:
    """The period the user picked (7, 30 or 90 days); anything else is the default."""
    value = request.GET.get("period", "")
    known = {str(days) for days in dashboard.PERIODS_DAYS}
    return int(value) if value in known else dashboard.DEFAULT_PERIOD_DAYS


@register.inclusion_tag("admin/casework/dashboard.html", takes_context=True)
def supervisors_dashboard(context) -> dict:
    request = context.get("request")
    if request is None or not request.user.has_perm(dashboard.PERMISSION):
        return {"dashboard": None}
    period_days = chosen_period(request)
    figures = dashboard.dashboard(now=timezone.now(), period_days=period_days)
    links = Links(request.user)
    panels = [case_type_panel(case_type, links, period_days) for case_type in figures.case_types]
    overdue_total, overdue_by_state = overdue_refunds(figures.for_type(CaseType.REFUND), links)
    by_type = {
        case_type.kind.case_type: panel for case_type, panel in zip(figures.case_types, panels, strict=True)
    }
    compliance_chart = bar_chart(
        "dashboard-compliance",
        f"Resolved within the deadline, last {period_days} days",
        [
            (
                panel.name,
                panel.resolved_in_time,
                f"{panel.compliance} ({panel.resolved_in_time.count} of {panel.resolved.count})",
                case_type.compliance or 0,
            )
            for case_type, panel in zip(figures.case_types, panels, strict=True)
        ],
        tone="share",
        has_track=True,
    )
    return {
        "dashboard": figures,
        "as_of": f"{timezone.localtime(figures.now, figures.zone):%Y-%m-%d %H:%M}",
        "zone": figures.zone.key,
        "period_days": period_days,
        "periods": [{"days": days, "is_current": days == period_days} for days in dashboard.PERIODS_DAYS],
        "panels": panels,
        "complaints": by_type[CaseType.COMPLAINT],
        "overdue_total": overdue_total,
        "overdue_by_state": overdue_by_state,
        "compliance_chart": compliance_chart,
    }
