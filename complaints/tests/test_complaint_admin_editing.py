"""Editing a complaint's details through the admin: the state stays read-only, a change
needs its reason and lands in the trail and the history, and concurrent edits or stale
pages are refused."""

from __future__ import annotations

from decimal import Decimal

from django.forms import ModelForm

from casework.models import Notification, TransitionRecord
from casework.tests.admin import admin_url, messages_of
from casework.trail.audit import chain_faults, records_for
from complaints import services
from complaints.forms import ComplaintChangeForm
from complaints.models import Complaint, State
from complaints.tests.admin import open_change_form
from complaints.tests.factories import complaint_in_state, register


def test_details_are_edited_and_state_stays_read_only(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    assert "state" not in data and "reference" not in data
    response = client.post(
        admin_url(complaint),
        {**data, "customer_name": "Zhang Wei", "state": State.RESOLVED, "change_reason": "Misheard"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.customer_name, complaint.state) == ("Zhang Wei", State.RECEIVED)
    assert complaint.history.latest().history_user == agent


def test_changing_a_detail_without_a_reason_is_refused_next_to_the_reason_field(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    records = TransitionRecord.objects.count()

    response = client.post(admin_url(complaint), {**data, "amount": "99.00", "change_reason": "  "})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["change_reason"] == [
        "Say why the details are changed: it is kept in the trail with the fields changed."
    ]
    assert "Reason for the change" in response.content.decode()
    complaint.refresh_from_db()
    assert (complaint.amount, complaint.version) == (Decimal("88.00"), 0)
    assert TransitionRecord.objects.count() == records


def test_a_detail_change_is_in_the_trail_and_the_history_with_its_reason(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)

    response = client.post(
        admin_url(complaint),
        {**data, "amount": "54.00", "merchant": "Happy Noodles", "change_reason": "Receipt shows 54, not 88"},
    )

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.amount, complaint.version, complaint.state) == (Decimal("54.00"), 1, State.RECEIVED)
    record = TransitionRecord.objects.filter(case_reference=complaint.reference).latest("id")
    assert (record.transition, record.source_state, record.target_state) == (
        "edit_details",
        State.RECEIVED,
        State.RECEIVED,
    )
    assert (record.actor, record.reason) == (agent, "Receipt shows 54, not 88")
    assert sorted(record.data["fields"]) == ["amount", "merchant"]
    assert chain_faults(records_for(complaint)) == []
    assert complaint.history.latest().history_change_reason == "Receipt shows 54, not 88"
    page = client.get(admin_url(complaint)).content.decode()
    assert "edit details" in page and "Receipt shows 54, not 88" in page  # on the timeline


def test_saving_the_form_unchanged_asks_no_reason_and_records_nothing(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    records = TransitionRecord.objects.count()

    response = client.post(admin_url(complaint), open_change_form(client, complaint))

    assert response.status_code == 302
    assert TransitionRecord.objects.count() == records
    complaint.refresh_from_db()
    assert complaint.version == 0


def test_a_concurrent_edit_is_refused(client, agent, other_agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    # Someone else changes the complaint after the page was opened.
    services.verify_identity(
        complaint=Complaint.objects.get(pk=complaint.pk), actor=other_agent, method="sms_code"
    )

    response = client.post(
        admin_url(complaint), {**data, "customer_name": "Overwritten", "change_reason": "Misheard"}
    )
    assert response.status_code == 200
    assert (
        f"{complaint} was changed by someone else after you opened it; reload and try again."
        in response.context["adminform"].form.non_field_errors()
    )
    complaint.refresh_from_db()
    assert complaint.customer_name == "Li Wei"


def test_the_save_itself_claims_the_row_so_a_race_past_the_form_check_is_refused(
    client, agent, other_agent, monkeypatch
):
    # The form's version check and the save are two steps; the claim in the save is the
    # guarantee. Skip the form's check to stand in for a change landing between them.
    monkeypatch.setattr(ComplaintChangeForm, "clean", ModelForm.clean)
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    services.verify_identity(
        complaint=Complaint.objects.get(pk=complaint.pk), actor=other_agent, method="sms_code"
    )

    response = client.post(
        admin_url(complaint),
        {**data, "customer_name": "Overwritten", "change_reason": "Misheard"},
        follow=True,
    )
    assert f"{complaint} was changed by someone else after you opened it; reload and try again." in (
        messages_of(response)
    )
    complaint.refresh_from_db()
    assert complaint.customer_name == "Li Wei"


def test_a_transition_from_a_stale_page_is_refused(client, agent, other_agent, technical_team):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    client.force_login(agent)
    form = client.get(admin_url(complaint, "transition", "escalate"))
    services.start_complaint(complaint=Complaint.objects.get(pk=complaint.pk), actor=other_agent)

    response = client.post(
        admin_url(complaint, "transition", "escalate"),
        {
            "version": form.context["transition_form"]["version"].value(),
            "team": technical_team.pk,
            "reason": "Ledger check",
        },
    )
    # The form again, the input kept, on the complaint as it is now: sent again, it acts on that.
    assert response.status_code == 200
    form = response.context["transition_form"]
    assert any("was changed by someone else" in error for error in form.non_field_errors())
    assert form["reason"].value() == "Ledger check"
    assert response.context["summary"]["state"] == "in progress"
    complaint.refresh_from_db()
    assert form["version"].value() == complaint.version
    assert complaint.state == State.IN_PROGRESS
    assert not Notification.objects.filter(kind="escalation").exists()
