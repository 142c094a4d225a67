# ruff: noqa: RUF001
"""The annual public disclosure a payment institution publishes by 31 January for the year
before (非银行支付机构网络支付业务管理办法, art. 28: the number of complaints, their types, the
share handled and the handling speed), for a calendar year, counted in the database."""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import Regime
from casework.sla.regimes import deployment_regime
from complaints.returns import measures as m
from complaints.returns.labels import Labels
from complaints.returns.periods import YEAR, Period
from complaints.returns.structure import Cell, Return, Table, text

KINDS = (YEAR,)
TITLE = _("Annual disclosure of complaints")
SOURCE = _(
    "Measures for the Administration of Online Payment Business of Non-bank Payment "
    "Institutions (非银行支付机构网络支付业务管理办法), art. 28: published by 31 January for the year before."
)
WITHIN_LIMIT = ("within_1", "1_3", "3_15")  # at most 15 days: PBOC's limit for a decision


def definitions(zone) -> tuple[tuple[str, str], ...]:
    return (
        (gettext("Complaints received"), gettext("Complaints registered in the calendar year.")),
        (
            gettext("Types"),
            gettext("The business type and the cause each complaint is classified by (PBOC JR/T 0169)."),
        ),
        (
            gettext("Handled"),
            gettext(
                "Received in the year and resolved or closed by its end; the share handled is "
                "those over the complaints received."
            ),
        ),
        (
            gettext("Closed in the year"),
            gettext("Resolved or closed in the year, whenever received."),
        ),
        (
            gettext("Handling speed"),
            gettext(
                "Over the complaints closed in the year: calendar days from the day of receipt to "
                "the day of resolution, as dates in %(zone)s, the day of receipt not counted; the "
                "average, and the share in each bucket (upper bounds inclusive: within 1 day = "
                "0–1, 1–3 = 2–3, 3–15 = 4–15, 15–60 = 16–60, later = 61 or more)."
            )
            % {"zone": zone},
        ),
        (
            gettext("Within 15 days"),
            gettext("Closed at most 15 days after the day of receipt: the PBOC limit for a decision."),
        ),
    )


def share(part: int, whole: int) -> Cell:
    return Cell(part / whole if whole else None, kind="share")


def annual_disclosure(period: Period, regime: Regime | None = None) -> Return:
    regime = regime or deployment_regime()
    queryset, zone = m.scoped(regime)
    start, end = period.bounds(zone)
    since, until = period.starts_on, period.ends_before
    received = m.received_q(start, end)
    handled = received & m.closed_by_q(end)
    closed = m.closed_q(start, end)

    def link(measure: str, **extra) -> dict:
        return m.figure_params(regime, measure, since=since, until=until, **extra)

    totals = queryset.aggregate(
        received=Count("pk", filter=received),
        handled=Count("pk", filter=handled),
        closed=Count("pk", filter=closed),
    )
    by_days = m.days_to_resolve_counts(queryset, closed, zone)
    totals.update({f"bucket_{key}": count for key, count in m.bucket_counts(by_days).items()})
    labels = Labels()
    by_type = list(
        queryset.filter(received)
        .values("business_type_id")
        .annotate(received=Count("pk"), handled=Count("pk", filter=m.closed_by_q(end)))
    )
    by_cause = list(queryset.filter(received).values("cause_id").annotate(received=Count("pk")))
    within = sum(totals[f"bucket_{key}"] for key in WITHIN_LIMIT)
    resolved = sum(by_days.values())
    average_days = sum(days * n for days, n in by_days.items()) / resolved if resolved else None

    summary = Table(
        "summary",
        gettext("Summary"),
        (gettext("Figure"), gettext("Value")),
        (
            (text(gettext("Complaints received")), Cell(totals["received"], link("received"))),
            (text(gettext("Handled (of those received)")), Cell(totals["handled"], link("handled"))),
            (text(gettext("Share handled")), share(totals["handled"], totals["received"])),
            (text(gettext("Closed in the year")), Cell(totals["closed"], link("closed"))),
            (text(gettext("Average days to resolve")), Cell(average_days, kind="days")),
            (text(gettext("Closed within 15 days")), share(within, totals["closed"])),
        ),
    )
    type_rows = tuple(
        (
            text(labels.coded(row["business_type_id"])),
            Cell(row["received"], link("received", business_type=labels.code(row["business_type_id"]))),
            share(row["received"], totals["received"]),
            Cell(row["handled"], link("handled", business_type=labels.code(row["business_type_id"]))),
            share(row["handled"], row["received"]),
        )
        for row in sorted(by_type, key=lambda row: labels.position(row["business_type_id"]))
    )
    types = Table(
        "by_business_type",
        gettext("Complaints by business type"),
        (
            gettext("Business type"),
            gettext("Received"),
            gettext("Share of all"),
            gettext("Handled"),
            gettext("Share handled"),
        ),
        type_rows,
        total=(
            text(gettext("Total")),
            Cell(totals["received"], link("received")),
            share(totals["received"], totals["received"]),
            Cell(totals["handled"], link("handled")),
            share(totals["handled"], totals["received"]),
        ),
    )
    cause_rows = tuple(
        (
            text(labels.coded(row["cause_id"])),
            Cell(row["received"], link("received", cause=labels.code(row["cause_id"]))),
            share(row["received"], totals["received"]),
        )
        for row in sorted(by_cause, key=lambda row: labels.position(row["cause_id"]))
    )
    causes = Table(
        "by_cause",
        gettext("Complaints by cause"),
        (gettext("Cause"), gettext("Received"), gettext("Share of all")),
        cause_rows,
        total=(
            text(gettext("Total")),
            Cell(totals["received"], link("received")),
            share(totals["received"], totals["received"]),
        ),
    )
    speed = Table(
        "speed",
        gettext("Handling speed: days from receipt to resolution"),
        (gettext("Resolved"), gettext("Complaints closed"), gettext("Share")),
        tuple(
            (
                text(label),
                Cell(totals[f"bucket_{key}"], link("closed", bucket=key)),
                share(totals[f"bucket_{key}"], totals["closed"]),
            )
            for key, label, _above, _at_most in m.BUCKETS
        ),
        total=(
            text(gettext("Total")),
            Cell(totals["closed"], link("closed")),
            share(totals["closed"], totals["closed"]),
        ),
    )
    return Return(
        slug="disclosure",
        title=str(TITLE),
        period=period,
        regime=regime,
        zone=str(zone),
        definitions=definitions(zone),
        tables=(summary, types, causes, speed),
        source=str(SOURCE),
        figures={
            "received": Cell(totals["received"], link("received")),
            "handled": Cell(totals["handled"], link("handled")),
            "closed": Cell(totals["closed"], link("closed")),
            "average_days": Cell(average_days, kind="days"),
            "within_15_days": share(within, totals["closed"]),
        },
    )
