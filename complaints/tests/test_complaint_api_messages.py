"""Messages between the partner and the back office through the partner door (``notes/``):
staff read and answer them, internal notes never show, each bumps the version, and an
ended complaint takes no more."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casework.tests.api import assert_error, count_list_queries, listed
from complaints import services
from complaints.models import Complaint
from complaints.tests.api import LIST_URL, detail_url, notes_url, withdraw_url
from complaints.tests.factories import CLASSIFIED, file_complaint


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
        services.resolve_complaint(
            **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
        )
        services.close_complaint(complaint=complaint, actor=agent)

    response = api.post(notes_url(complaint.reference), {"body": "One more thing"}, format="json")

    error = assert_error(response, 409, "illegal_transition")
    assert ended in error["message"]
    assert not complaint.partner_messages.exists()


def test_a_resolved_complaint_still_takes_the_customers_answer(api, partner, agent):
    complaint = file_complaint(partner)
    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
    )

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
