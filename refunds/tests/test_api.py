"""The refund doors: partners through DRF's client with a partner's token, the payments
system with its own. Here: opening a case, who may call, cancelling, idempotent creates
and the schema; reading, evidence and the payments system's reports have their own
``test_refund_api_*.py`` modules."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import TransitionRecord
from casework.tests.api import assert_error, client_for
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import RefundCase, RefundState
from refunds.tests.api import LIST_URL, cancel_url, detail_url, evidence_url, payload, png, send_refund
from refunds.tests.factories import open_refund, refund_in_state, transaction_details

# Evidence files land in a temporary folder (media_root).
pytestmark = pytest.mark.usefixtures("media_root")


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
