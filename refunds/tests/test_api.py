"""The refund doors: partners through DRF's client with a partner's token, the payments
system with its own."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import TransitionRecord
from casework.tests import files
from casework.tests.api import assert_error, assert_pages_by_cursor, client_for, count_list_queries, listed
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import InstructionStatus, PaymentInstruction, RefundCase, RefundEvidence, RefundState
from refunds.tests.factories import PNG, open_refund, refund_in_state, transaction_details

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")

LIST_URL = "/api/v1/refund-cases/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def cancel_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/cancel/"


def evidence_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/evidence/"


def instruction_url(key: str) -> str:
    return f"/api/v1/payment-instructions/{key}/"


def report_url(key: str) -> str:
    return f"/api/v1/payment-instructions/{key}/report/"


@pytest.fixture
def payments_api(payments_system) -> APIClient:
    return client_for(payments_system)


_numbers = iter(range(1, 100000))


def payload(**overrides) -> dict:
    body = {
        "refund_type": "not_received",
        "transaction_reference": f"TXN-API-{next(_numbers):06d}",
        "merchant": "Hangzhou Tea House",
        "transaction_amount": "800.00",
        "currency": "CNY",
        "paid_at": (timezone.now() - dt.timedelta(days=3)).isoformat(),
        "requested_amount": "300.00",
        "reason": "Order cancelled by the merchant; money not returned.",
        "external_reference": "ACME-R-1",
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def send_refund(partner, **overrides) -> RefundCase:
    """A refund case the partner sent, straight through the service."""
    return open_refund(partner.user, partner=partner, **overrides)


def png(name: str = "voucher.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# Opening a refund case


def test_partner_opens_a_refund_case(api, partner):
    body_sent = payload()

    response = api.post(LIST_URL, body_sent, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"RFD-\d{8}-\d{6}", body["reference"])
    assert (body["state"], body["state_display"], body["refund_type"]) == (
        "requested",
        "requested",
        "not_received",
    )
    assert (body["transaction_amount"], body["requested_amount"], body["approved_amount"]) == (
        "800.00",
        "300.00",
        None,
    )
    assert (body["currency"], body["merchant"]) == ("CNY", "Hangzhou Tea House")
    assert body["transaction_reference"] == body_sent["transaction_reference"]
    assert (body["external_reference"], body["complaint_reference"]) == ("ACME-R-1", None)
    assert set(body["sla"]) == {"resolution_due_at", "is_breached", "status"}
    assert body["version"] == 0
    assert response["Location"].endswith(detail_url(body["reference"]))
    assert response["ETag"] == '"0"'
    assert not response.has_header("Idempotent-Replayed")
    case = RefundCase.objects.get(reference=body["reference"])
    assert (case.partner, case.submitted_by) == (partner, partner.user)
    assert case.requested_amount == Decimal("300.00")
    record = TransitionRecord.objects.get(case_reference=case.reference)
    assert (record.transition, record.target_state, record.actor_label) == (
        "open",
        "requested",
        "partner:acme",
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("refund_type", "lost_parcel"),
        ("refund_type", None),
        ("transaction_reference", ""),
        ("merchant", None),
        ("transaction_amount", "eight hundred"),
        ("transaction_amount", "800.001"),
        ("currency", "XYZ"),
        ("paid_at", "last tuesday"),
        ("paid_at", (timezone.now() + dt.timedelta(days=2)).isoformat()),
        ("requested_amount", "0"),
        ("requested_amount", "-5.00"),
        ("requested_amount", "300.005"),
        ("requested_amount", True),
        ("reason", ""),
        ("external_reference", "R" * 65),
        ("complaint_reference", "CMP-20260101-000001"),
    ],
)
def test_each_bad_field_is_refused_naming_it(api, field, value):
    body = payload(**{field: value})  # None: left out

    error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")

    assert list(error["fields"]) == [field], error
    assert not RefundCase.objects.exists()


def test_a_json_number_is_refused_even_when_exact_at_the_currencys_minor_units(api):
    # One money contract for the whole API (the complaints' and the published one): a
    # decimal string, never a JSON number.
    response = api.post(LIST_URL, payload(transaction_amount=800, requested_amount=300.5), format="json")

    error = assert_error(response, 400, "invalid")
    assert sorted(error["fields"]) == ["requested_amount", "transaction_amount"]
    assert "decimal string" in error["fields"]["requested_amount"][0]
    assert not RefundCase.objects.exists()


def test_an_amount_finer_than_the_currency_is_refused_not_rounded(api):
    response = api.post(
        LIST_URL,
        payload(currency="JPY", transaction_amount="12000", requested_amount="1200.5"),
        format="json",
    )

    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["requested_amount"]
    assert "JPY has 0 decimal places" in error["fields"]["requested_amount"][0]


def test_yen_amounts_travel_without_decimals(api):
    response = api.post(
        LIST_URL, payload(currency="JPY", transaction_amount="12000", requested_amount="1200"), format="json"
    )

    assert response.status_code == 201, response.content
    assert (response.json()["transaction_amount"], response.json()["requested_amount"]) == ("12000", "1200")


def test_more_than_is_still_refundable_counting_other_open_cases_is_refused(
    api, partner, other_partner, agent
):
    details = transaction_details()
    staff_case = open_refund(agent, requested_amount=Decimal("400.00"), **details)
    open_refund(other_partner.user, partner=other_partner, requested_amount=Decimal("200.00"), **details)
    body = payload(
        transaction_reference=details["transaction_reference"],
        requested_amount="250.00",
        external_reference="",
    )

    error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["requested_amount"]
    assert "more than is still refundable" in error["message"]
    # What others claimed on the payment is not this partner's to learn.
    assert "CNY 200.00" not in error["message"] and "CNY 800.00" not in error["message"]
    assert RefundCase.objects.count() == 2

    services.cancel_refund(case=staff_case, actor=agent, reason="Merchant paid the customer directly")

    assert api.post(LIST_URL, body, format="json").status_code == 201


def test_a_payment_already_recorded_must_match_its_amount_and_currency(api, agent):
    details = transaction_details()
    open_refund(agent, **details)
    reference = details["transaction_reference"]

    wrong_amount = api.post(
        LIST_URL, payload(transaction_reference=reference, transaction_amount="900.00"), format="json"
    )
    wrong_currency = api.post(
        LIST_URL,
        payload(transaction_reference=reference, currency="HKD", external_reference="ACME-R-2"),
        format="json",
    )

    assert list(assert_error(wrong_amount, 400, "invalid")["fields"]) == ["transaction_amount"]
    assert list(assert_error(wrong_currency, 400, "invalid")["fields"]) == ["currency"]
    assert RefundCase.objects.count() == 1


def test_a_partner_reference_used_twice_is_refused_naming_it(api):
    assert api.post(LIST_URL, payload(), format="json").status_code == 201

    error = assert_error(api.post(LIST_URL, payload(), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["external_reference"]
    assert RefundCase.objects.count() == 1


def test_a_refund_follows_only_the_partners_own_open_complaint(api, partner, other_partner, agent):
    theirs = complaint_in_state(
        ComplaintState.IN_PROGRESS, agent=agent, partner=other_partner, channel="partner_api"
    )
    withdrawn = complaint_in_state(
        ComplaintState.WITHDRAWN, agent=agent, partner=partner, channel="partner_api"
    )

    def refusal(complaint) -> str:
        body = payload(complaint_reference=complaint.reference)
        error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")
        assert list(error["fields"]) == ["complaint_reference"]
        return error["fields"]["complaint_reference"][0]

    assert refusal(theirs) == f"You filed no complaint with the reference {theirs.reference}."
    assert "withdrawn" in refusal(withdrawn)
    assert not RefundCase.objects.exists()


def test_only_json_is_accepted_for_a_new_case(api):
    assert_error(api.post(LIST_URL, payload(), format="multipart"), 415, "unsupported_media_type")


# Who may call


def test_no_credentials_is_401(db):
    assert_error(APIClient().post(LIST_URL, payload(), format="json"), 401, "not_authenticated")


def test_a_staff_login_is_not_a_partner_credential(agent):
    assert_error(client_for(agent).get(LIST_URL), 401, "not_authenticated")


def test_the_payments_system_is_not_a_partner(payments_api):
    assert_error(payments_api.post(LIST_URL, payload(), format="json"), 403, "permission_denied")


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


# Cancelling


def test_a_partner_cancels_its_case_and_frees_its_amount(api, partner):
    case = send_refund(partner)

    response = api.post(cancel_url(case.reference), {"reason": "Merchant refunded in store"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled"
    assert response["ETag"] == f'"{body["version"]}"'
    record = TransitionRecord.objects.filter(case_reference=case.reference).last()
    assert (record.transition, record.actor_label, record.reason) == (
        "cancel",
        "partner:acme",
        "Merchant refunded in store",
    )
    case.refresh_from_db()
    assert case.sla_clock.stopped_at is not None
    assert services.refundable_amount(case.transaction) == Decimal("800.00")

    assert_error(api.post(cancel_url(case.reference), {}, format="json"), 409, "illegal_transition")


@pytest.mark.parametrize("state", [RefundState.PROCESSING, RefundState.REFUNDED, RefundState.REJECTED])
def test_a_case_with_payments_or_ended_cannot_be_cancelled(
    api, partner, refunds_desk, payments_system, state
):
    case = refund_in_state(
        state, agent=partner.user, desk=refunds_desk, payments=payments_system, partner=partner
    )

    assert_error(api.post(cancel_url(case.reference), {}, format="json"), 409, "illegal_transition")
    case.refresh_from_db()
    assert case.state == state


def test_a_stale_if_match_on_a_case_that_also_ended_is_a_concurrent_change(api, partner, refunds_desk):
    """Not illegal_transition: the partner decided on what it read, and that has changed."""
    case = send_refund(partner)
    read = api.get(detail_url(case.reference))["ETag"]
    services.start_review(case=case, actor=refunds_desk)
    services.reject_refund(case=case, actor=refunds_desk, reason="Paid to the merchant already")

    response = api.post(cancel_url(case.reference), {}, format="json", HTTP_IF_MATCH=read)

    assert_error(response, 409, "concurrent_change")
    case.refresh_from_db()
    assert case.state == RefundState.REJECTED


def test_evidence_added_bumps_the_cases_version_and_etag(api, partner):
    case = send_refund(partner)
    read = api.get(detail_url(case.reference))["ETag"]

    added = api.post(
        evidence_url(case.reference), {"kind": "payment_voucher", "file": png()}, format="multipart"
    )

    assert added.status_code == 201, added.content
    assert api.get(detail_url(case.reference))["ETag"] == f'"{case.version + 1}"'
    stale = api.post(cancel_url(case.reference), {}, format="json", HTTP_IF_MATCH=read)
    assert_error(stale, 409, "concurrent_change")


def test_cancelling_a_stale_version_is_a_conflict_and_changes_nothing(api, partner, refunds_desk):
    case = send_refund(partner)
    read = api.get(detail_url(case.reference))["ETag"]
    services.start_review(case=case, actor=refunds_desk)
    records = TransitionRecord.objects.count()

    stale = api.post(cancel_url(case.reference), {}, format="json", HTTP_IF_MATCH=read)
    stale_body = api.post(cancel_url(case.reference), {"version": 0}, format="json")

    assert_error(stale, 409, "concurrent_change")
    assert_error(stale_body, 409, "concurrent_change")
    case.refresh_from_db()
    assert (case.state, case.version) == (RefundState.UNDER_REVIEW, 1)
    assert TransitionRecord.objects.count() == records

    current = api.post(
        cancel_url(case.reference),
        {},
        format="json",
        HTTP_IF_MATCH=api.get(detail_url(case.reference))["ETag"],
    )

    assert current.status_code == 200, current.content
    assert current.json()["state"] == "cancelled"


# Evidence


def test_a_partner_attaches_evidence_and_the_review_resumes(api, partner, refunds_desk):
    case = refund_in_state(
        RefundState.AWAITING_EVIDENCE, agent=partner.user, desk=refunds_desk, partner=partner
    )

    response = api.post(
        evidence_url(case.reference),
        {"kind": "payment_voucher", "file": png("cancellation.png"), "note": "Merchant's e-mail"},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["file_name"], body["note"]) == (
        "payment_voucher",
        "cancellation.png",
        "Merchant's e-mail",
    )
    evidence = RefundEvidence.objects.get(pk=body["id"])
    assert (evidence.case, evidence.uploaded_by) == (case, partner.user)
    assert evidence.file.read() == PNG
    case.refresh_from_db()
    assert case.state == RefundState.UNDER_REVIEW
    assert case.sla_clock.paused_at is None


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00" * 8), "not an accepted evidence file"),
        (files.upload("voucher.png", b"GIF89a" + bytes(40)), "not really a PNG"),
        (SimpleUploadedFile("empty.png", b""), "empty"),
    ],
)
def test_a_bad_evidence_file_is_refused_naming_it(api, partner, upload, message):
    case = send_refund(partner)

    error = assert_error(
        api.post(evidence_url(case.reference), {"kind": "other", "file": upload}, format="multipart"),
        400,
        "invalid",
    )

    assert list(error["fields"]) == ["file"]
    assert message in error["fields"]["file"][0]
    assert not RefundEvidence.objects.exists()


def test_an_evidence_file_over_the_limit_is_refused_naming_it(api, partner, settings, tmp_path):
    settings.EVIDENCE_MAX_BYTES = 64
    case = send_refund(partner)

    error = assert_error(
        api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart"),
        400,
        "invalid",
    )

    assert list(error["fields"]) == ["file"]
    assert "limit" in error["message"]
    assert not RefundEvidence.objects.exists()
    assert not list(tmp_path.rglob("*.png")), "a refused file is not kept"


def test_evidence_needs_a_file_and_a_known_kind(api, partner):
    case = send_refund(partner)

    no_file = api.post(evidence_url(case.reference), {"kind": "other"}, format="multipart")
    no_kind = api.post(evidence_url(case.reference), {"kind": "selfie", "file": png()}, format="multipart")

    assert list(assert_error(no_file, 400, "invalid")["fields"]) == ["file"]
    assert list(assert_error(no_kind, 400, "invalid")["fields"]) == ["kind"]


def test_evidence_after_the_decision_is_a_conflict(api, partner, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=partner.user, desk=refunds_desk, partner=partner)

    response = api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart")

    assert_error(response, 409, "illegal_transition")
    assert not RefundEvidence.objects.exists()


def test_evidence_comes_as_a_form_not_json(api, partner):
    case = send_refund(partner)

    assert_error(
        api.post(evidence_url(case.reference), {"kind": "other"}, format="json"),
        415,
        "unsupported_media_type",
    )


def test_evidence_sent_twice_under_one_key_is_attached_once(api, partner):
    case = send_refund(partner)

    def send():
        return api.post(
            evidence_url(case.reference),
            {"kind": "payment_voucher", "file": png()},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert RefundEvidence.objects.count() == 1


# Idempotent create (the mechanism itself: casework/tests/test_idempotency.py)


def test_a_create_sent_twice_under_one_key_opens_one_case(api):
    body = payload()

    first = api.post(LIST_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="acme-7f3c")
    again = api.post(LIST_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="acme-7f3c")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (again["Location"], again["ETag"], again["Idempotent-Replayed"]) == (
        first["Location"],
        first["ETag"],
        "true",
    )
    assert RefundCase.objects.count() == 1


def test_a_key_sent_again_with_another_body_is_a_conflict_naming_the_header(api):
    assert api.post(LIST_URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="acme-1").status_code == 201

    response = api.post(
        LIST_URL, payload(requested_amount="100.00"), format="json", HTTP_IDEMPOTENCY_KEY="acme-1"
    )

    error = assert_error(response, 409, "idempotency_key_reused")
    assert list(error["fields"]) == ["Idempotency-Key"]
    assert RefundCase.objects.count() == 1


# The payments system reports


def processing_case(*, partner, desk, payments, **overrides) -> tuple[RefundCase, PaymentInstruction]:
    case = refund_in_state(
        RefundState.PROCESSING, agent=partner.user, desk=desk, payments=payments, partner=partner, **overrides
    )
    return case, case.instructions.get()


def test_a_settled_report_refunds_the_case_and_resolves_its_complaint(
    api, partner, agent, refunds_desk, payments_system, payments_api
):
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS, agent=agent, partner=partner, channel="partner_api"
    )
    opened = api.post(LIST_URL, payload(complaint_reference=complaint.reference), format="json")
    assert opened.status_code == 201, opened.content
    assert opened.json()["complaint_reference"] == complaint.reference
    case = RefundCase.objects.get(reference=opened.json()["reference"])
    services.start_review(case=case, actor=refunds_desk)
    services.approve_refund(case=case, actor=refunds_desk)
    services.submit_to_payments(case=case, actor=refunds_desk)
    instruction = case.instructions.get()

    response = payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "settled", "processor_reference": "PSP-778899"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["key"], body["refund_reference"], body["status"]) == (
        instruction.idempotency_key,
        case.reference,
        "settled",
    )
    assert (body["amount"], body["currency"], body["processor_reference"]) == ("300.00", "CNY", "PSP-778899")
    case.refresh_from_db()
    assert (case.state, case.processor_reference) == (RefundState.REFUNDED, "PSP-778899")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code) == (ComplaintState.RESOLVED, "refunded")
    seen = api.get(detail_url(case.reference)).json()
    assert (seen["state"], seen["processor_reference"]) == ("refunded", "PSP-778899")
    assert seen["settled_at"] is not None


def test_a_failed_report_fails_the_case_and_the_partner_sees_why(
    api, partner, refunds_desk, payments_system, payments_api
):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)

    response = payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "failed", "error": "Beneficiary account closed"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["failure_reason"]) == (
        "failed",
        "Beneficiary account closed",
    )
    case.refresh_from_db()
    assert (case.state, case.failure_reason) == (RefundState.FAILED, "Beneficiary account closed")
    assert api.get(detail_url(case.reference)).json()["failure_reason"] == "Beneficiary account closed"


def test_the_same_report_again_is_harmless(partner, refunds_desk, payments_system, payments_api):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    report = {"outcome": "settled", "processor_reference": "PSP-1"}
    first = payments_api.post(report_url(instruction.idempotency_key), report, format="json")
    version = RefundCase.objects.get(pk=case.pk).version

    again = payments_api.post(report_url(instruction.idempotency_key), report, format="json")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert RefundCase.objects.get(pk=case.pk).version == version
    assert TransitionRecord.objects.filter(case_reference=case.reference, transition="settle").count() == 1


@pytest.mark.parametrize(
    "second",
    [
        {"outcome": "settled", "processor_reference": "PSP-2"},
        {"outcome": "failed", "error": "Timed out"},
    ],
)
def test_a_contradicting_report_is_a_conflict(partner, refunds_desk, payments_system, payments_api, second):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    payments_api.post(
        report_url(instruction.idempotency_key),
        {"outcome": "settled", "processor_reference": "PSP-1"},
        format="json",
    )

    error = assert_error(
        payments_api.post(report_url(instruction.idempotency_key), second, format="json"),
        409,
        "conflicting_report",
    )

    assert "PSP-1" in error["message"]
    instruction.refresh_from_db()
    case.refresh_from_db()
    assert (instruction.status, instruction.processor_reference, case.state) == (
        InstructionStatus.SETTLED,
        "PSP-1",
        RefundState.REFUNDED,
    )


def test_a_report_on_an_unknown_instruction_is_not_found(payments_api):
    response = payments_api.post(
        report_url("RFD-20260101-000999-PAY-1"),
        {"outcome": "settled", "processor_reference": "PSP-1"},
        format="json",
    )

    assert_error(response, 404, "not_found")
    assert_error(payments_api.get(instruction_url("RFD-20260101-000999-PAY-1")), 404, "not_found")


@pytest.mark.parametrize(
    "report, field",
    [
        ({"outcome": "settled"}, "processor_reference"),
        ({"outcome": "failed"}, "error"),
        ({"outcome": "paid", "processor_reference": "PSP-1"}, "outcome"),
    ],
)
def test_a_report_without_what_its_outcome_needs_names_the_field(
    partner, refunds_desk, payments_system, payments_api, report, field
):
    _, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)

    error = assert_error(
        payments_api.post(report_url(instruction.idempotency_key), report, format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == [field]
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.SENT


def test_only_the_payments_system_reports_and_reads_instructions(
    api, agent, refunds_desk, partner, payments_system, payments_api
):
    case, instruction = processing_case(partner=partner, desk=refunds_desk, payments=payments_system)
    report = {"outcome": "settled", "processor_reference": "PSP-1"}
    key = instruction.idempotency_key

    assert_error(api.post(report_url(key), report, format="json"), 403, "permission_denied")
    assert_error(
        client_for(refunds_desk).post(report_url(key), report, format="json"), 401, "not_authenticated"
    )
    assert_error(api.get(instruction_url(key)), 403, "permission_denied")
    assert_error(APIClient().post(report_url(key), report, format="json"), 401, "not_authenticated")
    assert_error(APIClient().get(instruction_url(key)), 401, "not_authenticated")
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.SENT

    read = payments_api.get(instruction_url(key))

    assert read.status_code == 200, read.content
    assert (read.json()["status"], read.json()["attempt"], read.json()["refund_reference"]) == (
        "sent",
        1,
        case.reference,
    )


# Schema


def test_the_schema_documents_refunds_idempotency_and_the_payments_flow(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    create = schema["paths"]["/api/v1/refund-cases/"]["post"]
    assert create["tags"] == ["refund cases"]
    assert "Idempotency-Key" in [parameter["name"] for parameter in create["parameters"]]
    assert "idempotency_key_reused" in create["responses"]["409"]["description"]
    assert "Idempotent-Replayed" in create["responses"]["201"]["headers"]
    evidence = schema["paths"]["/api/v1/refund-cases/{reference}/evidence/"]["post"]
    assert list(evidence["requestBody"]["content"]) == ["multipart/form-data"]
    report = schema["paths"]["/api/v1/payment-instructions/{key}/report/"]["post"]
    assert report["tags"] == ["payments"]
    assert "webhook-id" in report["description"] and "Standard Webhooks" in report["description"]
    shown = set(schema["components"]["schemas"]["RefundCase"]["properties"])
    assert not shown & {"handler", "first_approved_by", "approved_by", "submitted_by"}


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


# Reading the evidence


def test_the_evidence_list_shows_what_you_and_the_back_office_sent(api, partner, agent):
    case = send_refund(partner)
    api.post(
        evidence_url(case.reference),
        {"kind": "payment_voucher", "file": png("voucher.png"), "note": "From the customer's app"},
        format="multipart",
    )
    case.refresh_from_db()  # the upload moved its version
    services.add_evidence(
        case=case, actor=agent, kind="other", file=png("merchant.png"), note="Merchant on the watch list"
    )

    response = api.get(evidence_url(case.reference))

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(row["file_name"], row["kind"], row["sent_by"], row["note"]) for row in rows] == [
        ("voucher.png", "payment_voucher", "you", "From the customer's app"),
        ("merchant.png", "other", "back office", ""),
    ]
    assert [(row["size"], row["content_type"]) for row in rows] == [(len(PNG), "image/png")] * 2
    assert all(row["uploaded_at"] and row["id"] for row in rows)
    content = response.content.decode()
    assert "watch list" not in content
    assert agent.username not in content
    assert "/media/" not in content and "refunds/" not in content, "metadata only, never the file's address"


def test_an_upload_answers_with_the_same_metadata_as_the_list(api, partner):
    case = send_refund(partner)

    uploaded = api.post(evidence_url(case.reference), {"kind": "other", "file": png()}, format="multipart")

    assert uploaded.status_code == 201, uploaded.content
    assert api.get(evidence_url(case.reference)).json()["results"] == [uploaded.json()]


def test_a_case_without_evidence_lists_none(api, partner):
    case = send_refund(partner)

    response = api.get(evidence_url(case.reference))

    assert response.status_code == 200
    assert (response.json()["results"], response.json()["next"]) == ([], None)


def test_reading_the_evidence_costs_the_same_queries_for_1_or_6_files(api, partner, agent):
    case = send_refund(partner)
    services.add_evidence(case=case, actor=partner.user, kind="other", file=png())
    few, few_rows = count_list_queries(api, evidence_url(case.reference))
    for _ in range(5):
        services.add_evidence(case=case, actor=agent, kind="other", file=png())
    many, many_rows = count_list_queries(api, evidence_url(case.reference))

    assert (few_rows, many_rows) == (1, 6)
    assert few == many == 3, "the key, the case, one page"


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
