"""The partner door to account requests, through DRF's client with a partner's token:
asking for an unlock, who may call, cancelling and the schema. Reading has its own
``test_account_api_reading.py``."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import services
from accounts.models import (
    AccountRequest,
    AccountStatus,
    LockReason,
    PartnerAccountLink,
    RequestState,
    WalletAccount,
)
from accounts.tests.api import LIST_URL, cancel_url, detail_url, send_unlock, wallet_account
from accounts.tests.factories import serve
from casework.models import TransitionRecord
from casework.tests.api import assert_error, client_for


@pytest.fixture
def locked_account(partner) -> WalletAccount:
    return wallet_account(account_number="WLT-6201-7788", served_by=partner)


def payload(**overrides) -> dict:
    body = {
        "account_number": "WLT-6201-7788",
        "customer_statement": "Typed the payment password wrongly five times at the hotel desk.",
        "external_reference": "ACME-U-1",
    }
    body.update(overrides)
    return body


# Asking for an unlock


def test_partner_asks_for_an_unlock_that_is_submitted(api, partner, locked_account):
    response = api.post(LIST_URL, payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"ACR-\d{8}-\d{6}", body["reference"])
    assert (body["kind"], body["state"], body["state_display"]) == ("unlock", "submitted", "submitted")
    assert body["account_number"] == "WLT-****-7788"  # masked: the partner sent it (casework.privacy.masking)
    assert (body["account_status"], body["lock_reason"]) == ("locked", "wrong_passwords")
    assert (body["rejection_reason"], body["executed_at"]) == ("", None)
    assert body["external_reference"] == "ACME-U-1"
    assert set(body["sla"]) == {"resolution_due_at", "is_breached", "status"}
    assert body["version"] == 0
    assert response["Location"].endswith(detail_url(body["reference"]))
    assert response["ETag"] == '"0"'
    request = AccountRequest.objects.get(reference=body["reference"])
    assert (request.partner, request.submitted_by) == (partner, partner.user)
    assert request.customer_statement == payload()["customer_statement"]
    record = TransitionRecord.objects.get(case_reference=request.reference)
    assert (record.transition, record.target_state, record.actor_label) == (
        "open",
        "submitted",
        "partner:acme",
    )


def test_an_unknown_account_is_refused_naming_the_account_number(api, locked_account):
    error = assert_error(
        api.post(LIST_URL, payload(account_number="WLT-0000-0000"), format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == ["account_number"]
    assert "WLT-0000-0000" in error["fields"]["account_number"][0]
    assert not AccountRequest.objects.exists()


def refusal_of(api, number: str) -> dict:
    """The error a partner gets for ``number``, the number itself written as ``<number>``."""
    response = api.post(LIST_URL, payload(account_number=number, external_reference=""), format="json")
    error = assert_error(response, 400, "invalid")
    return json.loads(json.dumps(error).replace(number, "<number>"))


def not_served(kind: str, other_partner, agent) -> WalletAccount:
    """An account the calling partner does not serve, in one of the states a probe could tell."""
    if kind == "active":
        return wallet_account(status=AccountStatus.ACTIVE)
    if kind == "judicial freeze":
        return wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    if kind == "another partner's customer":
        return wallet_account(served_by=other_partner)
    if kind == "open request of another partner":
        return send_unlock(other_partner).account
    if kind == "open request of the back office":
        account = wallet_account()
        services.open_account_request(actor=agent, account_number=account.account_number)
        return account
    return wallet_account()  # locked, waiting for an unlock


NOT_SERVED = [
    "locked",
    "active",
    "judicial freeze",
    "another partner's customer",
    "open request of another partner",
    "open request of the back office",
]


@pytest.mark.parametrize("kind", NOT_SERVED)
def test_an_account_the_partner_does_not_serve_is_refused_as_an_unknown_one(
    api, partner, other_partner, agent, kind
):
    account = not_served(kind, other_partner, agent)
    before = AccountRequest.objects.count()

    refused = refusal_of(api, account.account_number)

    assert refused == refusal_of(api, "WLT-0000-0000"), "the same status, code, message and field"
    assert list(refused["fields"]) == ["account_number"]
    assert AccountRequest.objects.count() == before
    assert not AccountRequest.objects.filter(partner=partner).exists()


@pytest.mark.parametrize("kind", NOT_SERVED)
def test_an_account_the_partner_does_not_serve_costs_the_queries_an_unknown_one_costs(
    api, other_partner, agent, kind
):
    account = not_served(kind, other_partner, agent)
    refusal_of(api, "WLT-0000-0001")  # the key's last use is noted once, outside the count

    def queries(number: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            refusal_of(api, number)
        # Values and savepoint names aside, the very same statements.
        return [re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b", "?", query["sql"]) for query in captured]

    assert queries(account.account_number) == queries("WLT-0000-0000"), "no longer path to time"


def test_a_partner_linked_to_an_account_asks_for_it_and_sees_its_status(api, partner):
    account = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    assert refusal_of(api, account.account_number) == refusal_of(api, "WLT-0000-0000")

    serve(partner, account)
    response = api.post(LIST_URL, payload(account_number=account.account_number), format="json")

    assert response.status_code == 201, response.content
    assert (response.json()["account_status"], response.json()["state"]) == ("frozen", "rejected")


def test_once_the_link_ends_the_partner_no_longer_sees_the_account_or_its_status(api, partner, supervisor):
    account = wallet_account(served_by=partner)
    created = api.post(LIST_URL, payload(account_number=account.account_number), format="json").json()
    assert created["account_status"] == "locked"
    api.post(cancel_url(created["reference"]), {}, format="json")

    link = PartnerAccountLink.objects.get(partner=partner, account=account)
    assert services.end_partner_link(link=link, actor=supervisor) is True
    assert services.end_partner_link(link=link, actor=supervisor) is False

    read = api.get(detail_url(created["reference"])).json()
    (listed_row,) = api.get(LIST_URL).json()["results"]
    assert read["account_status"] is None and listed_row["account_status"] is None
    assert (read["reference"], read["state"]) == (created["reference"], "cancelled"), "its own request stays"
    assert refusal_of(api, account.account_number) == refusal_of(api, "WLT-0000-0000")
    link.refresh_from_db()
    assert (link.ended_by, link.history.latest().history_user) == (supervisor, supervisor)


def test_a_missing_account_number_is_refused_naming_it(api):
    body = payload()
    del body["account_number"]

    error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["account_number"]


def test_an_active_account_has_nothing_to_unlock(api, partner):
    active = wallet_account(status=AccountStatus.ACTIVE, served_by=partner)

    error = assert_error(
        api.post(LIST_URL, payload(account_number=active.account_number), format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == ["account_number"]
    assert "active" in error["message"]
    assert not AccountRequest.objects.exists()


def test_an_account_with_an_open_request_is_refused(api, partner, locked_account):
    first = send_unlock(partner, locked_account)

    error = assert_error(api.post(LIST_URL, payload(), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["account_number"]
    assert first.reference in error["message"]
    assert AccountRequest.objects.count() == 1


def test_another_partys_open_request_is_refused_without_its_reference(api, agent, locked_account):
    staff_request = services.open_account_request(actor=agent, account_number=locked_account.account_number)

    error = assert_error(api.post(LIST_URL, payload(), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["account_number"]
    assert "already has an open request" in error["message"]
    assert staff_request.reference not in str(error)
    assert AccountRequest.objects.count() == 1


def test_a_partner_reference_used_twice_is_refused_naming_it(api, partner, locked_account):
    assert api.post(LIST_URL, payload(), format="json").status_code == 201
    other = wallet_account(served_by=partner)

    error = assert_error(
        api.post(LIST_URL, payload(account_number=other.account_number), format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == ["external_reference"]
    assert AccountRequest.objects.count() == 1


def test_a_judicial_freeze_is_recorded_and_rejected_at_once_with_the_reason(api, partner):
    frozen = wallet_account(
        status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE, served_by=partner
    )

    response = api.post(LIST_URL, payload(account_number=frozen.account_number), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "rejected"
    assert body["lock_reason"] == "judicial_freeze"
    assert body["rejection_reason"] == services.JUDICIAL_FREEZE_REFUSAL
    assert "court" in body["rejection_reason"]
    assert body["account_status"] == "frozen"
    assert response["ETag"] == f'"{body["version"]}"'
    frozen.refresh_from_db()
    assert (frozen.status, frozen.lock_reason) == ("frozen", "judicial_freeze")
    request = AccountRequest.objects.get(reference=body["reference"])
    assert request.sla_clock.stopped_at is not None
    rejection = TransitionRecord.objects.filter(case_reference=request.reference).last()
    assert (rejection.transition, rejection.target_state) == ("reject", "rejected")


def test_an_unlock_sent_again_under_its_idempotency_key_is_asked_once(api, locked_account):
    first = api.post(LIST_URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="acme-u-1")

    again = api.post(LIST_URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="acme-u-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AccountRequest.objects.count() == 1


def test_only_json_is_accepted(api, locked_account):
    assert_error(api.post(LIST_URL, payload(), format="multipart"), 415, "unsupported_media_type")


# Who may call


def test_a_staff_login_is_not_a_partner_credential(agent):
    assert_error(client_for(agent).get(LIST_URL), 401, "not_authenticated")


def test_no_credentials_is_401(db):
    assert_error(APIClient().post(LIST_URL, payload(), format="json"), 401, "not_authenticated")


# Cancelling


def test_a_partner_cancels_its_request_once(api, partner):
    account = wallet_account()
    request = send_unlock(partner, account)

    response = api.post(
        cancel_url(request.reference), {"reason": "Customer found the password"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled"
    assert body["account_status"] == "locked"
    assert response["ETag"] == f'"{body["version"]}"'
    record = TransitionRecord.objects.filter(case_reference=request.reference).last()
    assert (record.transition, record.actor_label, record.reason) == (
        "cancel",
        "partner:acme",
        "Customer found the password",
    )
    request.refresh_from_db()
    assert request.sla_clock.stopped_at is not None
    account.refresh_from_db()
    assert account.status == AccountStatus.LOCKED

    again = api.post(cancel_url(request.reference), {"reason": "Again"}, format="json")

    assert_error(again, 409, "illegal_transition")


def test_a_rejected_request_cannot_be_cancelled(api, partner):
    frozen = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    request = send_unlock(partner, frozen)

    assert_error(api.post(cancel_url(request.reference), {}, format="json"), 409, "illegal_transition")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED


def test_cancelling_a_stale_version_is_a_conflict_and_changes_nothing(api, partner, agent):
    request = send_unlock(partner)
    read = api.get(detail_url(request.reference)).json()["version"]
    services.verify_identity(request=request, actor=agent, method="callback")
    records = TransitionRecord.objects.count()

    response = api.post(
        cancel_url(request.reference), {"reason": "Changed mind", "version": read}, format="json"
    )

    assert_error(response, 409, "concurrent_change")
    request.refresh_from_db()
    assert request.state == RequestState.IDENTITY_VERIFIED
    assert request.version == read + 1
    assert request.sla_clock.stopped_at is None
    assert TransitionRecord.objects.count() == records


def test_a_stale_if_match_on_a_request_that_also_ended_is_a_concurrent_change(api, partner, agent):
    """Not illegal_transition: the partner decided on what it read, and that has changed."""
    request = send_unlock(partner)
    read = api.get(detail_url(request.reference))["ETag"]
    services.reject_request(request=request, actor=agent, reason="The caller could not be verified")

    response = api.post(cancel_url(request.reference), {}, format="json", HTTP_IF_MATCH=read)

    assert_error(response, 409, "concurrent_change")
    request.refresh_from_db()
    assert request.state == RequestState.REJECTED


def test_cancelling_with_a_stale_if_match_is_a_conflict(api, partner):
    request = send_unlock(partner)

    response = api.post(cancel_url(request.reference), {}, format="json", HTTP_IF_MATCH='"7"')

    assert_error(response, 409, "concurrent_change")
    request.refresh_from_db()
    assert (request.state, request.version) == (RequestState.SUBMITTED, 0)


def test_cancelling_with_the_current_etag_succeeds(api, partner):
    request = send_unlock(partner)
    etag = api.get(detail_url(request.reference))["ETag"]

    response = api.post(cancel_url(request.reference), {}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled"


def test_a_malformed_if_match_is_refused_naming_it(api, partner):
    request = send_unlock(partner)

    error = assert_error(
        api.post(cancel_url(request.reference), {}, format="json", HTTP_IF_MATCH="0"), 400, "invalid"
    )

    assert list(error["fields"]) == ["If-Match"]


# Schema


def test_the_schema_documents_the_judicial_freeze_answer_and_the_conflicts(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    create = schema["paths"]["/api/v1/account-requests/"]["post"]
    assert "judicial" in create["description"].lower()
    assert "rejected" in create["responses"]["201"]["description"]
    cancel = schema["paths"]["/api/v1/account-requests/{reference}/cancel/"]["post"]
    assert cancel["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    shown = set(schema["components"]["schemas"]["AccountRequestCase"]["properties"])
    assert "evidence" not in shown and "approved_by" not in shown
