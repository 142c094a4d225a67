"""An FCA-style complaints return (DISP 1.10 and its annex 1R) for UK deployments: opened,
closed within 3 business days (DISP 1.5: by the close of business on the third business
day after the day of receipt), within 8 weeks (DISP 1.6), later; upheld; redress paid;
outstanding at the period's end. Business days are the regime calendar's (the UK
calendar's bank holidays and the admin's overrides), given to the database as one range of
receipt days per deadline, so the counting stays an aggregate in SQL."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import Regime
from casework.sla.regimes import deployment_regime
from complaints.returns import measures as m
from complaints.returns.labels import Labels
from complaints.returns.periods import HALF_YEAR, MONTH, YEAR, Period
from complaints.returns.structure import Cell, Return, Table, text

KINDS = (HALF_YEAR, MONTH, YEAR)
TITLE = _("Complaints return (FCA, DISP 1.10)")
SOURCE = _("FCA Handbook DISP 1.10 (complaints reporting), DISP 1.5 (3 business days), DISP 1.6 (8 weeks).")


def definitions(zone, calendar: str) -> tuple[tuple[str, str], ...]:
    return (
        (gettext("Opened"), gettext("Complaints received in the period.")),
        (
            gettext("Closed"),
            gettext("Complaints resolved or closed in the period (the first of the two counts)."),
        ),
        (
            gettext("Within 3 business days"),
            gettext(
                "Closed by the close of business on the third business day after the day of "
                "receipt, on the %(calendar)s calendar (%(zone)s)."
            )
            % {"calendar": calendar, "zone": zone},
        ),
        (
            gettext("Within 8 weeks"),
            gettext("Closed later than that, but within 8 weeks (56 days) of the moment of receipt."),
        ),
        (gettext("After 8 weeks"), gettext("Closed more than 8 weeks after receipt.")),
        (
            gettext("Upheld"),
            gettext(
                "Closed complaints found upheld or partly upheld; the rate is over those with an outcome."
            ),
        ),
        (
            gettext("Redress"),
            gettext("The redress recorded on the complaints closed in the period, by currency."),
        ),
        (
            gettext("Outstanding"),
            gettext(
                "Open at the end of the period: received and neither resolved, closed, rejected nor "
                "withdrawn."
            ),
        ),
    )


def fca_return(period: Period, regime: Regime | None = None) -> Return:
    regime = regime or deployment_regime()
    queryset, zone = m.scoped(regime)
    start, end = period.bounds(zone)
    since, until = period.starts_on, period.ends_before
    closed = m.closed_q(start, end)
    bands = {key: m.fca_band_q(key, regime, start, end) for key, _label in m.FCA_BANDS}
    conditions = {
        "opened": m.received_q(start, end),
        "closed": closed,
        **{f"band_{key}": closed & condition for key, condition in bands.items()},
        "upheld": closed & m.upheld_q(),
        "decided": closed & m.decided_q(),
        "outstanding": m.open_at_q(end),
    }
    links = {
        "opened": {"measure": "received"},
        "closed": {"measure": "closed"},
        **{f"band_{key}": {"measure": "closed", "band": key} for key in bands},
        "upheld": {"measure": "closed", "outcome": "upheld"},
        "decided": {"measure": "closed", "outcome": "decided"},
        "outstanding": {"measure": "open_at"},
    }

    def link(name: str, **extra) -> dict:
        spec = dict(links[name])
        measure = spec.pop("measure")
        return m.figure_params(regime, measure, since=since, until=until, **spec, **extra)

    counts = {name: Count("pk", filter=condition) for name, condition in conditions.items()}
    totals = queryset.aggregate(**counts)
    any_of = conditions["opened"] | closed | conditions["outstanding"]
    grouped = list(queryset.filter(any_of).values("business_type_id").annotate(**counts))
    redress = list(
        queryset.filter(closed & m.redress_q())
        .values("currency")
        .annotate(amount=Sum("redress_amount"), complaints=Count("pk"))
        .order_by("currency")
    )
    labels = Labels()
    shown = ("opened", "closed", *(f"band_{key}" for key in bands), "upheld", "outstanding")
    headings = (
        gettext("Opened"),
        gettext("Closed"),
        *(str(label) for _key, label in m.FCA_BANDS),
        gettext("Upheld"),
        gettext("Outstanding at end"),
    )
    rows = tuple(
        (
            text(labels.coded(row["business_type_id"])),
            *(
                Cell(row[name], link(name, business_type=labels.code(row["business_type_id"])))
                for name in shown
            ),
        )
        for row in sorted(grouped, key=lambda row: labels.position(row["business_type_id"]))
    )
    by_type = Table(
        "by_business_type",
        gettext("By product or service grouping (business type)"),
        (gettext("Business type"), *headings),
        rows,
        total=(text(gettext("Total")), *(Cell(totals[name], link(name)) for name in shown)),
    )
    summary = Table(
        "summary",
        gettext("Summary"),
        (gettext("Figure"), gettext("Number of complaints")),
        (
            *(
                (text(heading), Cell(totals[name], link(name)))
                for name, heading in zip(shown, headings, strict=True)
            ),
            (text(gettext("Decided (closed with an outcome)")), Cell(totals["decided"], link("decided"))),
            (
                text(gettext("Upheld rate")),
                Cell(totals["upheld"] / totals["decided"] if totals["decided"] else None, kind="share"),
            ),
        ),
    )
    redress_table = Table(
        "redress",
        gettext("Redress paid, by currency"),
        (gettext("Currency"), gettext("Number of complaints"), gettext("Amount")),
        tuple(
            (
                text(row["currency"]),
                Cell(row["complaints"], link("closed", redress=row["currency"])),
                Cell(row["amount"], kind="amount"),
            )
            for row in redress
        ),
        note="" if redress else gettext("No redress was paid on the complaints closed in the period."),
    )
    calendar = m.working_time(regime).calendar
    return Return(
        slug="fca",
        title=str(TITLE),
        period=period,
        regime=regime,
        zone=str(zone),
        definitions=definitions(m.working_time(regime).zone, calendar.name),
        tables=(summary, by_type, redress_table),
        source=str(SOURCE),
        figures={name: Cell(totals[name], link(name)) for name in (*shown, "decided")},
    )
