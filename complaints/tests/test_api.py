"""The partner door, through DRF's client with a partner's token: filing, who may call,
withdrawing (also two at once), and the schema and docs. Reading and the messages with
the back office have their own ``test_complaint_api_*.py`` modules."""

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
from casework.tests.api import assert_error, client_for
from casework.tests.races import race
from complaints import services
from complaints.models import Complaint
from complaints.tests.api import LIST_URL, detail_url, notes_url, payload, withdraw_url
from complaints.tests.factories import CLASSIFIED, file_complaint

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
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
    )

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
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
    )

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
