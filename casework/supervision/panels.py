"""The supervisors' dashboard as the page lays it out: a link to the filtered changelist
behind every number (when the user may open that list), the geometry of the inline SVG
bar charts, drawn on the server (no script), and the panels each case kind adds.

The figures come from ``casework.supervision.dashboard``, the case kinds and their panels from
``casework.models.kinds``; ``{% supervisors_dashboard %}`` (``casework.templatetags.dashboard``)
renders what :func:`page` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from casework.models import kinds
from casework.supervision import dashboard
from casework.supervision.filters import (
    BacklogAgeFilter,
    OpenCasesFilter,
    ResolutionDeadlineFilter,
    ResolvedInPeriodFilter,
)

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

    def url(self, kind: kinds.CaseKind, **params: str) -> str:
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
    period_days: int = dashboard.DEFAULT_PERIOD_DAYS  # what "in the period" is, for a kind's panels


def case_type_panel(figures: dashboard.CaseTypeFigures, links: Links, period_days: int) -> CaseTypePanel:
    kind = figures.kind
    key = kind.case_type
    name = kind.name
    labels = kind.state_labels
    open_filter = OpenCasesFilter.parameter_name
    resolved = {ResolvedInPeriodFilter.parameter_name: str(period_days)}
    deadline = ResolutionDeadlineFilter.parameter_name

    def figure(suffix: str, count: int, description: str, **params: str) -> Figure:
        return Figure(f"{key}:{suffix}", count, links.url(kind, **params), description)

    first_contact = None
    if figures.first_contact is not None:
        first_contact = figure(
            "first_contact",
            figures.first_contact,
            gettext("%(cases)s resolved at first contact in the last %(days)s days: %(count)s")
            % {"cases": name.capitalize(), "days": period_days, "count": figures.first_contact},
            **resolved,
            **{f"{kind.first_contact_field}__exact": "1"},
        )
    return CaseTypePanel(
        name=name,
        open=figure(
            "open",
            figures.open,
            gettext("Open %(cases)s: %(count)s") % {"cases": name, "count": figures.open},
            **{open_filter: OpenCasesFilter.ALL},
        ),
        due_today=figure(
            "due_today",
            figures.due_today,
            gettext("Open %(cases)s due by the end of today: %(count)s")
            % {"cases": name, "count": figures.due_today},
            **{open_filter: OpenCasesFilter.DUE_TODAY},
        ),
        breached=figure(
            "breached",
            figures.breached,
            gettext("Open %(cases)s with a breached SLA: %(count)s")
            % {"cases": name, "count": figures.breached},
            **{open_filter: OpenCasesFilter.BREACHED},
        ),
        resolved=figure(
            "resolved",
            figures.resolved,
            gettext("%(cases)s resolved in the last %(days)s days: %(count)s")
            % {"cases": name.capitalize(), "days": period_days, "count": figures.resolved},
            **resolved,
        ),
        resolved_in_time=figure(
            "resolved_in_time",
            figures.resolved_in_time,
            gettext("%(cases)s resolved in the last %(days)s days within the deadline: %(count)s")
            % {"cases": name.capitalize(), "days": period_days, "count": figures.resolved_in_time},
            **resolved,
            **{deadline: ResolutionDeadlineFilter.MET},
        ),
        resolved_late=figure(
            "resolved_late",
            figures.resolved_late,
            gettext("%(cases)s resolved in the last %(days)s days after the deadline: %(count)s")
            % {"cases": name.capitalize(), "days": period_days, "count": figures.resolved_late},
            **resolved,
            **{deadline: ResolutionDeadlineFilter.MISSED},
        ),
        compliance=percent(figures.compliance),
        first_contact=first_contact,
        first_contact_rate=percent(figures.first_contact_rate),
        period_days=period_days,
        states_chart=count_chart(
            f"dashboard-{key}-states",
            gettext("Open %(cases)s by state") % {"cases": name},
            [
                (
                    labels[state],
                    figure(
                        f"state:{state}",
                        count,
                        gettext("Open %(cases)s %(state)s: %(count)s")
                        % {"cases": name, "state": labels[state], "count": count},
                        state__exact=state,
                    ),
                )
                for state, count in figures.open_by_state.items()
            ],
        ),
        age_chart=count_chart(
            f"dashboard-{key}-age",
            gettext("Open %(cases)s by age") % {"cases": name},
            [
                (
                    bucket.label,
                    figure(
                        f"age:{bucket.key}",
                        figures.open_by_age[bucket.key],
                        gettext("%(cases)s open for %(age)s: %(count)s")
                        % {
                            "cases": name.capitalize(),
                            "age": bucket.label,
                            "count": figures.open_by_age[bucket.key],
                        },
                        **{BacklogAgeFilter.parameter_name: bucket.key},
                    ),
                )
                for bucket in dashboard.AGE_BUCKETS
            ],
        ),
    )


def chosen_period(request) -> int:
    """The period the user picked (7, 30 or 90 days); anything else is the default."""
    value = request.GET.get("period", "")
    known = {str(days) for days in dashboard.PERIODS_DAYS}
    return int(value) if value in known else dashboard.DEFAULT_PERIOD_DAYS


@dataclass(frozen=True)
class ShownPanel:
    """A panel a case kind adds (``kinds.DashboardPanel``), built for this page."""

    template: str
    context: dict


def page(request) -> dict:
    """What the dashboard template shows ``request.user``: nothing without the permission."""
    if request is None or not request.user.has_perm(dashboard.PERMISSION):
        return {"dashboard": None}
    period_days = chosen_period(request)
    figures = dashboard.dashboard(now=timezone.now(), period_days=period_days)
    links = Links(request.user)
    panels = [case_type_panel(case_type, links, period_days) for case_type in figures.case_types]
    added: dict[str, list[ShownPanel]] = {slot: [] for slot in kinds.SLOTS}
    for case_type, panel in zip(figures.case_types, panels, strict=True):
        for extra in case_type.kind.panels:
            added[extra.slot].append(ShownPanel(extra.template, dict(extra.build(case_type, links, panel))))
    compliance_chart = bar_chart(
        "dashboard-compliance",
        gettext("Resolved within the deadline, last %(days)s days") % {"days": period_days},
        [
            (
                panel.name,
                panel.resolved_in_time,
                gettext("%(share)s (%(count)s of %(total)s)")
                % {
                    "share": panel.compliance,
                    "count": panel.resolved_in_time.count,
                    "total": panel.resolved.count,
                },
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
        "attention_panels": added[kinds.ATTENTION],
        "sla_panels": added[kinds.SLA],
        "compliance_chart": compliance_chart,
    }
