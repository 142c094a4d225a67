"""The trail's export page: a period of whole local days and filters, for auditors and
supervisors, streamed as CSV in bounded memory with spreadsheet formulas written as
text; and the trail list's filter by case type."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import StreamingHttpResponse
from django.urls import reverse_lazy
from django.utils import timezone

from accounts.tests.factories import request_in_state
from casework.models import TransitionRecord
from casework.trail.audit import TRAIL_COLUMNS, records_for, trail_rows
from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import file_complaint, register
from refunds.tests.factories import open_refund

# The export page: a period and filters, streamed as CSV.

EXPORT = reverse_lazy("admin:casework_transitionrecord_export")
CHANGELIST = reverse_lazy("admin:casework_transitionrecord_changelist")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def moved(case, when: dt.datetime) -> None:
    """Put every record of ``case`` at ``when`` (the export reads the time, not the chain)."""
    records_for(case).update(created_at=when)


def exported(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def references(rows: list[list[str]]) -> set[str]:
    return {row[2] for row in rows[1:]}


@pytest.fixture
def cases(agent, other_agent, supervisor, partner):
    """A complaint a day from 1 to 3 March, one a partner filed, a refund case and an
    account request, each with its records on its own day."""
    first = register(agent)
    moved(first, at(2026, 3, 1, 9, 0))
    last_minute = register(other_agent)
    moved(last_minute, at(2026, 3, 1, 23, 59, 59))
    next_day = register(agent)
    moved(next_day, at(2026, 3, 2, 0, 0))
    filed = file_complaint(partner)
    services.add_partner_message(complaint=filed, actor=partner.user, body="More details")
    filed = services.verify_identity(complaint=filed, actor=agent, method="sms_code")
    moved(filed, at(2026, 3, 1, 12, 0))
    refund = open_refund(agent)
    moved(refund, at(2026, 3, 1, 15, 0))
    request = request_in_state("submitted", agent=agent, reviewer=supervisor)
    moved(request, at(2026, 3, 1, 16, 0))
    return SimpleNamespace(
        first=first, last_minute=last_minute, next_day=next_day, filed=filed, refund=refund, request=request
    )


def test_the_export_page_is_for_auditors_and_supervisors(client, agent, auditor, supervisor):
    client.force_login(agent)  # reads records on a case's timeline, does not export the trail
    assert client.get(EXPORT).status_code == 403
    assert str(EXPORT) not in client.get(CHANGELIST).content.decode()
    for reader in (auditor, supervisor):
        client.force_login(reader)
        assert client.get(EXPORT).status_code == 200
        assert str(EXPORT) in client.get(CHANGELIST).content.decode()


def test_a_period_is_whole_local_days_both_included(client, auditor, cases):
    client.force_login(auditor)

    rows = exported(client.get(EXPORT, {"start": "2026-03-01", "end": "2026-03-01"}))

    assert rows[0] == list(TRAIL_COLUMNS)
    assert references(rows) == {
        cases.first.reference,
        cases.last_minute.reference,
        cases.filed.reference,
        cases.refund.reference,
        cases.request.reference,
    }
    assert references(exported(client.get(EXPORT, {"start": "2026-03-02", "end": "2026-03-02"}))) == {
        cases.next_day.reference
    }
    assert exported(client.get(EXPORT, {"start": "2026-03-03", "end": "2026-03-31"}))[1:] == []


def test_the_export_opens_with_the_utf8_byte_order_mark_for_chinese_excel(client, auditor, cases):
    """Excel on Chinese Windows reads a CSV without the BOM as GBK: the names come out garbled."""
    client.force_login(auditor)

    raw = b"".join(client.get(EXPORT, {"start": "2026-03-01", "end": "2026-03-01"}).streaming_content)

    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(TRAIL_COLUMNS).encode())
    assert raw.count(b"\xef\xbb\xbf") == 1


def test_the_export_narrows_to_a_case_type(client, auditor, cases):
    client.force_login(auditor)
    period = {"start": "2026-03-01", "end": "2026-03-02"}
    refund_type = ContentType.objects.get_for_model(cases.refund)
    request_type = ContentType.objects.get_for_model(cases.request)

    refunds = exported(client.get(EXPORT, {**period, "case_type": refund_type.pk}))
    requests = exported(client.get(EXPORT, {**period, "case_type": request_type.pk}))

    assert references(refunds) == {cases.refund.reference}
    assert {row[1] for row in refunds[1:]} == {"refunds.refundcase"}
    assert references(requests) == {cases.request.reference}


def test_the_export_narrows_to_what_one_user_did(client, auditor, other_agent, cases):
    client.force_login(auditor)

    rows = exported(client.get(EXPORT, {"start": "2026-03-01", "end": "2026-03-02", "user": other_agent.pk}))

    assert references(rows) == {cases.last_minute.reference}
    assert {row[6] for row in rows[1:]} == {"agent.zhao"}


def test_the_export_narrows_to_the_cases_a_partner_filed(client, auditor, partner, other_partner, cases):
    client.force_login(auditor)
    period = {"start": "2026-03-01", "end": "2026-03-02"}

    rows = exported(client.get(EXPORT, {**period, "partner": partner.pk}))

    # The partner's own records and what staff did on its case.
    assert references(rows) == {cases.filed.reference}
    assert [row[3] for row in rows[1:]] == ["register", "verify_identity"]
    assert {row[6] for row in rows[1:]} == {"partner:acme", "agent.wang"}
    assert exported(client.get(EXPORT, {**period, "partner": other_partner.pk}))[1:] == []


def test_the_filters_combine(client, auditor, agent, partner, cases):
    client.force_login(auditor)
    complaint_type = ContentType.objects.get_for_model(cases.first)
    query = {"start": "2026-03-01", "end": "2026-03-01", "case_type": complaint_type.pk, "user": agent.pk}

    assert references(exported(client.get(EXPORT, query))) == {cases.first.reference, cases.filed.reference}
    rows = exported(client.get(EXPORT, {**query, "partner": partner.pk}))
    assert [(row[2], row[3]) for row in rows[1:]] == [(cases.filed.reference, "verify_identity")]


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end", "The last day comes before the first."),
        ({"start": "1 March", "end": "2026-03-01"}, "start", "Enter a valid date."),
        ({"end": "2026-03-01"}, "start", "This field is required."),
        ({"start": "2026-03-01", "end": "2026-03-01", "partner": "999"}, "partner", "Select a valid choice."),
        ({"start": "2026-03-01", "end": "2026-03-01", "user": "x"}, "user", "Select a valid choice."),
    ],
)
def test_bad_input_shows_the_form_again_with_what_was_typed(client, auditor, query, field, error):
    client.force_login(auditor)

    response = client.get(EXPORT, query)

    assert response.status_code == 200
    assert not response.streaming
    form = response.context["form"]
    assert error in form.errors[field][0]
    assert form.data.dict() == query  # nothing typed is lost


def test_the_export_page_writes_nothing_and_refuses_a_post(client, auditor):
    client.force_login(auditor)
    assert client.post(EXPORT, {"start": "2026-03-01", "end": "2026-03-01"}).status_code == 405


def test_a_cell_a_spreadsheet_would_run_is_written_as_text(client, auditor, partner):
    complaint = file_complaint(partner)
    services.withdraw_complaint(
        complaint=complaint, actor=partner.user, reason='=HYPERLINK("http://x.example")'
    )
    client.force_login(auditor)
    today = f"{timezone.localdate():%Y-%m-%d}"

    rows = exported(client.get(EXPORT, {"start": today, "end": today}))

    assert rows[-1][7] == '\'=HYPERLINK("http://x.example")'


# Streaming: rows are written while they are read, never all held at once.


def make_records(count: int, content_type: ContentType) -> None:
    now = timezone.now()
    TransitionRecord.objects.bulk_create(
        TransitionRecord(
            content_type=content_type,
            object_id=number,
            case_reference=f"CMP-20260301-{number:06d}",
            transition="register",
            source_state="",
            target_state="received",
            actor_label="agent.wang",
            reason=f"Registered from the hotline, call {number} " + "x" * 200,
            created_at=now,
            record_hash=f"{number:064d}",
        )
        for number in range(count)
    )


def peak_while_streaming(client) -> tuple[int, int]:
    """Peak memory (bytes) and rows while the export is read chunk by chunk."""
    today = f"{timezone.localdate():%Y-%m-%d}"
    response = client.get(EXPORT, {"start": today, "end": today})
    assert isinstance(response, StreamingHttpResponse)
    content = iter(response.streaming_content)
    assert not isinstance(response.streaming_content, list | tuple | bytes)
    tracemalloc.start()
    try:
        lines = sum(1 for _ in content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, lines


def test_the_export_streams_in_bounded_memory(client, auditor):
    client.force_login(auditor)
    complaint_type = ContentType.objects.get(app_label="complaints", model="complaint")
    make_records(1000, complaint_type)
    peak_small, lines_small = peak_while_streaming(client)
    make_records(4000, complaint_type)

    peak_large, lines_large = peak_while_streaming(client)

    assert (lines_small, lines_large) == (1 + 1000, 1 + 5000)
    # Five times the rows, about the same memory: one chunk of records at a time.
    assert peak_large < peak_small * 1.5, (peak_small, peak_large)
    # What holding the rows would take instead.
    tracemalloc.start()
    try:
        held = list(trail_rows(TransitionRecord.objects.all()))
        _, peak_held = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(held) == 1 + 5000
    assert peak_large * 3 < peak_held, (peak_large, peak_held)


def test_the_trail_list_filters_by_case_type_and_offers_only_case_types(client, auditor, cases):
    client.force_login(auditor)
    url = reverse_lazy("admin:casework_transitionrecord_changelist")

    response = client.get(url)
    [choices] = [spec for spec in response.context["cl"].filter_specs if spec.field_path == "content_type"]
    offered = {label for _pk, label in choices.lookup_choices}
    assert offered == {"Complaint", "Account request", "Refund case"}

    complaint_type = ContentType.objects.get_for_model(Complaint)
    response = client.get(url, {"content_type__id__exact": complaint_type.pk})
    shown = {record.content_type_id for record in response.context["cl"].result_list}
    assert shown == {complaint_type.pk}
