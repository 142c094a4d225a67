"""Reading complaints through the partner door: only the partner's own, filtered and paged
at a constant query count, without the internal side, and the timeline of who moved it."""

from __future__ import annotations

import pytest

from casework.tests.api import assert_error, assert_pages_by_cursor, count_list_queries, listed
from complaints import services
from complaints.models import Complaint
from complaints.tests.api import LIST_URL, detail_url, withdraw_url
from complaints.tests.factories import CLASSIFIED, file_complaint

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
    assert many == 3, "the key with its partner and user, one page with its clock, their regimes' limits"


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
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Explained"
    )
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
