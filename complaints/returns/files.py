"""A return as a file: CSV (UTF-8 with a BOM, so Excel reads the Chinese) and XLSX
(openpyxl's write-only workbook, rows written as they come). A table return writes its
heading (title, period, regime, time zone, source), its definitions, then each table with
its columns, rows and total; the CFPB export writes its field list and a row per complaint,
streamed. Every download is logged (``casework.models.FileDownload``, the log
``casework.admin.downloads`` keeps for case files): the regime stands for the case."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django import http
from django.contrib.contenttypes.models import ContentType
from django.core.validators import validate_ipv46_address
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext
from openpyxl import Workbook

from casework.core.evidence import attachment_disposition
from casework.models import FileDownload, Regime
from complaints.returns.cfpb import FIELDS, CfpbExport
from complaints.returns.structure import Return

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def file_name(report, extension: str) -> str:
    return f"{report.slug}-{report.regime.code}-{report.period.key}.{extension}"


def heading_rows(report) -> list[list]:
    rows = [
        [report.title],
        [gettext("Period"), report.period.key, report.period.label],
        [gettext("Regime"), str(report.regime), report.regime.code],
        [gettext("Time zone"), report.zone],
    ]
    if getattr(report, "source", ""):
        rows.append([gettext("Source"), report.source])
    rows += [[], [gettext("Definitions")], *([term, meaning] for term, meaning in report.definitions), []]
    return rows


def table_rows(report: Return) -> Iterator[list]:
    """The whole return as rows: the heading, then each table after its title."""
    yield from heading_rows(report)
    for table in report.tables:
        yield [table.title]
        yield list(table.columns)
        for row in table.rows:
            yield [cell.file_value for cell in row]
        if table.total:
            yield [cell.file_value for cell in table.total]
        if table.note:
            yield [table.note]
        yield []


class _Echo:
    """A file-like object csv.writer writes to, handing each line back."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM
    for row in rows:
        yield writer.writerow(["" if value is None else value for value in row])


def cfpb_rows(export: CfpbExport) -> Iterator[list]:
    yield list(FIELDS)
    yield from (list(row) for row in export.rows())


def _attachment(response: http.HttpResponseBase, name: str) -> http.HttpResponseBase:
    response["Content-Disposition"] = attachment_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    patch_cache_control(response, no_store=True, private=True)
    return response


def csv_response(report) -> http.StreamingHttpResponse:
    rows = cfpb_rows(report) if isinstance(report, CfpbExport) else table_rows(report)
    return _attachment(
        http.StreamingHttpResponse(csv_lines(rows), content_type=CSV_TYPE), file_name(report, "csv")
    )


def write_xlsx(report, target) -> None:
    """Write the return to ``target`` (a path or a binary file) as XLSX, row by row."""
    workbook = Workbook(write_only=True)
    if isinstance(report, CfpbExport):
        about = workbook.create_sheet("About")
        for row in heading_rows(report):
            about.append(row)
        sheet = workbook.create_sheet("Complaints")
        for row in cfpb_rows(report):
            sheet.append(row)
    else:
        about = workbook.create_sheet("About")
        for row in heading_rows(report):
            about.append(row)
        for table in report.tables:
            sheet = workbook.create_sheet(table.key[:31])
            sheet.append([table.title])
            sheet.append(list(table.columns))
            for row in table.rows:
                sheet.append([cell.file_value for cell in row])
            if table.total:
                sheet.append([cell.file_value for cell in table.total])
            if table.note:
                sheet.append([table.note])
    workbook.save(target)


def xlsx_response(report) -> http.FileResponse:
    spooled = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    write_xlsx(report, spooled)
    spooled.seek(0)
    return _attachment(http.FileResponse(spooled, content_type=XLSX_TYPE), file_name(report, "xlsx"))


def log_download(request, report, name: str) -> None:
    regime_type = ContentType.objects.get_for_model(Regime)
    address = request.META.get("REMOTE_ADDR", "")
    try:
        validate_ipv46_address(address)
    except Exception:
        address = None
    FileDownload.objects.create(
        user=request.user,
        content_type=regime_type,
        object_id=report.regime.pk,
        case_reference=f"{report.regime.code} {report.period.key}"[:40],
        file_type=regime_type,
        file_id=report.regime.pk,
        file_name=name[:255],
        address=address,
    )
