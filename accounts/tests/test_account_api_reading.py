"""Reading account requests through the partner door: only the partner's own, the account
as it is now, without the internal side, filtered and paged at a constant query count,
and the timeline without staff names or reasons."""

from __future__ import annotations

from accounts import services
from accounts.models import AccountRequest, AccountStatus, LockReason, RequestState
from accounts.tests.api import LIST_URL, cancel_url, detail_url, send_unlock, wallet_account
from casework.tests.api import assert_error, assert_pages_by_cursor, count_list_queries, listed

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
