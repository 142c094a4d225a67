"""A CFPB-shaped export for US deployments: one row per complaint received in the period,
with the field list of the CFPB's public Consumer Complaint Database, in its order. Per
complaint, so it is streamed: the rows come from a server-side cursor in chunks, and the
CSV and the XLSX are written as they come (``complaints.returns.files``).

What each column holds here (``MAPPING``): no narrative (none is published without the
consumer's consent, and none was asked), no state or ZIP code (not recorded), dates as ISO
8601 in the regime calendar's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import Regime
from casework.sla.regimes import deployment_regime
from complaints.models import OPEN_STATES, ResolutionCode
from complaints.returns import measures as m
from complaints.returns.periods import MONTH, YEAR, Period
from complaints.returns.structure import Cell

KINDS = (MONTH, YEAR)
TITLE = _("CFPB-shaped complaint export")
CHUNK_SIZE = 2000
TIMELY_WITHIN = dt.timedelta(days=15)  # the CFPB portal: a response within 15 days

FIELDS = (
    "Date received",
    "Product",
    "Sub-product",
    "Issue",
    "Sub-issue",
    "Consumer complaint narrative",
    "Company public response",
    "Company",
    "State",
    "ZIP code",
    "Tags",
    "Consumer consent provided?",
    "Submitted via",
    "Date sent to company",
    "Company response to consumer",
    "Timely response?",
    "Consumer disputed?",
    "Complaint ID",
)

SUBMITTED_VIA = {
    "phone": "Phone",
    "chat": "Web",
    "email": "Email",
    "app": "Web",
    "website": "Web",
    "social_media": "Web",
    "regulator": "Referral",
    "partner_api": "Referral",
}
MONETARY = {ResolutionCode.REFUNDED, ResolutionCode.COMPENSATED}
NON_MONETARY = {ResolutionCode.CORRECTED, ResolutionCode.UNLOCKED}
EXPLANATION = {ResolutionCode.EXPLAINED, ResolutionCode.NOT_UPHELD}

COLUMNS = (
    "created_at",
    "business_type__name",
    "product__name",
    "cause__name",
    "root_cause__name",
    "channel",
    "state",
    "resolution_code",
    "redress_amount",
    "sla_clock__first_responded_at",
    "reference",
)


def mapping() -> tuple[tuple[str, str], ...]:
    return (
        ("Date received", gettext("The day the complaint was registered.")),
        ("Product", gettext("Its business type.")),
        ("Sub-product", gettext("Its product.")),
        ("Issue", gettext("Its cause.")),
        ("Sub-issue", gettext("The root cause found at resolution.")),
        ("Consumer complaint narrative", gettext("Empty: no consumer consented to publish one.")),
        ("Company public response", gettext("Empty: none is published.")),
        ("Company", gettext("The INSTITUTION_NAME setting.")),
        ("State, ZIP code, Tags", gettext("Empty: not recorded.")),
        ("Consumer consent provided?", gettext("Consent not provided.")),
        (
            "Submitted via",
            gettext(
                "The channel: Phone, Email, Web (chat, app, website, social media), Referral "
                "(regulator, partner)."
            ),
        ),
        ("Date sent to company", gettext("The day received: complaints come to the company directly.")),
        (
            "Company response to consumer",
            gettext(
                "In progress while open; Closed with monetary relief (redress paid, refunded, "
                "compensated), with non-monetary relief (corrected, unlocked), with explanation "
                "(explained, not upheld); Closed otherwise (rejected, withdrawn)."
            ),
        ),
        (
            "Timely response?",
            gettext(
                "Yes if first answered within 15 days of receipt; No if later or still "
                "unanswered after 15 days."
            ),
        ),
        ("Consumer disputed?", gettext("N/A: the CFPB stopped asking in 2017.")),
        ("Complaint ID", gettext("The complaint's reference.")),
    )


@dataclass(frozen=True)
class CfpbExport:
    period: Period
    regime: Regime
    zone: str
    count: Cell
    title: str = str(TITLE)
    slug: str = "cfpb"

    @property
    def definitions(self) -> tuple[tuple[str, str], ...]:
        return mapping()

    def queryset(self):
        queryset, zone = m.scoped(self.regime)
        start, end = self.period.bounds(zone)
        return queryset.filter(m.received_q(start, end))

    def rows(self, *, now: dt.datetime | None = None) -> Iterator[tuple]:
        """Each complaint's row, in the order received, from a server-side cursor."""
        now = now or timezone.now()
        zone = m.zone_of(self.regime)
        company = settings.INSTITUTION_NAME
        values = self.queryset().order_by("created_at", "pk").values_list(*COLUMNS)
        for row in values.iterator(chunk_size=CHUNK_SIZE):
            yield cfpb_row(dict(zip(COLUMNS, row, strict=True)), zone=zone, company=company, now=now)


def company_response(state: str, code: str, redress) -> str:
    if state in OPEN_STATES:
        return "In progress"
    if state in m.ENDED_STATES:
        if (redress or 0) > 0 or code in MONETARY:
            return "Closed with monetary relief"
        if code in NON_MONETARY:
            return "Closed with non-monetary relief"
        if code in EXPLANATION:
            return "Closed with explanation"
    return "Closed"


def timely(received_at: dt.datetime, responded_at: dt.datetime | None, now: dt.datetime) -> str:
    due = received_at + TIMELY_WITHIN
    if responded_at is not None:
        return "Yes" if responded_at <= due else "No"
    return "No" if now > due else ""


def cfpb_row(row: dict, *, zone, company: str, now: dt.datetime) -> tuple:
    received = row["created_at"].astimezone(zone).date().isoformat()
    return (
        received,
        row["business_type__name"] or "",
        row["product__name"] or "",
        row["cause__name"] or "",
        row["root_cause__name"] or "",
        "",
        "",
        company,
        "",
        "",
        "",
        "Consent not provided",
        SUBMITTED_VIA.get(row["channel"], "Other"),
        received,
        company_response(row["state"], row["resolution_code"], row["redress_amount"]),
        timely(row["created_at"], row["sla_clock__first_responded_at"], now),
        "N/A",
        row["reference"],
    )


def cfpb_export(period: Period, regime: Regime | None = None) -> CfpbExport:
    regime = regime or deployment_regime()
    zone = m.zone_of(regime)
    export = CfpbExport(period=period, regime=regime, zone=str(zone), count=Cell(0))
    count = export.queryset().aggregate(n=Count("pk"))["n"]
    params = m.figure_params(regime, "received", since=period.starts_on, until=period.ends_before)
    return CfpbExport(period=period, regime=regime, zone=str(zone), count=Cell(count, params))
