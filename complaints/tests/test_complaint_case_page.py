"""The complaint's case page (issue 15): the header on top with the state, whose turn, the
deadlines, the next step and the actions; no blank inline rows; Save after Add stays on
the new case."""

from __future__ import annotations

from casework.tests.admin import admin_url
from complaints.models import Complaint, State
from complaints.tests.admin import ADD, registration
from complaints.tests.factories import complaint_in_state, register


def test_the_header_comes_first_with_the_next_step_and_the_actions(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    content = client.get(admin_url(complaint)).content.decode()
    header = content.index('class="case-header"')
    assert header < content.index('value="accept"') < content.index("field-customer_name")
    assert "Verify the caller&#x27;s identity, then accept." in content
    assert content.index("Record identity verification") > header
    assert 'class="deadline deadline--' in content  # the countdowns
    assert "notes-0-body" not in content and "attachments-0-file" not in content  # no blank rows


def test_an_escalated_complaint_names_the_team_whose_turn_it_is(client, agent):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)
    client.force_login(agent)
    content = client.get(admin_url(complaint)).content.decode()
    assert f"{complaint.escalated_to} (escalated)" in content
    assert f"Waiting for findings from {complaint.escalated_to}." in content


def test_save_after_add_opens_the_new_case(client, agent):
    client.force_login(agent)
    response = client.post(ADD, registration())
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response.url == admin_url(complaint)


def test_save_and_add_another_still_adds_another(client, agent):
    client.force_login(agent)
    response = client.post(ADD, {**registration(), "_addanother": "1"})
    assert response.status_code == 302
    assert response.url == ADD
