"""The partner door to account requests, through DRF's client with a partner's token."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
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
from accounts.tests.factories import serve
from casework.models import TransitionRecord
from casework.tests.api import assert_error, assert_pages_by_cursor, client_for, count_list_queries, listed

LIST_URL = "/api/v1/account-requests/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def cancel_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/cancel/"


_numbers = iter(range(1000, 10000))


def wallet_account(
    status: str = AccountStatus.LOCKED, lock_reason: str = LockReason.WRONG_PASSWORDS, served_by=None, **extra
) -> WalletAccount:
    """Reference data mirrored from the wallet core: made directly, as the core would."""
    number = next(_numbers)
    if status == AccountStatus.ACTIVE:
        lock_reason = ""
    values = {
        "account_number": f"WLT-7000-{number}",
        "holder_name": "Li Lei",
        "phone_masked": f"138****{number}",
        "status": status,
        "lock_reason": lock_reason,
        "locked_at": None if status == AccountStatus.ACTIVE else timezone.now(),
    }
    values.update(extra)
    account = WalletAccount.objects.create(**values)
    if served_by is not None:
        serve(served_by, account)
    return account


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


def send_unlock(partner, account: WalletAccount | None = None, **overrides) -> AccountRequest:
    """An unlock request the partner sent, straight through the service."""
    account = account or wallet_account()
    serve(partner, account)
    details = {"customer_statement": "Locked after wrong passwords."}
    details.update(overrides)
    return services.open_account_request(
        actor=partner.user, partner=partner, account_number=account.account_number, **details
    )


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


# Reading


def test_a_partner_lists_only_its_own_requests(api, partner, other_partner, agent):
    own = [send_unlock(partner).reference for _ in range(2)]
    send_unlock(other_partner)
    services.open_account_request(actor=agent, account_number=wallet_account().account_number)

    assert listed(api, LIST_URL) == own[::-1]


def test_another_partners_request_is_not_found_never_forbidden(api, other_partner):
    theirs = send_unlock(other_partner)

    assert_error(api.get(detail_url(theirs.reference)), 404, "not_found")
    assert_error(api.post(cancel_url(theirs.reference), {}, format="json"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.state == RequestState.SUBMITTED


def test_reading_a_request_shows_the_account_as_it_is_now(
    api, partner, agent, supervisor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    account = wallet_account()
    request = send_unlock(partner, account, external_reference="ACME-U-9")
    services.verify_identity(request=request, actor=agent, method="callback")
    services.add_evidence(
        request=request, actor=agent, method="sms_code", outcome="passed", note="Code 4711 matched"
    )
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)
    services.execute_request(request=request, actor=supervisor)

    response = api.get(detail_url(request.reference))

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["account_status"], body["lock_reason"]) == (
        "executed",
        "active",
        "wrong_passwords",
    )
    assert body["executed_at"] is not None
    assert body["external_reference"] == "ACME-U-9"
    assert response["ETag"] == f'"{body["version"]}"'


def test_a_partner_never_sees_the_internal_side(api, partner, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = send_unlock(partner)
    request.explanation_given = "Told the caller the lock protects against password guessing"
    request.save()
    services.verify_identity(request=request, actor=agent, method="callback")
    services.add_evidence(
        request=request, actor=agent, method="sms_code", outcome="passed", note="Caller hesitated on the code"
    )

    response = api.get(detail_url(request.reference))

    body = response.json()
    assert body["state"] == "identity_verified"
    for internal in (
        "evidence",
        "identity_verified_by",
        "identity_verification_method",
        "submitted_by",
        "submitted_for_review_by",
        "approved_by",
        "gateway_reference",
        "explanation_given",
        "customer_statement",
        "complaint",
        "holder_name",
        "phone_masked",
    ):
        assert internal not in body
    content = response.content.decode()
    assert "hesitated" not in content
    assert "password guessing" not in content
    assert agent.username not in content


def test_the_list_filters_by_state_and_partner_reference(api, partner):
    cancelled = send_unlock(partner, external_reference="ACME-1")
    services.cancel_request(request=cancelled, actor=partner.user)
    open_one = send_unlock(partner, external_reference="ACME-2")
    frozen = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    rejected = send_unlock(partner, frozen, external_reference="ACME-3")

    assert listed(api, LIST_URL, state="cancelled") == [cancelled.reference]
    assert listed(api, LIST_URL, state="submitted") == [open_one.reference]
    assert listed(api, LIST_URL, state="rejected") == [rejected.reference]
    assert listed(api, LIST_URL, external_reference="ACME-2") == [open_one.reference]
    assert listed(api, LIST_URL, state="executed") == []


def test_an_unknown_state_filter_is_refused_naming_it(api):
    error = assert_error(api.get(LIST_URL, {"state": "lost"}), 400, "invalid")

    assert list(error["fields"]) == ["state"]


def test_the_list_pages_by_cursor(api, partner):
    sent = [send_unlock(partner).reference for _ in range(3)]

    assert_pages_by_cursor(api, LIST_URL, sent)


def test_listing_costs_the_same_queries_for_3_or_20_requests(api, partner):
    for _ in range(3):
        send_unlock(partner)
    few, few_rows = count_list_queries(api, LIST_URL)
    for _ in range(17):
        send_unlock(partner)
    many, many_rows = count_list_queries(api, LIST_URL)

    assert (few_rows, many_rows) == (3, 20)
    assert few == many, f"{few} queries for 3 requests, {many} for 20"
    assert many == 2, "the key with its partner and user, one page with its account and clock"


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


# Filters by lock reason and by last change


def test_the_list_filters_by_lock_reason(api, partner):
    passwords = send_unlock(partner)
    suspicious = send_unlock(partner, wallet_account(lock_reason=LockReason.SUSPICIOUS_ACTIVITY))

    assert listed(api, LIST_URL, lock_reason="suspicious_activity") == [suspicious.reference]
    assert listed(api, LIST_URL, lock_reason="wrong_passwords") == [passwords.reference]


def test_an_unknown_lock_reason_filter_is_refused_naming_it(api):
    error = assert_error(api.get(LIST_URL, {"lock_reason": "forgot"}), 400, "invalid")

    assert list(error["fields"]) == ["lock_reason"]


def test_the_list_filters_by_last_change(api, partner, agent):
    import datetime as dt

    quiet, moved = send_unlock(partner), send_unlock(partner)
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    AccountRequest.objects.filter(pk__in=[quiet.pk, moved.pk]).update(updated_at=long_ago)
    poll = (long_ago + dt.timedelta(days=1)).isoformat()

    services.verify_identity(request=moved, actor=agent, method="callback")

    assert listed(api, LIST_URL, updated_since=poll) == [moved.reference]
    assert_error(api.get(LIST_URL, {"updated_since": "last week"}), 400, "invalid")


# The timeline


def timeline_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/timeline/"


def test_the_timeline_names_no_staff_and_no_staff_reasons(api, partner, agent):
    request = send_unlock(partner)
    services.verify_identity(request=request, actor=agent, method="callback", reason="Caller hesitated")
    services.cancel_request(request=request, actor=partner.user, reason="Customer found the password")

    response = api.get(timeline_url(request.reference))

    assert response.status_code == 200, response.content
    assert [
        (e["transition"], e["from_state"], e["to_state"], e["actor"], e["reason"])
        for e in response.json()["results"]
    ] == [
        ("open", None, "submitted", "you", "Locked after wrong passwords."),
        ("verify_identity", "submitted", "identity_verified", "back office", ""),
        ("cancel", "identity_verified", "cancelled", "you", "Customer found the password"),
    ]
    assert "hesitated" not in response.content.decode()
    assert agent.username not in response.content.decode()


def test_a_judicial_freeze_refusal_is_the_systems_on_the_timeline(api, partner):
    frozen = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    request = send_unlock(partner, frozen)

    entries = api.get(timeline_url(request.reference)).json()["results"]

    assert [(e["transition"], e["to_state"], e["actor"]) for e in entries] == [
        ("open", "submitted", "you"),
        ("reject", "rejected", "system"),
    ]
    assert entries[1]["reason"] == "", "the refusal is told in the request's rejection_reason"


def test_reading_the_timeline_costs_the_same_queries_however_long_it_is(api, partner, agent):
    short = send_unlock(partner)
    long = send_unlock(partner)
    services.verify_identity(request=long, actor=agent, method="callback")
    services.cancel_request(request=long, actor=partner.user)

    few, few_rows = count_list_queries(api, timeline_url(short.reference))
    many, many_rows = count_list_queries(api, timeline_url(long.reference))

    assert (few_rows, many_rows) == (1, 3)
    assert few == many == 3, "the key, the request, one page"
