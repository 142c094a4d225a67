"""What complaints add to the supervisors' dashboard: the share of the period's resolved
complaints that were resolved at first contact, what customers said of the outcome in
the satisfaction survey (CSAT, the average rating, the trend by week), and the repeat rate
by category and by channel. Registered with the
complaint kind in ``complaints.apps``; ``casework.supervision.panels`` builds them for the page."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy

from casework.models import kinds
from casework.sla.calendars import business_zone
from casework.supervision.dashboard import CaseTypeFigures
from casework.supervision.panels import CaseTypePanel, Figure, Links, bar_chart, percent
from complaints import repeats
from complaints.models import Category, Channel, Complaint
from complaints.survey.selectors import survey_figures


def first_contact(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """The rate, and the two linked figures it is made of."""
    return {
        "rate": panel.first_contact_rate,
        "first_contact": panel.first_contact,
        "resolved": panel.resolved,
    }


FIRST_CONTACT = kinds.DashboardPanel(
    slot=kinds.SLA, template="complaints/dashboard_first_contact.html", build=first_contact
)


def satisfaction(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """The period's survey answers: how many, CSAT, the average, and CSAT week by week."""
    now = timezone.now()
    zone = business_zone()
    survey = survey_figures(since=now - dt.timedelta(days=panel.period_days), now=now, zone=zone)
    rows = []
    for week in survey.weeks:
        label = gettext("week of %(date)s") % {"date": f"{week.starts_on:%m-%d}"}
        text = (
            gettext("%(share)s (%(count)s of %(total)s)")
            % {"share": percent(week.csat), "count": week.satisfied, "total": week.responses}
            if week.responses
            else "—"
        )
        figure = Figure(
            f"complaint:csat:{week.starts_on:%Y-%m-%d}",
            week.responses,
            "",
            gettext("Survey answers in the %(week)s: %(count)s") % {"week": label, "count": week.responses},
        )
        rows.append((label, figure, text, week.csat or 0))
    return {
        "responses": survey.responses,
        "satisfied": survey.satisfied,
        "csat": percent(survey.csat),
        "average": "—" if survey.average is None else f"{survey.average:.1f}",
        "trend": bar_chart(
            "dashboard-complaint-csat",
            gettext("Satisfied customers (4 or 5 of 5) by week"),
            rows,
            tone="share",
            has_track=True,
        ),
    }


SATISFACTION = kinds.DashboardPanel(
    slot=kinds.SLA, template="complaints/dashboard_satisfaction.html", build=satisfaction
)


def returns(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """Links to the regulatory returns (``complaints.returns``), for who may read them."""
    from django.urls import reverse

    if not links.user.has_perm("complaints.view_returns"):
        return {"links": []}
    return {
        "links": [
            (gettext("Monthly statistics"), reverse("admin-return", args=["monthly"])),
            (gettext("Annual disclosure"), reverse("admin-return", args=["disclosure"])),
            (gettext("FCA return"), reverse("admin-return", args=["fca"])),
            (gettext("CFPB export"), reverse("admin-return", args=["cfpb"])),
        ],
        "index": reverse("admin-returns"),
    }


RETURNS = kinds.DashboardPanel(slot=kinds.SLA, template="complaints/dashboard_returns.html", build=returns)


# The chart's labels have room for "awaiting customer": the categories by shorter names.
SHORT_CATEGORIES = {
    Category.TRANSACTION: pgettext_lazy("short category", "failed payment"),
    Category.ACCOUNT_LOCKED: pgettext_lazy("short category", "locked account"),
    Category.REFUND: pgettext_lazy("short category", "refund"),
    Category.SLOW_SERVICE: pgettext_lazy("short category", "slow service"),
    Category.PRIVACY: pgettext_lazy("short category", "privacy"),
    Category.OTHER: pgettext_lazy("short category", "other"),
}


def repeat_rates(figures: CaseTypeFigures, links: Links, panel: CaseTypePanel) -> dict:
    """The repeat rate of the period's complaints by category and by channel: counted repeats
    (``complaints.repeats``: a matter once per window) among the complaints registered in the
    period. Two grouped counts, whatever the table's size."""
    since = timezone.now() - dt.timedelta(days=panel.period_days)
    registered = Complaint.objects.filter(created_at__gte=since)
    period = {"created_at__gte": since.isoformat(timespec="seconds"), "repeat_count": str(repeats.COUNTED)}
    total = counted = 0
    charts = []
    for by, labels, title in (
        ("category", SHORT_CATEGORIES, gettext("Repeat rate by category")),
        ("channel", dict(Channel.choices), gettext("Repeat rate by channel")),
    ):
        rows = []
        for value, complaints, repeated in repeats.repeat_rates(registered, by):
            share = repeated / complaints if complaints else 0
            label = str(labels.get(value, value))
            figure = Figure(
                f"complaint:repeats:{by}:{value}",
                repeated,
                links.url(figures.kind, **period, **{by: value}),
                gettext("Repeat complaints about %(what)s in the last %(days)s days: %(count)s")
                % {"what": label, "days": panel.period_days, "count": repeated},
            )
            text = gettext("%(share)s (%(count)s of %(total)s)") % {
                "share": percent(share),
                "count": repeated,
                "total": complaints,
            }
            rows.append((label, figure, text, share))
            if by == "category":
                total, counted = total + complaints, counted + repeated
        charts.append(
            bar_chart(f"dashboard-complaint-repeats-{by}", title, rows, tone="share", has_track=True)
        )
    return {
        "rate": percent(counted / total if total else None),
        "counted": counted,
        "total": total,
        "window_days": settings.COMPLAINT_REPEAT_WINDOW_DAYS,
        "charts": charts,
    }


REPEATS = kinds.DashboardPanel(
    slot=kinds.SLA, template="complaints/dashboard_repeats.html", build=repeat_rates
)
