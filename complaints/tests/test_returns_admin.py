# ruff: noqa: RUF001
"""The returns in the admin: the page, the CSV and the XLSX hold the same figures (read
back with the csv module and openpyxl); each figure's link opens the complaint list with
exactly that many rows; downloads are logged; an agent is refused."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from casework.models import FileDownload
from casework.sla.regimes import regime_by_code
from complaints.returns import fca, monthly
from complaints.returns.periods import parse_period
from complaints.tests.returns_data import LONDON, at, make, pboc_set

MONTHLY = reverse("admin-return", args=["monthly"])
CHANGELIST = reverse("admin:complaints_complaint_changelist")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_tables(data: bytes) -> dict[str, list[list[str]]]:
    """Each table's rows (the columns row first) under its title, as the file lays them out."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    tables, current = {}, None
    for row in rows:
        if not row:
            current = None
        elif current is None and len(row) == 1:
            current = tables.setdefault(row[0], [])
        elif current is not None:
            current.append(row)
    return tables


def as_file_text(cell) -> str:
    value = cell.file_value
    return "" if value is None else str(value)


def linked_cells(report, keys):
    for table in report.tables:
        if table.key not in keys:
            continue
        for row in [*table.rows, *([table.total] if table.total else [])]:
            yield from (cell for cell in row if cell.params)


def listed(client, params) -> int:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200, response
    return response.context["cl"].result_count


@pytest.mark.postgres
def test_the_files_hold_the_page_s_figures_and_each_figure_lists_its_complaints(client, agent, supervisor):
    pboc_set(agent)
    client.force_login(supervisor)
    report = monthly.monthly_return(parse_period("2026-03", kinds=monthly.KINDS))

    page = client.get(MONTHLY, {"period": "2026-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Asia/Shanghai" in html and "within 1 day = 0–1 days" in html
    received = report.figures["received"]
    assert f'data-count="{received.value}"' in html

    data = client.get(reverse("admin-return-file", args=["monthly", "csv"]), {"period": "2026-03"})
    assert data["Content-Type"].startswith("text/csv")
    assert "monthly-cn-pboc-2026-03.csv" in data["Content-Disposition"]
    tables = csv_tables(body(data))
    for table in report.tables:
        expected = [list(table.columns)] + [
            [as_file_text(cell) for cell in row]
            for row in [*table.rows, *([table.total] if table.total else [])]
        ]
        got = [row[: len(table.columns)] for row in tables[table.title][: len(expected)]]
        assert got == expected, table.key

    data = client.get(reverse("admin-return-file", args=["monthly", "xlsx"]), {"period": "2026-03"})
    workbook = load_workbook(io.BytesIO(body(data)), read_only=True)
    assert workbook["About"]["A1"].value == report.title
    for table in report.tables:
        sheet = [list(row) for row in workbook[table.key].iter_rows(values_only=True)]
        assert sheet[0][0] == table.title and list(sheet[1]) == list(table.columns)
        for got, row in zip(sheet[2:], [*table.rows, *([table.total] if table.total else [])], strict=False):
            want = [cell.file_value for cell in row]
            got = [
                Decimal(str(value)) if isinstance(want[i], Decimal) else value
                for i, value in enumerate(got[: len(want)])
            ]
            # An empty string is an empty cell in XLSX.
            assert got == [None if value == "" else value for value in want], table.key
    assert (
        FileDownload.objects.filter(user=supervisor, file_name__startswith="monthly-cn-pboc-2026-03").count()
        == 2
    )

    checked = 0
    for cell in linked_cells(report, {"summary", "timeliness", "by_business_type", "redress"}):
        assert listed(client, cell.params) == cell.value, cell.params
        checked += 1
    for row in report.table("by_dimension").rows[:6]:
        for cell in row[3:]:
            assert listed(client, cell.params) == cell.value, cell.params
            checked += 1
    assert checked > 40


@pytest.mark.postgres
def test_the_fca_bands_link_to_the_complaints_they_count(client, agent, supervisor):
    uk = "uk-disp"
    make(
        agent,
        "resolved",
        at("2026-04-02", 10, zone=LONDON),
        at("2026-04-08", 16, 59, zone=LONDON),
        regime=uk,
        outcome="upheld",
    )
    make(
        agent, "resolved", at("2026-04-02", 10, zone=LONDON), at("2026-04-08", 17, 1, zone=LONDON), regime=uk
    )
    make(agent, "resolved", at("2026-02-10", zone=LONDON), at("2026-04-20", zone=LONDON), regime=uk)
    make(agent, "in_progress", at("2026-06-29", zone=LONDON), regime=uk)
    client.force_login(supervisor)
    report = fca.fca_return(parse_period("2026-H1", kinds=fca.KINDS), regime_by_code(uk))
    assert [row[1].value for row in report.table("summary").rows][:5] == [4, 3, 1, 1, 1]
    for cell in linked_cells(report, {"summary", "by_business_type"}):
        assert listed(client, cell.params) == cell.value, cell.params
    page = client.get(reverse("admin-return", args=["fca"]), {"period": "2026-H1", "regime": uk})
    assert page.status_code == 200 and "Europe/London" in page.content.decode()


@pytest.mark.parametrize("slug", ["monthly", "disclosure", "fca", "cfpb"])
def test_an_agent_is_refused_the_returns_and_their_files(client, agent, slug):
    client.force_login(agent)
    assert client.get(reverse("admin-returns")).status_code == 403
    assert client.get(reverse("admin-return", args=[slug])).status_code == 403
    assert client.get(reverse("admin-return-file", args=[slug, "csv"])).status_code == 403
    assert not FileDownload.objects.exists()


@pytest.mark.parametrize("slug", ["monthly", "disclosure", "fca", "cfpb"])
def test_supervisors_and_auditors_read_every_return(client, supervisor, auditor, slug):
    for user in (supervisor, auditor):
        client.force_login(user)
        assert client.get(reverse("admin-return", args=[slug])).status_code == 200
        assert client.get(reverse("admin-return-file", args=[slug, "xlsx"])).status_code == 200
    assert client.get(reverse("admin-returns")).status_code == 200


def test_the_disclosure_prints_as_a_page_ready_to_publish(client, agent, auditor):
    pboc_set(agent)
    client.force_login(auditor)
    page = client.get(reverse("admin-return-print", args=["disclosure"]), {"period": "2026"})
    html = page.content.decode()
    assert page.status_code == 200 and 'id="header"' not in html and "art. 28" in html


def test_a_period_the_return_does_not_take_is_refused_naming_the_form(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("admin-return-file", args=["monthly", "csv"]), {"period": "2026-H1"})
    assert response.status_code == 400 and "2026-03" in response.content.decode()
    page = client.get(MONTHLY, {"period": "March"}, follow=True)
    assert page.status_code == 200 and "Give the period as 2026-03." in page.content.decode()
