"""The doors to merging (``complaints.merge_step``, the partner API) and how a merged
duplicate is counted: the form offers the likely duplicates masked, refuses next to the
field in the service's words, and the pages link both ways; the partner reads ``merged``
and, for its own survivor, its reference; the returns and the dashboard count the survivor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import CaseType
from casework.sla.regimes import deployment_regime
from casework.supervision.dashboard import dashboard
from casework.tests.admin import admin_url, messages_of, visible_text
from complaints import services
from complaints.models import Complaint, State
from complaints.returns import measures as m
from complaints.tests.api import detail_url
from complaints.tests.factories import file_complaint, register

PHONE, ACCOUNT = "13800138777", "6222000011117777"
REASON = "Same failed payment: the customer called again."


def same_customer(agent, **overrides) -> Complaint:
    return register(agent, customer_phone=PHONE, account_number=ACCOUNT, **overrides)


def fresh(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


def post_merge(client, complaint: Complaint, **data):
    return client.post(admin_url(complaint, "step", "merge"), {"version": fresh(complaint).version, **data})


# The admin's Merge step.


def test_the_merge_step_offers_the_likely_duplicates_masked(client, agent):
    survivor = same_customer(agent)
    duplicate = same_customer(agent)
    someone_else = register(agent)
    client.force_login(agent)

    assert "Merge" in [step["label"] for step in client.get(admin_url(duplicate)).context["case_steps"]]
    page = client.get(admin_url(duplicate, "step", "merge"))

    choices = dict(page.context["transition_form"].fields["into"].choices)
    assert list(choices) == [str(survivor.pk)]
    assert someone_else.reference not in page.content.decode()
    label = choices[str(survivor.pk)]
    assert survivor.reference in label and "+86 138 **** 8777" in label
    assert "0013" not in label and "0013" not in visible_text(page)  # the middle digits


def test_merging_from_the_form_lands_on_the_survivor_and_says_what_moved(client, agent):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    services.add_note(complaint=duplicate, actor=agent, body="Receipt read out.")
    client.force_login(agent)

    response = post_merge(client, duplicate, into=survivor.pk, reason=REASON)

    assert response.status_code == 302 and response.url == admin_url(survivor)
    assert fresh(duplicate).merged_into == survivor
    assert fresh(survivor).notes.count() == 1
    assert f"{duplicate.reference} merged into {survivor.reference}" in " ".join(messages_of(response))


def test_a_reference_typed_merges_as_a_choice_does(client, agent):
    survivor, duplicate = (
        same_customer(agent),
        same_customer(agent, category="other", transaction_reference=""),
    )
    # Registered far apart and about something else: not offered, but the agent knows better.
    client.force_login(agent)

    response = post_merge(client, duplicate, reference=survivor.reference.lower(), reason=REASON)

    assert response.status_code == 302, response.context and response.context["transition_form"].errors
    assert fresh(duplicate).merged_into == survivor


def test_the_form_refuses_next_to_the_field_in_the_services_words(client, agent):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    someone_else = register(agent)
    client.force_login(agent)

    no_reason = post_merge(client, duplicate, into=survivor.pk, reason="")
    assert no_reason.context["transition_form"].errors["reason"] == [str(services.merging.REASON_NEEDED)]
    nothing_chosen = post_merge(client, duplicate, reason=REASON)
    assert nothing_chosen.context["transition_form"].errors["into"] == [
        "Choose the complaint this one duplicates."
    ]
    other_customer = post_merge(client, duplicate, reference=someone_else.reference, reason=REASON)
    [error] = other_customer.context["transition_form"].errors["reference"]
    assert "is not the same customer's complaint" in error
    unknown = post_merge(client, duplicate, reference="CMP-20260101-999999", reason=REASON)
    assert unknown.context["transition_form"].errors["reference"] == [
        "No complaint has the reference CMP-20260101-999999."
    ]
    assert REASON in unknown.content.decode()  # the input is kept
    assert fresh(duplicate).state == State.RECEIVED


def test_a_stale_form_is_shown_again_not_written_over(client, agent, supervisor):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    client.force_login(agent)
    seen = fresh(duplicate).version
    services.assign_complaint(complaint=fresh(duplicate), actor=supervisor, assigned_to=supervisor)

    response = client.post(
        admin_url(duplicate, "step", "merge"), {"version": seen, "into": survivor.pk, "reason": REASON}
    )

    assert response.status_code == 200
    assert "changed by someone else" in " ".join(response.context["top_errors"])
    assert fresh(duplicate).state == State.RECEIVED


def test_who_may_not_merge_gets_no_form(client, agent, technician):
    duplicate = same_customer(agent)
    client.force_login(technician)

    assert client.get(admin_url(duplicate, "step", "merge")).status_code == 403
    assert "Merge" not in [step["label"] for step in client.get(admin_url(duplicate)).context["case_steps"]]


def test_the_pages_link_both_ways(client, agent):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)
    client.force_login(agent)

    merged_page = client.get(admin_url(duplicate))
    survivor_page = client.get(admin_url(survivor))

    assert f'href="{admin_url(survivor)}">{survivor.reference}</a>' in merged_page.content.decode()
    assert "Merged into:" in visible_text(merged_page)
    assert f"the work goes on in {survivor.reference}" in visible_text(merged_page)
    assert "Merge" not in [step["label"] for step in merged_page.context["case_steps"]]
    assert f'href="{admin_url(duplicate)}">{duplicate.reference}</a>' in survivor_page.content.decode()
    assert "Merged from:" in visible_text(survivor_page)
    assert "merged in" in visible_text(survivor_page)  # the survivor's timeline


# The partner API.


def test_the_partner_reads_merged_and_its_own_survivors_reference(api, partner, agent):
    duplicate = file_complaint(partner, customer_phone=PHONE)
    survivor = file_complaint(partner, customer_phone=PHONE)
    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    body = api.get(detail_url(duplicate.reference)).json()

    assert (body["state"], body["merged_into"]) == ("merged", survivor.reference)
    assert api.get(detail_url(survivor.reference)).json()["merged_into"] is None


def test_a_survivor_the_partner_may_not_see_is_not_named(api, partner, agent):
    duplicate = file_complaint(partner, customer_phone=PHONE)
    survivor = register(agent, customer_phone=PHONE, account_number="")
    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    response = api.get(detail_url(duplicate.reference))

    assert (response.json()["state"], response.json()["merged_into"]) == ("merged", None)
    assert survivor.reference not in response.content.decode()


def test_the_schema_documents_the_merged_state_and_merged_into(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()

    complaint = schema["components"]["schemas"]["Complaint"]["properties"]
    assert (
        complaint["merged_into"]["nullable"] is True and "merged" in complaint["merged_into"]["description"]
    )
    states = next(
        schema["components"]["schemas"][name]["enum"]
        for name in schema["components"]["schemas"]
        if "merged" in (schema["components"]["schemas"][name].get("enum") or [])
    )
    assert "withdrawn" in states


# How a merged duplicate is counted.


@pytest.mark.parametrize("when", ["before", "after"])
def test_the_returns_count_the_survivor_once(agent, when):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    if when == "after":
        services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)
    queryset, _zone = m.scoped(deployment_regime())
    now = timezone.now()
    received = m.received_q(now - dt.timedelta(hours=1), now + dt.timedelta(seconds=1))

    figures = {
        "received": queryset.filter(received).count(),
        "open": queryset.filter(m.open_at_q(now)).count(),
    }

    expected = 2 if when == "before" else 1
    assert figures == {"received": expected, "open": expected}


def test_the_dashboard_counts_a_merged_duplicate_neither_open_nor_resolved(agent):
    survivor, duplicate = same_customer(agent), same_customer(agent)
    before = dashboard(now=timezone.now()).for_type(CaseType.COMPLAINT)

    services.merge_complaint(complaint=duplicate, into=survivor, actor=agent, reason=REASON)

    after = dashboard(now=timezone.now()).for_type(CaseType.COMPLAINT)
    assert (before.open, after.open) == (2, 1)
    assert after.resolved == before.resolved == 0
    assert State.MERGED not in after.open_by_state
