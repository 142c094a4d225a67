"""Reading refund cases through the partner door: only the partner's own, filtered and paged
at a constant query count, without the internal side, and the timeline in neutral words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from casework.tests.api import assert_error, assert_pages_by_cursor, count_list_queries, listed
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import RefundCase, RefundState
from refunds.tests.api import LIST_URL, cancel_url, detail_url, evidence_url, png, report_url, send_refund
from refunds.tests.factories import open_refund, refund_in_state

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")

# Reading


def test_a_partner_lists_only_its_own_cases(api, partner, other_partner, agent):
    own = [send_refund(partner).reference for _ in range(2)]
    send_refund(other_partner)
    open_refund(agent)

    assert listed(api, LIST_URL) == own[::-1]


def test_the_list_filters_by_state_refund_type_and_partner_reference(api, partner):
    cancelled = send_refund(partner, external_reference="ACME-1")
    services.cancel_refund(case=cancelled, actor=partner.user)
    duplicate = send_refund(partner, external_reference="ACME-2", refund_type="duplicate_charge")
    requested = send_refund(partner, external_reference="ACME-3")

    assert listed(api, LIST_URL, state="cancelled") == [cancelled.reference]
    assert listed(api, LIST_URL, state="requested") == [requested.reference, duplicate.reference]
    assert listed(api, LIST_URL, refund_type="duplicate_charge") == [duplicate.reference]
    assert listed(api, LIST_URL, external_reference="ACME-3") == [requested.reference]
    assert listed(api, LIST_URL, state="requested", refund_type="not_received") == [requested.reference]
    assert listed(api, LIST_URL, state="refunded") == []


@pytest.mark.parametrize("parameter", ["state", "refund_type"])
def test_an_unknown_filter_value_is_refused_naming_the_parameter(api, parameter):
    error = assert_error(api.get(LIST_URL, {parameter: "lost"}), 400, "invalid")

    assert list(error["fields"]) == [parameter]


def test_the_list_pages_by_cursor(api, partner):
    sent = [send_refund(partner).reference for _ in range(3)]

    assert_pages_by_cursor(api, LIST_URL, sent)


def test_listing_costs_the_same_queries_for_3_or_20_cases(api, partner, agent):
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS, agent=agent, partner=partner, channel="partner_api"
    )
    send_refund(partner, complaint=complaint)
    for _ in range(2):
        send_refund(partner)
    few, few_rows = count_list_queries(api, LIST_URL)
    for _ in range(17):
        send_refund(partner)
    many, many_rows = count_list_queries(api, LIST_URL)

    assert (few_rows, many_rows) == (3, 20)
    assert few == many, f"{few} queries for 3 cases, {many} for 20"
    assert many == 2, "the key with its partner and user, one page with its payment, clock and complaint"


def test_reading_a_case_shows_its_state_amounts_and_version(api, partner, refunds_desk):
    case = send_refund(partner, external_reference="ACME-9")
    services.start_review(case=case, actor=refunds_desk)
    services.approve_refund(case=case, actor=refunds_desk, amount=Decimal("250.00"))

    response = api.get(detail_url(case.reference))

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["requested_amount"], body["approved_amount"]) == (
        "approved",
        "300.00",
        "250.00",
    )
    assert body["external_reference"] == "ACME-9"
    assert response["ETag"] == f'"{body["version"]}"' == '"2"'


def test_a_partner_never_sees_the_internal_side(api, partner, refunds_desk):
    case = send_refund(partner, requested_amount=Decimal("6000.00"), transaction_amount=Decimal("8000.00"))
    services.start_review(case=case, actor=refunds_desk, reason="Merchant on the watch list, check twice")
    services.approve_refund(case=case, actor=refunds_desk)  # above the threshold: the first of two

    response = api.get(detail_url(case.reference))

    body = response.json()
    assert body["state"] == "under_review"
    for internal in (
        "handler",
        "first_approved_by",
        "first_approved_at",
        "approved_by",
        "submitted_by",
        "instructions",
        "evidence",
        "partner",
        "next_reminder_at",
    ):
        assert internal not in body
    content = response.content.decode()
    assert refunds_desk.username not in content
    assert "watch list" not in content


def test_another_partners_case_is_not_found_never_forbidden(api, other_partner):
    theirs = send_refund(other_partner)

    assert_error(api.get(detail_url(theirs.reference)), 404, "not_found")
    assert_error(api.post(cancel_url(theirs.reference), {}, format="json"), 404, "not_found")
    assert_error(
        api.post(evidence_url(theirs.reference), {"kind": "other", "file": png()}, format="multipart"),
        404,
        "not_found",
    )
    theirs.refresh_from_db()
    assert (theirs.state, theirs.evidence.count()) == (RefundState.REQUESTED, 0)


# Filters by last change


def test_the_list_filters_by_last_change_and_receipt(api, partner, refunds_desk):
    quiet, moved = send_refund(partner), send_refund(partner)
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    RefundCase.objects.filter(pk__in=[quiet.pk, moved.pk]).update(created_at=long_ago, updated_at=long_ago)
    poll = (long_ago + dt.timedelta(days=1)).isoformat()

    services.start_review(case=RefundCase.objects.get(pk=moved.pk), actor=refunds_desk)

    assert listed(api, LIST_URL, updated_since=poll) == [moved.reference]
    assert set(listed(api, LIST_URL, created_before=poll)) == {quiet.reference, moved.reference}
    assert listed(api, LIST_URL, created_since=poll) == []
    assert list(assert_error(api.get(LIST_URL, {"created_since": "soon"}), 400, "invalid")["fields"]) == [
        "created_since"
    ]


# The timeline


def timeline_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/timeline/"


def test_the_timeline_says_who_moved_the_refund_in_neutral_words(
    api, partner, refunds_desk, payments_system, payments_api
):
    case = refund_in_state(
        RefundState.AWAITING_EVIDENCE, agent=partner.user, desk=refunds_desk, partner=partner
    )
    api.post(evidence_url(case.reference), {"kind": "payment_voucher", "file": png()}, format="multipart")
    case.refresh_from_db()
    services.approve_refund(case=case, actor=refunds_desk, reason="Voucher matches the ledger")
    services.submit_to_payments(case=case, actor=refunds_desk)
    key = case.instructions.get().idempotency_key
    payments_api.post(report_url(key), {"outcome": "settled", "processor_reference": "PSP-1"}, format="json")

    response = api.get(timeline_url(case.reference))

    assert [(e["transition"], e["to_state"], e["actor"]) for e in response.json()["results"]] == [
        ("open", "requested", "you"),
        ("start_review", "under_review", "back office"),
        ("request_evidence", "awaiting_evidence", "back office"),
        ("evidence_received", "under_review", "system"),
        ("approve", "approved", "back office"),
        ("submit_to_payments", "processing", "back office"),
        ("settle", "refunded", "back office"),
    ]
    content = response.content.decode()
    for internal in ("Voucher matches", "add_evidence", refunds_desk.username, payments_system.username):
        assert internal not in content
