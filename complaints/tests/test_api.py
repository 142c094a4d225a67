"""The partner door, through DRF's client with a partner's token."""

from __future__ import annotations

import re
from functools import partial
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from casework.models import Team, TransitionRecord
from casework.tests.api import assert_error, assert_pages_by_cursor, client_for, count_list_queries, listed
from casework.tests.races import race
from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import file_complaint

LIST_URL = "/api/v1/complaints/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def withdraw_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/withdraw/"


def payload(**overrides) -> dict:
    body = {
        "category": "transaction",
        "priority": "high",
        "customer_name": "Li Lei",
        "customer_phone": "+86 138 0013 8000",
        "account_number": "6222000011112222",
        "description": "Paid at the merchant, the money left my wallet, the order says unpaid.",
        "transaction_at": "2026-03-02T10:15:00+08:00",
        "amount": "120.50",
        "currency": "CNY",
        "transaction_reference": "TX-88001",
        "merchant": "Happy Noodles",
        "device": "iPhone 15, iOS 19, app 8.2",
        "external_reference": "ACME-1001",
    }
    body.update(overrides)
    return body


# Filing


def test_partner_files_a_complaint_that_is_received(api, partner):
    response = api.post(LIST_URL, payload(), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"CMP-\d{8}-\d{6}", body["reference"])
    assert body["state"] == "received"
    assert body["state_display"] == "received"
    assert body["turn"] == "agent"
    assert body["channel"] == "partner_api"
    assert body["external_reference"] == "ACME-1001"
    assert body["amount"] == "120.50"
    assert body["version"] == 0
    assert response["Location"].endswith(detail_url(body["reference"]))
    assert response["ETag"] == '"0"'
    complaint = Complaint.objects.get(reference=body["reference"])
    assert complaint.partner == partner
    assert complaint.registered_by == partner.user
    record = TransitionRecord.objects.get(case_reference=complaint.reference)
    assert (record.transition, record.target_state) == ("register", "received")
    assert record.actor_label == "partner:acme"


def test_filing_without_a_category_is_refused_naming_it(api):
    body = payload()
    del body["category"]

    error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")

    assert list(error["fields"]) == ["category"]


def test_filing_with_an_unknown_category_is_refused_naming_it(api):
    error = assert_error(api.post(LIST_URL, payload(category="lottery"), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["category"]
    assert Complaint.objects.count() == 0


def test_a_failed_transaction_needs_its_transaction_reference(api):
    error = assert_error(api.post(LIST_URL, payload(transaction_reference=""), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["transaction_reference"]
    assert "transaction failed or abnormal" in error["fields"]["transaction_reference"][0]


def test_every_missing_detail_of_the_category_is_named_at_once(api):
    body = payload(category="refund", merchant="", amount=None)
    del body["transaction_reference"]

    error = assert_error(api.post(LIST_URL, body, format="json"), 400, "invalid")

    assert set(error["fields"]) == {"transaction_reference", "amount", "merchant"}


def test_a_category_without_required_details_files_without_them(api):
    body = {
        "category": "slow_service",
        "customer_name": "Li Lei",
        "customer_phone": "13800138000",
        "description": "Every screen takes ten seconds.",
    }

    response = api.post(LIST_URL, body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["priority"] == "normal"
    assert response.json()["amount"] is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("-1.00", "The amount must be more than zero."),
        ("12.345", "2 decimal places"),
        ("twelve", "valid number"),
        (120.5, "decimal string"),
    ],
)
def test_an_amount_must_be_a_non_negative_decimal_string_with_cents(api, amount, expected):
    error = assert_error(api.post(LIST_URL, payload(amount=amount), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["amount"]
    assert expected in error["fields"]["amount"][0]
    assert Complaint.objects.count() == 0


def test_a_partner_reference_used_twice_is_refused_naming_it(api):
    first = api.post(LIST_URL, payload(), format="json")

    error = assert_error(api.post(LIST_URL, payload(), format="json"), 400, "invalid")

    assert list(error["fields"]) == ["external_reference"]
    assert first.json()["reference"] in error["message"]
    assert Complaint.objects.count() == 1


def test_a_complaint_sent_again_under_its_idempotency_key_is_filed_once(api):
    first = api.post(LIST_URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="acme-c-1")

    again = api.post(LIST_URL, payload(), format="json", HTTP_IDEMPOTENCY_KEY="acme-c-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Complaint.objects.count() == 1


def test_two_partners_may_use_the_same_reference_of_their_own(api, other_api):
    assert api.post(LIST_URL, payload(), format="json").status_code == 201
    assert other_api.post(LIST_URL, payload(), format="json").status_code == 201


def test_a_refusal_from_the_service_comes_out_naming_its_field(api):
    # No complaint refers to the frontline desk yet, so it can go: the service then
    # has nowhere to put the complaint and says so on the field.
    Team.objects.filter(code="frontline").delete()

    error = assert_error(api.post(LIST_URL, payload(), format="json"), 400, "invalid")

    assert error["fields"] == {"team": ["There is no team 'frontline'; add it in the admin."]}


def test_only_json_is_accepted(api):
    response = api.post(LIST_URL, payload(), format="multipart")

    assert_error(response, 415, "unsupported_media_type")


# Who may call


def test_no_credentials_is_401_in_the_one_error_shape(db):
    response = APIClient().get(LIST_URL)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_unknown_key_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer bo_abcdefgh_not-a-real-key")

    assert_error(client.get(LIST_URL), 401, "authentication_failed")


def test_a_staff_login_is_not_a_partner_credential(agent):
    assert_error(client_for(agent).get(LIST_URL), 401, "not_authenticated")


def test_an_inactive_partner_is_refused(api, partner):
    partner.is_active = False
    partner.save()

    assert_error(api.get(LIST_URL), 403, "permission_denied")


# Reading


def test_a_partner_lists_only_its_own_complaints(api, partner, other_partner):
    own = [file_complaint(partner).reference for _ in range(2)]
    file_complaint(other_partner)

    assert listed(api, LIST_URL) == own[::-1]


def test_another_partners_complaint_is_not_found_never_forbidden(api, other_partner):
    theirs = file_complaint(other_partner)

    assert_error(api.get(detail_url(theirs.reference)), 404, "not_found")
    assert_error(api.post(withdraw_url(theirs.reference), {}, format="json"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.state == "received"


def test_reading_a_complaint_shows_its_state_turn_and_sla(api, partner):
    complaint = file_complaint(partner, external_reference="ACME-7")

    response = api.get(detail_url(complaint.reference))

    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == complaint.reference
    assert body["external_reference"] == "ACME-7"
    assert (body["state"], body["turn"]) == ("received", "agent")
    assert set(body["sla"]) == {"resolution_due_at", "is_breached", "status"}
    assert body["sla"]["is_breached"] is False
    assert body["sla"]["status"] == "on_track"
    assert response["ETag"] == '"0"'


def test_a_partner_never_sees_the_internal_side(api, partner, agent, technical_team):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.escalate_complaint(
        complaint=complaint, actor=agent, team=technical_team, reason="Suspected ledger mismatch"
    )
    services.add_note(complaint=complaint, actor=agent, body="Customer sounded rehearsed")

    response = api.get(detail_url(complaint.reference))

    body = response.json()
    assert body["state"] == "escalated"
    assert body["turn"] == "team"
    for internal in ("findings", "escalation_reason", "escalated_to", "assigned_to", "team", "notes"):
        assert internal not in body
    assert "Suspected ledger mismatch" not in response.content.decode()
    assert "rehearsed" not in response.content.decode()


def test_the_list_filters_by_state_category_and_partner_reference(api, partner, agent):
    withdrawn = file_complaint(partner, category="privacy", external_reference="ACME-1")
    services.withdraw_complaint(complaint=withdrawn, actor=partner.user)
    privacy = file_complaint(partner, category="privacy", external_reference="ACME-2")
    slow = file_complaint(partner, category="slow_service", external_reference="ACME-3")

    assert listed(api, LIST_URL, state="withdrawn") == [withdrawn.reference]
    assert listed(api, LIST_URL, state="received") == [slow.reference, privacy.reference]
    assert listed(api, LIST_URL, category="privacy") == [privacy.reference, withdrawn.reference]
    assert listed(api, LIST_URL, category="privacy", state="received") == [privacy.reference]
    assert listed(api, LIST_URL, external_reference="ACME-3") == [slow.reference]
    assert listed(api, LIST_URL, external_reference="ACME-404") == []


@pytest.mark.parametrize("parameter", ["state", "category"])
def test_an_unknown_filter_value_is_refused_naming_the_parameter(api, parameter):
    error = assert_error(api.get(LIST_URL, {parameter: "lost"}), 400, "invalid")

    assert list(error["fields"]) == [parameter]


def test_the_list_pages_by_cursor(api, partner):
    filed = [file_complaint(partner).reference for _ in range(3)]

    assert_pages_by_cursor(api, LIST_URL, filed)


def test_a_mangled_cursor_is_refused_naming_it(api):
    error = assert_error(api.get(LIST_URL, {"cursor": "not-a-cursor"}), 400, "invalid")

    assert list(error["fields"]) == ["cursor"]


def test_listing_costs_the_same_queries_for_3_or_20_complaints(api, partner):
    for _ in range(3):
        file_complaint(partner)
    few, few_rows = count_list_queries(api, LIST_URL)
    for _ in range(17):
        file_complaint(partner)
    many, many_rows = count_list_queries(api, LIST_URL)

    assert (few_rows, many_rows) == (3, 20)
    assert few == many, f"{few} queries for 3 complaints, {many} for 20"
    assert many == 2, "the key with its partner and user, one page with its clock: nothing more"


# Withdrawing


def test_a_partner_withdraws_its_complaint_once(api, partner):
    complaint = file_complaint(partner)

    response = api.post(withdraw_url(complaint.reference), {"reason": "Merchant refunded"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"
    assert response.json()["turn"] == "nobody"
    assert response["ETag"] == f'"{response.json()["version"]}"'
    record = TransitionRecord.objects.filter(case_reference=complaint.reference).last()
    assert (record.transition, record.actor_label, record.reason) == (
        "withdraw",
        "partner:acme",
        "Merchant refunded",
    )
    complaint.refresh_from_db()
    assert complaint.sla_clock.stopped_at is not None

    again = api.post(withdraw_url(complaint.reference), {"reason": "Again"}, format="json")

    assert_error(again, 409, "illegal_transition")


def test_a_resolved_complaint_cannot_be_withdrawn(api, partner, agent):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(complaint=complaint, actor=agent, code="explained", summary="Explained")

    response = api.post(withdraw_url(complaint.reference), {}, format="json")

    assert_error(response, 409, "illegal_transition")
    complaint.refresh_from_db()
    assert complaint.state == "resolved"


def test_withdrawing_a_stale_version_is_a_conflict_and_changes_nothing(api, partner, agent):
    complaint = file_complaint(partner)
    read = api.get(detail_url(complaint.reference)).json()["version"]
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    records = TransitionRecord.objects.count()

    response = api.post(
        withdraw_url(complaint.reference), {"reason": "Changed mind", "version": read}, format="json"
    )

    assert_error(response, 409, "concurrent_change")
    complaint.refresh_from_db()
    assert complaint.state == "received"
    assert complaint.version == read + 1
    assert complaint.sla_clock.stopped_at is None
    assert TransitionRecord.objects.count() == records


def test_withdrawing_with_a_stale_if_match_is_a_conflict(api, partner):
    complaint = file_complaint(partner)

    response = api.post(withdraw_url(complaint.reference), {}, format="json", HTTP_IF_MATCH='"7"')

    assert_error(response, 409, "concurrent_change")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.version) == ("received", 0)


def test_withdrawing_with_the_current_etag_succeeds(api, partner):
    complaint = file_complaint(partner)
    etag = api.get(detail_url(complaint.reference))["ETag"]

    response = api.post(withdraw_url(complaint.reference), {}, format="json", HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "withdrawn"


def test_a_stale_if_match_on_a_complaint_that_also_moved_on_is_a_concurrent_change(api, partner, agent):
    """Not illegal_transition: the partner decided on what it read, and that has changed."""
    complaint = file_complaint(partner)
    read = api.get(detail_url(complaint.reference))["ETag"]
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(complaint=complaint, actor=agent, code="explained", summary="Explained")

    by_header = api.post(withdraw_url(complaint.reference), {}, format="json", HTTP_IF_MATCH=read)
    by_body = api.post(withdraw_url(complaint.reference), {"version": 0}, format="json")

    assert_error(by_header, 409, "concurrent_change")
    assert_error(by_body, 409, "concurrent_change")
    complaint.refresh_from_db()
    assert complaint.state == "resolved"


@pytest.mark.parametrize(
    ("headers", "body", "field"),
    [
        ({"HTTP_IF_MATCH": "3"}, {}, "If-Match"),
        ({"HTTP_IF_MATCH": '"0"'}, {"version": 1}, "version"),
        ({}, {"version": -1}, "version"),
    ],
)
def test_a_malformed_version_is_refused_naming_it(api, partner, headers, body, field):
    complaint = file_complaint(partner)

    error = assert_error(
        api.post(withdraw_url(complaint.reference), body, format="json", **headers), 400, "invalid"
    )

    assert list(error["fields"]) == [field]
    complaint.refresh_from_db()
    assert complaint.state == "received"


# Schema and docs


def test_the_schema_is_valid_openapi_and_public(db):
    response = APIClient().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    withdraw = schema["paths"]["/api/v1/complaints/{reference}/withdraw/"]["post"]
    assert withdraw["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "partnerKey" in schema["components"]["securitySchemes"]


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


class _AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.links.append(values["src"])
        if tag == "link" and values.get("href"):
            self.links.append(values["href"])


def test_the_docs_load_offline_from_sidecar_static_files(db, settings):
    response = APIClient().get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    parser = _AssetLinks()
    parser.feed(html)
    assert len(parser.links) >= 3  # stylesheet, bundle, preset (and the favicon)
    # The start-up script comes from the docs' own address (?script), not inline: the CSP.
    starter = [link for link in parser.links if link.startswith("/api/docs/?")]
    assert len(starter) == 1, parser.links
    script = APIClient().get(starter[0])
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    for link in parser.links:
        if link in starter:
            continue
        assert link.startswith(settings.STATIC_URL), link
        assert finders.find(link.split(settings.STATIC_URL, 1)[1]), f"{link} is not a static file"


def test_the_docs_open_even_with_a_bad_token(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token expired-or-wrong")

    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


# Filters shared by every case list: updated_since, created_since, created_before


def test_the_list_filters_by_last_change_and_by_receipt(api, partner):
    import datetime as dt

    old, changed, new = (file_complaint(partner) for _ in range(3))
    at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    Complaint.objects.filter(pk=old.pk).update(created_at=at, updated_at=at)
    Complaint.objects.filter(pk=changed.pk).update(created_at=at, updated_at=at + dt.timedelta(days=2))
    Complaint.objects.filter(pk=new.pk).update(
        created_at=at + dt.timedelta(days=1), updated_at=at + dt.timedelta(days=1)
    )
    since = (at + dt.timedelta(days=1)).isoformat()

    assert set(listed(api, LIST_URL, updated_since=since)) == {changed.reference, new.reference}
    assert listed(api, LIST_URL, created_since=since) == [new.reference]
    assert set(listed(api, LIST_URL, created_before=since)) == {old.reference, changed.reference}
    assert listed(api, LIST_URL, updated_since=(at + dt.timedelta(days=2)).isoformat()) == [changed.reference]


def test_updated_since_takes_an_unescaped_plus_of_the_offset(api, partner):
    complaint = file_complaint(partner)

    # "+08:00" unescaped in a query string arrives as " 08:00".
    response = api.get(LIST_URL + "?updated_since=2000-01-01T00:00:00+08:00")

    assert response.status_code == 200, response.content
    assert [row["reference"] for row in response.json()["results"]] == [complaint.reference]


@pytest.mark.parametrize("parameter", ["updated_since", "created_since", "created_before"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "1700000000"])
def test_a_time_filter_that_is_not_a_date_time_is_refused_naming_it(api, parameter, value):
    error = assert_error(api.get(LIST_URL, {parameter: value}), 400, "invalid")

    assert list(error["fields"]) == [parameter]


def test_created_before_must_come_after_created_since(api):
    error = assert_error(
        api.get(
            LIST_URL, {"created_since": "2026-03-02T00:00:00Z", "created_before": "2026-03-01T00:00:00Z"}
        ),
        400,
        "invalid",
    )

    assert list(error["fields"]) == ["created_before"]


# The timeline


def timeline_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/timeline/"


def test_the_timeline_shows_each_change_of_state_and_who_acted_in_neutral_words(
    api, partner, agent, supervisor
):
    complaint = file_complaint(partner)
    services.verify_identity(
        complaint=complaint, actor=agent, method="partner_attested", reason="Called back"
    )
    services.accept_complaint(complaint=complaint, actor=agent, reason="Customer sounded rehearsed")
    services.assign_complaint(complaint=complaint, actor=supervisor, assigned_to=agent, reason="Workload")
    services.withdraw_complaint(complaint=complaint, actor=partner.user, reason="Merchant refunded")

    response = api.get(timeline_url(complaint.reference))

    assert response.status_code == 200, response.content
    entries = response.json()["results"]
    assert [(e["transition"], e["from_state"], e["to_state"], e["actor"]) for e in entries] == [
        ("register", None, "received", "you"),
        ("accept", "received", "accepted", "back office"),
        ("withdraw", "accepted", "withdrawn", "you"),
    ]
    assert [e["reason"] for e in entries] == ["Registered from partner API", "", "Merchant refunded"]
    assert all(e["occurred_at"] for e in entries)
    content = response.content.decode()
    for internal in (agent.username, supervisor.username, "rehearsed", "Workload", "Called back", "assign"):
        assert internal not in content


def test_the_clock_acts_as_the_system_on_the_timeline(api, partner, agent, settings):
    import datetime as dt

    from django.utils import timezone

    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(complaint=complaint, actor=agent, code="explained", summary="Explained")
    Complaint.objects.filter(pk=complaint.pk).update(resolved_at=timezone.now() - dt.timedelta(days=60))

    services.auto_close_resolved(timezone.now())

    last = api.get(timeline_url(complaint.reference)).json()["results"][-1]
    assert (last["transition"], last["actor"], last["reason"]) == ("close", "system", "")


def test_the_timeline_pages_by_cursor_oldest_first(api, partner, agent):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)

    first = api.get(timeline_url(complaint.reference), {"page_size": 2}).json()
    second = api.get(first["next"]).json()

    assert [e["transition"] for e in first["results"]] == ["register", "accept"]
    assert [e["transition"] for e in second["results"]] == ["start"]
    assert second["next"] is None


def test_reading_the_timeline_costs_the_same_queries_for_3_or_15_changes(api, partner, agent):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)
    few, few_rows = count_list_queries(api, timeline_url(complaint.reference))
    for _ in range(3):
        for _ in range(2):
            services.wait_for_customer(complaint=complaint, actor=agent, reason="Asked for the statement")
            services.customer_replied(complaint=complaint, actor=agent)
    many, many_rows = count_list_queries(api, timeline_url(complaint.reference))

    assert (few_rows, many_rows) == (3, 15)
    assert few == many, f"{few} queries for 3 changes, {many} for 15"
    assert many == 3, "the key, the complaint, one page: nothing more"


# Messages between the partner and the back office (notes/)


def notes_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/notes/"


def test_a_partner_adds_a_message_that_staff_read_and_answer(api, partner, agent):
    complaint = file_complaint(partner)

    response = api.post(
        notes_url(complaint.reference), {"body": "  The customer sent the receipt.  "}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["sent_by"] == "you"
    assert response.json()["body"] == "The customer sent the receipt."
    message = complaint.partner_messages.get()
    assert (message.author, message.is_from_partner) == (partner.user, True)
    assert message.history.get().history_user == partner.user
    complaint.refresh_from_db()  # the message moved its version on: reply to it as it is now
    services.reply_to_partner(complaint=complaint, actor=agent, body="Thank you, we are checking it.")

    listed_messages = api.get(notes_url(complaint.reference)).json()["results"]

    assert [(m["sent_by"], m["body"]) for m in listed_messages] == [
        ("you", "The customer sent the receipt."),
        ("back office", "Thank you, we are checking it."),
    ]
    complaint.refresh_from_db()
    assert complaint.state == "received", "a message moves nothing: staff decide what follows"


def test_internal_notes_never_show_among_the_messages(api, partner, agent):
    complaint = file_complaint(partner)
    services.add_note(complaint=complaint, actor=agent, body="Customer sounded rehearsed")
    services.reply_to_partner(complaint=complaint, actor=agent, body="We are on it.")

    response = api.get(notes_url(complaint.reference))

    assert [m["body"] for m in response.json()["results"]] == ["We are on it."]
    assert "rehearsed" not in response.content.decode()
    assert agent.username not in response.content.decode()


def test_a_reply_shows_in_the_partners_updated_since_poll(api, partner, agent):
    import datetime as dt

    complaint = file_complaint(partner)
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Complaint.objects.filter(pk=complaint.pk).update(updated_at=long_ago)
    poll = (long_ago + dt.timedelta(days=1)).isoformat()
    assert listed(api, LIST_URL, updated_since=poll) == []

    services.reply_to_partner(complaint=complaint, actor=agent, body="Please send the receipt.")

    assert listed(api, LIST_URL, updated_since=poll) == [complaint.reference]


def test_each_message_either_way_bumps_the_version_and_the_etag(api, partner, agent):
    complaint = file_complaint(partner)
    assert api.get(detail_url(complaint.reference))["ETag"] == '"0"'

    api.post(notes_url(complaint.reference), {"body": "The customer sent the receipt."}, format="json")
    after_partner = api.get(detail_url(complaint.reference))
    services.reply_to_partner(complaint=Complaint.objects.get(pk=complaint.pk), actor=agent, body="Thanks.")
    after_reply = api.get(detail_url(complaint.reference))

    assert (after_partner["ETag"], after_partner.json()["version"]) == ('"1"', 1)
    assert (after_reply["ETag"], after_reply.json()["version"]) == ('"2"', 2)


def test_an_internal_note_the_partner_never_reads_keeps_the_version(api, partner, agent):
    complaint = file_complaint(partner)

    services.add_note(complaint=complaint, actor=agent, body="Customer sounded rehearsed")

    assert api.get(detail_url(complaint.reference))["ETag"] == '"0"'


def test_an_if_match_read_before_a_message_is_stale(api, partner, agent):
    complaint = file_complaint(partner)
    read = api.get(detail_url(complaint.reference))["ETag"]
    services.reply_to_partner(complaint=complaint, actor=agent, body="Please send the receipt.")

    response = api.post(withdraw_url(complaint.reference), {}, format="json", HTTP_IF_MATCH=read)

    assert_error(response, 409, "concurrent_change")
    complaint.refresh_from_db()
    assert complaint.state == "received"


def test_a_message_refused_on_an_ended_complaint_leaves_the_version(api, partner):
    complaint = file_complaint(partner)
    services.withdraw_complaint(complaint=complaint, actor=partner.user)

    assert_error(
        api.post(notes_url(complaint.reference), {"body": "x"}, format="json"), 409, "illegal_transition"
    )

    complaint.refresh_from_db()
    assert complaint.version == 1


@pytest.mark.parametrize(("body", "expected"), [("", "blank"), ("   ", "blank"), ("x" * 4001, "4000")])
def test_an_empty_or_too_long_message_is_refused_naming_the_body(api, partner, body, expected):
    complaint = file_complaint(partner)

    error = assert_error(
        api.post(notes_url(complaint.reference), {"body": body}, format="json"), 400, "invalid"
    )

    assert list(error["fields"]) == ["body"]
    assert expected in error["fields"]["body"][0]
    assert not complaint.partner_messages.exists()


@pytest.mark.parametrize("ended", ["withdrawn", "closed", "rejected"])
def test_an_ended_complaint_takes_no_more_messages(api, partner, agent, ended):
    complaint = file_complaint(partner)
    if ended == "withdrawn":
        services.withdraw_complaint(complaint=complaint, actor=partner.user)
    elif ended == "rejected":
        services.reject_complaint(complaint=complaint, actor=agent, reason="Not a wallet matter")
    else:
        services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
        services.accept_complaint(complaint=complaint, actor=agent)
        services.resolve_complaint(complaint=complaint, actor=agent, code="explained", summary="Explained")
        services.close_complaint(complaint=complaint, actor=agent)

    response = api.post(notes_url(complaint.reference), {"body": "One more thing"}, format="json")

    error = assert_error(response, 409, "illegal_transition")
    assert ended in error["message"]
    assert not complaint.partner_messages.exists()


def test_a_resolved_complaint_still_takes_the_customers_answer(api, partner, agent):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(complaint=complaint, actor=agent, code="explained", summary="Explained")

    response = api.post(notes_url(complaint.reference), {"body": "The customer disagrees."}, format="json")

    assert response.status_code == 201, response.content


def test_a_message_sent_twice_under_one_key_is_added_once(api, partner):
    complaint = file_complaint(partner)

    def send():
        return api.post(
            notes_url(complaint.reference),
            {"body": "Receipt attached"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="m-1",
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert complaint.partner_messages.count() == 1


def test_reading_messages_costs_the_same_queries_for_3_or_20(api, partner, agent):
    complaint = file_complaint(partner)
    for _ in range(3):
        services.add_partner_message(complaint=complaint, actor=partner.user, body="More")
    few, few_rows = count_list_queries(api, notes_url(complaint.reference))
    for _ in range(17):
        services.reply_to_partner(complaint=complaint, actor=agent, body="Noted")
    many, many_rows = count_list_queries(api, notes_url(complaint.reference))

    assert (few_rows, many_rows) == (3, 20)
    assert few == many, f"{few} queries for 3 messages, {many} for 20"
    assert many == 3, "the key, the complaint, one page: nothing more"


def test_a_partner_cannot_write_on_another_partners_complaint_through_the_service(partner, other_partner):
    from casework.core.errors import PermissionRefused

    theirs = file_complaint(other_partner)

    with pytest.raises(PermissionRefused):
        services.add_partner_message(complaint=theirs, actor=partner.user, body="Hello")
    with pytest.raises(PermissionRefused):
        services.reply_to_partner(complaint=theirs, actor=partner.user, body="Hello")
    assert not theirs.partner_messages.exists()


def test_staff_reply_only_on_a_partners_complaint_and_only_with_the_right(agent, auditor, partner):
    from casework.core.errors import InvalidInput, PermissionRefused
    from complaints.tests.factories import register

    with pytest.raises(InvalidInput, match="nobody to reply to"):
        services.reply_to_partner(complaint=register(agent), actor=agent, body="Hello")
    with pytest.raises(PermissionRefused):
        services.reply_to_partner(complaint=file_complaint(partner), actor=auditor, body="Hello")


def test_the_schema_documents_the_timeline_and_the_messages(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    timeline = schema["paths"]["/api/v1/complaints/{reference}/timeline/"]["get"]
    assert "cursor" in [parameter["name"] for parameter in timeline["parameters"]]
    notes = schema["paths"]["/api/v1/complaints/{reference}/notes/"]
    assert set(notes) == {"get", "post"}
    assert "Idempotency-Key" in [parameter["name"] for parameter in notes["post"]["parameters"]]
    assert "Idempotency-Key" not in [parameter["name"] for parameter in notes["get"]["parameters"]]
    listing = schema["paths"]["/api/v1/complaints/"]["get"]
    names = {parameter["name"] for parameter in listing["parameters"]}
    assert {"updated_since", "created_since", "created_before", "state", "category"} <= names


# At the same moment, on PostgreSQL: two of the partner's systems withdraw the complaint
# with the version they both read. One wins; the other is told it lost, never overwritten.


@pytest.mark.postgres
def test_two_withdrawals_of_one_version_at_once_one_wins_the_other_is_409(
    require_postgres, transactional_db, django_db_serialized_rollback, partner
):
    complaint = file_complaint(partner)
    version = f'"{complaint.version}"'
    clients = [client_for(partner), client_for(partner)]

    outcomes = race(
        *[
            partial(
                client.post,
                withdraw_url(complaint.reference),
                {"reason": f"system {i} withdraws"},
                format="json",
                HTTP_IF_MATCH=version,
            )
            for i, client in enumerate(clients)
        ]
    )

    assert sorted(o.status_code for o in outcomes) == [200, 409], [o.content for o in outcomes]
    lost = next(o for o in outcomes if o.status_code == 409)
    assert_error(lost, 409, "concurrent_change")
    complaint.refresh_from_db()
    assert complaint.state == "withdrawn"
    assert (
        TransitionRecord.objects.filter(case_reference=complaint.reference, transition="withdraw").count()
        == 1
    )


@pytest.mark.postgres
def test_a_message_and_a_withdrawal_on_the_version_read_before_it_never_both_succeed(
    require_postgres, transactional_db, django_db_serialized_rollback, partner
):
    """The message moves the version on, so a withdrawal decided on the version before it
    loses (409 concurrent_change), or wins first and the withdrawn complaint takes no message."""
    for attempt in range(5):
        complaint = file_complaint(partner, external_reference=f"RACE-{attempt}")
        read = f'"{complaint.version}"'
        message, withdrawal = race(
            partial(
                client_for(partner).post,
                notes_url(complaint.reference),
                {"body": "The customer sent the receipt."},
                format="json",
            ),
            partial(
                client_for(partner).post,
                withdraw_url(complaint.reference),
                {"reason": "Found the money"},
                format="json",
                HTTP_IF_MATCH=read,
            ),
        )

        codes = (message.status_code, withdrawal.status_code)
        assert codes in ((201, 409), (409, 200)), [message.content, withdrawal.content]
        complaint.refresh_from_db()
        if codes == (201, 409):
            assert_error(withdrawal, 409, "concurrent_change")
            assert (complaint.state, complaint.partner_messages.count()) == ("received", 1)
        else:
            assert (complaint.state, complaint.partner_messages.count()) == ("withdrawn", 0)
