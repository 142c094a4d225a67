# ruff: noqa: RUF001
"""The returns in the admin: ``/admin/returns/`` lists them; each has a page (a period
picker, the regime, the definitions, the tables with every count linked to the complaints
it counts, and inline SVG bar charts drawn on the server), a CSV and an XLSX download, and
the annual disclosure a printable page. Whoever holds ``complaints.view_returns``
(supervisors and auditors) may read them; anyone else is refused."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.errors import InvalidInput
from casework.models import Regime, kinds
from casework.sla.regimes import deployment_regime, regime_by_code
from casework.supervision.panels import Figure, Links, count_chart
from complaints.models import Complaint
from complaints.returns import cfpb, disclosure, fca, files, measures, monthly
from complaints.returns.periods import parse_period, period_of

PERMISSION = "complaints.view_returns"
RETURNS = {
    "monthly": (monthly.TITLE, monthly.KINDS, monthly.monthly_return),
    "disclosure": (disclosure.TITLE, disclosure.KINDS, disclosure.annual_disclosure),
    "fca": (fca.TITLE, fca.KINDS, fca.fca_return),
    "cfpb": (cfpb.TITLE, cfpb.KINDS, cfpb.cfpb_export),
}
# What each return is for, as the index says it.
PURPOSES = {
    "monthly": _(
        "Received, closed, open, by business type × cause × channel; timeliness; upheld rate; redress."
    ),
    "disclosure": _("The yearly public disclosure of a payment institution, ready to publish."),
    "fca": _("DISP 1.10 for UK deployments: within 3 business days, 8 weeks, later; upheld; redress."),
    "cfpb": _("One row per complaint, in the CFPB public database's fields, for US deployments."),
}

CHART_LABEL = 230
CHART_BAR = 260
CHART_VALUE = 60


def _allowed(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _regime(request: HttpRequest) -> Regime:
    code = request.GET.get("regime", "")
    return regime_by_code(code) if code else deployment_regime()


def _report(request: HttpRequest, slug: str):
    if slug not in RETURNS:
        raise Http404("No such return.")
    _title, period_kinds, build = RETURNS[slug]
    regime = _regime(request)
    text = request.GET.get("period", "")
    if text:
        period = parse_period(text, kinds=period_kinds)
    else:
        today = timezone.localdate(timezone.now(), measures.zone_of(regime))
        period = period_of(period_kinds[0], today)
        if period_kinds[0] != "year" or slug == "disclosure":
            period = period.previous()  # the last whole period: the one a return is filed for
    return build(period, regime)


@dataclass(frozen=True)
class ShownCell:
    text: str
    url: str
    is_number: bool
    count: int | None


def _shown(cell, links: Links, kind) -> ShownCell:
    url = links.url(kind, **cell.params) if cell.params else ""
    return ShownCell(cell.text, url, cell.kind != "text", cell.value if cell.kind == "count" else None)


@dataclass(frozen=True)
class GroupedBar:
    label: str
    y: int
    bars: tuple  # (css class, width, value text, url, description, x of the text)


def received_closed_chart(report, links: Links, kind) -> dict | None:
    """Received and closed side by side, per business type: two bars a row."""
    table = next((table for table in report.tables if table.key == "by_business_type"), None)
    if table is None or not table.rows:
        return None
    columns = list(table.columns)
    # The FCA's table says "opened" for what the others call "received".
    received = gettext("Received") if gettext("Received") in columns else gettext("Opened")
    # The disclosure counts what was handled of the year's complaints, not what closed in it.
    ended = gettext("Closed") if gettext("Closed") in columns else gettext("Handled")
    wanted = [(received, "received"), (ended, "closed")]
    indexes = [(columns.index(name), tone) for name, tone in wanted if name in columns]
    largest = max((row[i].value or 0 for row in table.rows for i, _tone in indexes), default=0) or 1
    rows = []
    for number, row in enumerate(table.rows):
        bars = []
        for offset, (index, tone) in enumerate(indexes):
            cell = row[index]
            width = round(CHART_BAR * (cell.value or 0) / largest)
            if cell.value and width < 2:
                width = 2
            url = links.url(kind, **cell.params) if cell.params else ""
            description = f"{row[0].text}: {columns[index]} {cell.text}"
            bars.append((tone, width, cell.text, url, description, CHART_LABEL + width + 6, 4 + offset * 12))
        rows.append(GroupedBar(row[0].text, number * 30 + 2, tuple(bars)))
    return {
        "slug": f"returns-{report.slug}-by-type",
        "title": gettext("%(received)s and %(ended)s, by business type")
        % {"received": received, "ended": ended.lower()},
        "rows": rows,
        "width": CHART_LABEL + CHART_BAR + CHART_VALUE,
        "height": len(rows) * 30 + 4,
        "label_x": CHART_LABEL - 8,
        "bar_x": CHART_LABEL,
        "legend": [(name, tone) for name, tone in wanted],
    }


def timeliness_chart(report, links: Links, kind):
    key = {"monthly": "timeliness", "disclosure": "speed"}.get(report.slug)
    if key is None:
        return None
    table = report.table(key)
    rows = [
        (
            row[0].text,
            Figure(
                f"return:{report.slug}:{row[0].text}",
                row[1].value,
                links.url(kind, **row[1].params),
                f"{row[0].text}: {row[1].text}",
            ),
        )
        for row in table.rows
    ]
    return count_chart(f"returns-{report.slug}-timeliness", table.title, rows)


def fca_chart(report, links: Links, kind):
    if report.slug != "fca":
        return None
    table = report.table("summary")
    # The chart's labels are short: the summary beside it says each band in full.
    short = (gettext("≤ 3 business days"), gettext("≤ 8 weeks"), gettext("> 8 weeks"))
    rows = [
        (
            label,
            Figure(
                f"return:fca:{number}",
                row[1].value,
                links.url(kind, **row[1].params),
                f"{row[0].text}: {row[1].text}",
            ),
        )
        for number, (label, row) in enumerate(zip(short, table.rows[2:5], strict=True))
    ]
    return count_chart("returns-fca-bands", gettext("Closed, by how soon"), rows)


def _context(request: HttpRequest, report, slug: str) -> dict:
    links = Links(request.user)
    kind = kinds.kind_of(Complaint)
    query = {"period": report.period.key, "regime": report.regime.code}
    base = reverse("admin-return", args=[slug])
    context = {
        **admin.site.each_context(request),
        "title": report.title,
        "report": report,
        "slug": slug,
        "regimes": Regime.objects.filter(is_active=True).order_by("code", "-version"),
        "previous": f"{base}?period={report.period.previous().key}&regime={report.regime.code}",
        "next": f"{base}?period={report.period.next().key}&regime={report.regime.code}",
        "csv_url": reverse("admin-return-file", args=[slug, "csv"]) + "?" + _encode(query),
        "xlsx_url": reverse("admin-return-file", args=[slug, "xlsx"]) + "?" + _encode(query),
        "is_nav_sidebar_enabled": False,
    }
    if slug == "cfpb":
        context["count"] = _shown(report.count, links, kind)
        context["fields"] = cfpb.FIELDS
        context["preview"] = [row for _, row in zip(range(10), report.rows(), strict=False)]
    else:
        context["tables"] = [
            {
                "table": table,
                "columns": _columns(table),
                "rows": [[_shown(cell, links, kind) for cell in row] for row in table.rows],
                "total": [_shown(cell, links, kind) for cell in table.total] if table.total else None,
            }
            for table in report.tables
        ]
        context["grouped_chart"] = received_closed_chart(report, links, kind)
        context["charts"] = [
            chart
            for chart in (timeliness_chart(report, links, kind), fca_chart(report, links, kind))
            if chart
        ]
        if slug == "disclosure":
            context["print_url"] = reverse("admin-return-print", args=[slug]) + "?" + _encode(query)
    return context


def _columns(table) -> list[tuple[str, bool]]:
    """Each column's heading, and whether it holds numbers (set right, as its cells are)."""
    sample = table.total or (table.rows[0] if table.rows else ())
    kinds_shown = [cell.kind != "text" for cell in sample] or [
        index > 0 for index in range(len(table.columns))
    ]
    return list(zip(table.columns, kinds_shown, strict=False))


def _encode(query: dict) -> str:
    return urlencode(query)


def index_view(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    regime = deployment_regime()
    context = {
        **admin.site.each_context(request),
        "title": gettext("Regulatory returns"),
        "regime": regime,
        "returns": [
            {
                "slug": slug,
                "title": title,
                "purpose": PURPOSES[slug],
                "url": reverse("admin-return", args=[slug]),
            }
            for slug, (title, _kinds, _build) in RETURNS.items()
        ],
    }
    return TemplateResponse(request, "complaints/returns/index.html", context)


def return_view(request: HttpRequest, slug: str) -> HttpResponse:
    _allowed(request)
    try:
        report = _report(request, slug)
    except InvalidInput as error:
        messages.error(request, str(error))
        report = _report(_without_period(request), slug)
    return TemplateResponse(request, "complaints/returns/page.html", _context(request, report, slug))


def _without_period(request: HttpRequest) -> HttpRequest:
    request.GET = request.GET.copy()
    request.GET.pop("period", None)
    if (
        request.GET.get("regime")
        and not Regime.objects.filter(code=request.GET["regime"], is_active=True).exists()
    ):
        request.GET.pop("regime")
    return request


def file_view(request: HttpRequest, slug: str, extension: str) -> HttpResponse:
    _allowed(request)
    if extension not in {"csv", "xlsx"}:
        raise Http404("CSV or XLSX.")
    try:
        report = _report(request, slug)
    except InvalidInput as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    response = files.csv_response(report) if extension == "csv" else files.xlsx_response(report)
    files.log_download(request, report, files.file_name(report, extension))
    return response


def print_view(request: HttpRequest, slug: str) -> HttpResponse:
    _allowed(request)
    if slug != "disclosure":
        raise Http404("Only the disclosure is published.")
    report = _report(request, slug)
    context = {
        "report": report,
        "institution": settings.INSTITUTION_NAME or admin.site.site_header,
        "printed_at": timezone.localtime(timezone.now(), measures.zone_of(report.regime)),
    }
    files.log_download(request, report, files.file_name(report, "html"))
    return TemplateResponse(request, "complaints/returns/print.html", context)


urls = [
    ("admin/returns/", admin.site.admin_view(index_view), "admin-returns"),
    ("admin/returns/<slug:slug>/", admin.site.admin_view(return_view), "admin-return"),
    ("admin/returns/<slug:slug>/print/", admin.site.admin_view(print_view), "admin-return-print"),
    ("admin/returns/<slug:slug>/file.<str:extension>", admin.site.admin_view(file_view), "admin-return-file"),
]
