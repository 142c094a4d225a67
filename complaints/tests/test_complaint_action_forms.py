"""A complaint's step and transition pages (issue 15, finished forms): one heading, the
complaint in short with the customer masked, errors beside their field with the input
kept, Cancel back to the complaint; a reader's page goes "Back to list"."""

from __future__ import annotations

from casework.privacy.masking import mask_phone
from casework.tests.action_forms import (
    assert_finished_form,
    assert_view_only_page_goes_back_to_the_list,
    row_errors,
    top_errors,
)
from casework.tests.admin import admin_url, visible_text
from casework.tests.masked_numbers import PHONE
from complaints.models import Complaint, State
from complaints.tests.factories import CLASSIFIED, complaint_in_state, register


def test_the_identity_step_shows_the_complaint_in_short_with_the_phone_masked(client, agent):
    complaint = register(agent, customer_name="Zhang Wei", customer_phone=PHONE)
    client.force_login(agent)
    page = client.get(admin_url(complaint, "step", "verify-identity"))
    assert_finished_form(
        page,
        complaint,
        "Record identity verification",
        summary_shows=("Zhang Wei", mask_phone(complaint.customer_phone), "Paid 88 yuan at a convenience"),
    )
    assert PHONE[3:7] not in visible_text(page)  # the hidden digits are nowhere on the page


def test_a_step_left_incomplete_says_so_beside_the_field_and_keeps_the_note(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    url = admin_url(complaint, "step", "verify-identity")
    response = client.post(url, {"version": complaint.version, "method": "", "note": "Last four ID digits"})
    assert row_errors(response, "method") == ["This field is required."]
    assert row_errors(response, "note") == []
    assert top_errors(response) == ""  # errors on a field are beside it, not at the top
    assert "Last four ID digits</textarea>" in response.content.decode()
    assert_finished_form(response, complaint, "Record identity verification")
    assert Complaint.objects.get(pk=complaint.pk).identity_verified_at is None


def test_the_escalate_page_keeps_the_team_when_the_reason_is_missing(client, agent, technical_team):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    client.force_login(agent)
    url = admin_url(complaint, "transition", "escalate")
    assert_finished_form(client.get(url), complaint, "Escalate", summary_shows=("Li Wei",))

    response = client.post(url, {"version": complaint.version, "team": technical_team.pk, "reason": ""})
    assert row_errors(response, "reason") == ["This field is required."]
    assert f'<option value="{technical_team.pk}" selected>' in response.content.decode()
    assert_finished_form(response, complaint, "Escalate")
    assert Complaint.objects.get(pk=complaint.pk).state == State.IN_PROGRESS


def test_a_service_refusal_naming_a_field_lands_on_it_alone(client, agent, other_agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=other_agent)
    client.force_login(agent)  # did not register it: cannot claim first contact
    response = client.post(
        admin_url(complaint, "transition", "resolve"),
        {
            "version": complaint.version,
            **CLASSIFIED,
            "code": "explained",
            "summary": "Explained it",
            "is_first_contact": "on",
        },
    )
    (error,) = row_errors(response, "is_first_contact")
    assert "Only the agent who registered" in error
    assert "Only the agent who registered" not in top_errors(response)
    assert not list(response.context["messages"])  # not said twice


def test_a_reader_leaves_a_complaint_back_to_the_list(client, agent, auditor):
    complaint = register(agent)
    client.force_login(auditor)
    assert_view_only_page_goes_back_to_the_list(client.get(admin_url(complaint)))
