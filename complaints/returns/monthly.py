# ruff: noqa: RUF001, RUF002
"""The monthly statistics: received, closed, open at the start and at the end of the month,
by business type × cause × channel; how fast the month's closed complaints were resolved
(the timeliness buckets); the upheld rate; the redress paid, by currency. Every figure is
counted in the database (``complaints.returns.measures`` says what each word means)."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import Regime
from casework.sla.regimes import deployment_regime
from complaints.returns import measures as m
from complaints.returns.labels import Labels
from complaints.returns.periods import MONTH, Period
from complaints.returns.structure import Cell, Return, Table, text

KINDS = (MONTH,)
TITLE = _("Monthly complaint statistics")


def definitions(zone) -> tuple[tuple[str, str], ...]:
    return (
        (gettext("Received"), gettext("Complaints registered in the month.")),
        (
            gettext("Closed"),
            gettext(
                "Complaints resolved or closed in the month (the first of the two counts; a "
                "complaint reopened since counts again when it is resolved again)."
            ),
        ),
        (
            gettext("Open"),
            gettext(
                "Received before the moment and neither resolved nor closed by then, at 00:00 of "
                "the month's first day (start) and of the next month's first day (end). Rejected "
                "and withdrawn complaints are never counted open: the case records no date for "
                "those ends."
            ),
        ),
        (
            gettext("Days to resolve"),
            gettext(
                "Calendar days from the day of receipt to the day of resolution, both as dates "
                "in %(zone)s, the day of receipt not counted: resolved the day it came is 0 days."
            )
            % {"zone": zone},
        ),
        (
            gettext("Timeliness buckets"),
            gettext(
                "Over the complaints closed in the month, each upper bound in its own bucket: "
                "within 1 day = 0–1 days; 1–3 days = 2–3; 3–15 days = 4–15; 15–60 days = 16–60; "
                "later = 61 days or more."
            ),
        ),
        (
            gettext("Upheld rate"),
            gettext(
                "Complaints closed in the month found upheld or partly upheld, over those closed "
                "in the month with an outcome recorded (decided)."
            ),
        ),
        (
            gettext("Redress paid"),
            gettext("The redress recorded on the complaints closed in the month, summed by currency."),
        ),
    )


def share(part: int, whole: int) -> Cell:
    return Cell(part / whole if whole else None, kind="share")


def monthly_return(period: Period, regime: Regime | None = None) -> Return:
    regime = regime or deployment_regime()
    queryset, zone = m.scoped(regime)
    start, end = period.bounds(zone)
    since, until = period.starts_on, period.ends_before
    conditions = {
        "open_start": m.open_at_q(start),
        "received": m.received_q(start, end),
        "closed": m.closed_q(start, end),
        "open_end": m.open_at_q(end),
    }

    def link(measure: str, **extra) -> dict:
        if measure == "open_start":
            return m.figure_params(regime, "open_at", since=since, until=since, **extra)
        if measure == "open_end":
            return m.figure_params(regime, "open_at", since=since, until=until, **extra)
        return m.figure_params(regime, measure, since=since, until=until, **extra)

    closed = conditions["closed"]
    totals = queryset.aggregate(
        **{name: Count("pk", filter=condition) for name, condition in conditions.items()},
        decided=Count("pk", filter=closed & m.decided_q()),
        upheld=Count("pk", filter=closed & m.upheld_q()),
    )
    buckets = m.bucket_counts(m.days_to_resolve_counts(queryset, closed, zone))
    totals.update({f"bucket_{key}": count for key, count in buckets.items()})
    labels = Labels()
    any_of = conditions["open_start"] | conditions["received"] | conditions["closed"] | conditions["open_end"]
    grouped = list(
        queryset.filter(any_of)
        .values("business_type_id", "cause_id", "channel")
        .annotate(**{name: Count("pk", filter=condition) for name, condition in conditions.items()})
    )
    redress = list(
        queryset.filter(closed & m.redress_q())
        .values("currency")
        .annotate(amount=Sum("redress_amount"), complaints=Count("pk"))
        .order_by("currency")
    )

    summary_rows = [
        (text(gettext("Open at the start of the month")), Cell(totals["open_start"], link("open_start"))),
        (text(gettext("Received")), Cell(totals["received"], link("received"))),
        (text(gettext("Closed")), Cell(totals["closed"], link("closed"))),
        (text(gettext("Open at the end of the month")), Cell(totals["open_end"], link("open_end"))),
        (
            text(gettext("Decided (closed with an outcome)")),
            Cell(totals["decided"], link("closed", outcome="decided")),
        ),
        (text(gettext("Upheld or partly upheld")), Cell(totals["upheld"], link("closed", outcome="upheld"))),
        (text(gettext("Upheld rate")), share(totals["upheld"], totals["decided"])),
    ]
    summary = Table(
        "summary",
        gettext("Summary"),
        (gettext("Figure"), gettext("Number of complaints")),
        tuple(summary_rows),
    )

    bucket_rows = tuple(
        (
            text(label),
            Cell(totals[f"bucket_{key}"], link("closed", bucket=key)),
            share(totals[f"bucket_{key}"], totals["closed"]),
        )
        for key, label, _above, _at_most in m.BUCKETS
    )
    timeliness = Table(
        "timeliness",
        gettext("Timeliness: days from receipt to resolution"),
        (gettext("Resolved"), gettext("Complaints closed"), gettext("Share")),
        bucket_rows,
        total=(
            text(gettext("Total")),
            Cell(totals["closed"], link("closed")),
            share(totals["closed"], totals["closed"]),
        ),
    )

    names = ("open_start", "received", "closed", "open_end")
    grouped.sort(
        key=lambda row: (
            labels.position(row["business_type_id"]),
            labels.position(row["cause_id"]),
            labels.channel_position(row["channel"]),
        )
    )
    dimension_rows = []
    for row in grouped:
        narrowed = {
            "business_type": labels.code(row["business_type_id"]),
            "cause": labels.code(row["cause_id"]),
            "channel": row["channel"],
        }
        dimension_rows.append(
            (
                text(labels.coded(row["business_type_id"])),
                text(labels.coded(row["cause_id"])),
                text(labels.channel(row["channel"])),
                *(Cell(row[name], link(name, **narrowed)) for name in names),
            )
        )
    columns = (gettext("Open at start"), gettext("Received"), gettext("Closed"), gettext("Open at end"))
    by_dimension = Table(
        "by_dimension",
        gettext("By business type × cause × channel"),
        (gettext("Business type"), gettext("Cause"), gettext("Channel"), *columns),
        tuple(dimension_rows),
        total=(
            text(gettext("Total")),
            text(""),
            text(""),
            *(Cell(totals[name], link(name)) for name in names),
        ),
    )

    per_type: dict = {}
    for row in grouped:
        counts = per_type.setdefault(row["business_type_id"], dict.fromkeys(names, 0))
        for name in names:
            counts[name] += row[name]
    type_rows = tuple(
        (
            text(labels.coded(pk)),
            *(Cell(counts[name], link(name, business_type=labels.code(pk))) for name in names),
        )
        for pk, counts in sorted(per_type.items(), key=lambda item: labels.position(item[0]))
    )
    by_type = Table(
        "by_business_type",
        gettext("By business type"),
        (gettext("Business type"), *columns),
        type_rows,
        total=(text(gettext("Total")), *(Cell(totals[name], link(name)) for name in names)),
    )

    redress_rows = tuple(
        (
            text(row["currency"]),
            Cell(row["complaints"], link("closed", redress=row["currency"])),
            Cell(row["amount"], kind="amount"),
        )
        for row in redress
    )
    redress_table = Table(
        "redress",
        gettext("Redress paid, by currency"),
        (gettext("Currency"), gettext("Number of complaints"), gettext("Amount")),
        redress_rows,
        note="" if redress_rows else gettext("No redress was paid on the complaints closed in the month."),
    )
    return Return(
        slug="monthly",
        title=str(TITLE),
        period=period,
        regime=regime,
        zone=str(zone),
        definitions=definitions(zone),
        tables=(summary, timeliness, by_type, by_dimension, redress_table),
        figures={name: Cell(totals[name], link(name)) for name in names},
    )
