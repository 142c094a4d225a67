"""The staff door: what agents, the technical team, supervisors and auditors see and do
in the admin, driven through the test client as a logged-in user."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms import ModelForm
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.models import Notification, SlaClock, SlaPolicy, TransitionRecord
from casework.tests.admin import act, admin_url, forbidden, messages_of, visible_text
from casework.tests.files import PNG
from casework.trail.audit import chain_faults, records_for
from complaints import services
from complaints.forms import ComplaintChangeForm
from complaints.models import Complaint, ComplaintAttachment, ComplaintNote, State, Turn
from complaints.tests.factories import complaint_in_state, register

CHANGELIST = reverse("admin:complaints_complaint_changelist")
ADD = reverse("admin:complaints_complaint_add")


def form_data(response) -> dict[str, object]:
    """What the browser would post back from a rendered change form, untouched."""
    data: dict[str, object] = {}

    def add(form) -> None:
        for name, field in form.fields.items():
            value = form[name].value()
            widget = field.widget
            if hasattr(widget, "widgets"):  # split date and time
                for index, part in enumerate(widget.decompress(value)):
                    data[f"{form.add_prefix(name)}_{index}"] = "" if part is None else part
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.initial_forms:
            data[form.add_prefix("id")] = form.instance.pk
            data[form.add_prefix("complaint")] = form.instance.complaint_id
    return data


def open_change_form(client, complaint: Complaint) -> dict[str, object]:
    response = client.get(admin_url(complaint))
    assert response.status_code == 200
    return form_data(response)


def registration(**overrides) -> dict[str, object]:
    data = {
        "channel": "phone",
        "category": "transaction",
        "priority": "normal",
        "customer_name": "Zhang San",
        "customer_phone": "13912345678",
        "account_number": "6222000099998888",
        "description": "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.",
        "transaction_at_0": "2026-03-02",
        "transaction_at_1": "14:05:00",
        "amount": "45.00",
        "currency": "CNY",
        "transaction_reference": "TX2026030200045",
        "merchant": "FamilyMart",
        "device": "iPhone 15, iOS 18, app 10.6.0",
    }
    data.update(overrides)
    return data


# The changelist.


def test_changelist_shows_state_turn_and_sla_status(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert complaint.reference in content
    assert "on track" in content
    assert "received" in content


def test_changelist_filters_by_sla_status(client, agent):
    late = register(agent)
    on_time = register(agent)
    SlaClock.objects.filter(pk=late.sla_clock_id).update(resolution_breached_at=timezone.now())
    client.force_login(agent)

    breached = client.get(CHANGELIST, {"sla": "breached"})
    assert list(breached.context["cl"].result_list) == [late]

    on_track = client.get(CHANGELIST, {"sla": "on_track"})
    assert list(on_track.context["cl"].result_list) == [on_time]


def test_changelist_searches_by_phone_and_by_reference(client, agent):
    wanted = register(agent, customer_phone="13700001111")
    other = register(agent, customer_phone="13600002222")
    client.force_login(agent)

    by_phone = client.get(CHANGELIST, {"q": "13700001111"})
    assert list(by_phone.context["cl"].result_list) == [wanted]

    by_reference = client.get(CHANGELIST, {"q": other.reference})
    assert list(by_reference.context["cl"].result_list) == [other]


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_the_page(client, agent, supervisor):
    for _ in range(5):
        complaint = register(agent)
    # Rows that show every related column: assigned elsewhere, escalated.
    services.assign_complaint(complaint=complaint, actor=supervisor, assigned_to=supervisor)
    client.force_login(agent)
    client.get(CHANGELIST)  # warm the content-type and session caches
    with_five = _changelist_queries(client)

    for _ in range(25):
        register(agent)
    complaint_in_state(State.ESCALATED, agent=agent)
    with_thirty_one = _changelist_queries(client)

    assert with_five == with_thirty_one, (with_five, with_thirty_one)
    print(f"\nchangelist queries: {with_five} for 5 rows, {with_thirty_one} for 31 rows")


# Registering.


def test_agent_registers_a_complaint_through_the_add_form(client, agent):
    client.force_login(agent)
    response = client.post(ADD, registration())
    assert response.status_code == 302, response.context["adminform"].form.errors
    complaint = Complaint.objects.get()
    assert (complaint.state, complaint.registered_by, complaint.assigned_to) == (State.RECEIVED, agent, agent)
    assert complaint.reference.startswith("CMP-")
    assert complaint.sla_clock.policy.case_type == "complaint"
    record = TransitionRecord.objects.get(case_reference=complaint.reference)
    assert (record.transition, record.actor) == ("register", agent)
    assert complaint.history.get().history_user == agent


def test_missing_category_details_are_field_errors_and_nothing_is_saved(client, agent):
    client.force_login(agent)
    response = client.post(ADD, registration(amount="", transaction_reference=""))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Required for a complaint about a transaction failed or abnormal." in errors["amount"]
    assert "transaction_reference" in errors
    assert not Complaint.objects.exists()
    assert not TransitionRecord.objects.exists()


def test_a_service_refusal_lands_on_its_field_and_nothing_is_saved(client, agent):
    SlaPolicy.objects.update(is_active=False)
    client.force_login(agent)
    response = client.post(ADD, registration())
    assert response.status_code == 200
    assert "No active SLA policy covers" in response.context["adminform"].form.errors["category"][0]
    assert not Complaint.objects.exists()
    assert not SlaClock.objects.exists()


def test_a_user_who_may_not_register_has_no_add_form(client, technician):
    client.force_login(technician)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, registration()).status_code == 403
    assert not Complaint.objects.exists()


# Audited steps and transitions.


def test_identity_verification_is_recorded_from_its_button(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    page = client.get(admin_url(complaint))
    assert admin_url(complaint, "step", "verify-identity") in page.content.decode()

    response = act(
        client,
        admin_url(complaint, "step", "verify-identity"),
        method="sms_code",
        note="Code sent to the registered phone",
    )
    complaint.refresh_from_db()
    assert complaint.identity_verified_by == agent
    assert complaint.identity_verification_method == "sms_code"
    assert f"{complaint}: record identity verification done." in messages_of(response)
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.reason) == ("verify_identity", "Code sent to the registered phone")


def test_accept_is_refused_before_verification_with_the_reason(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    response = client.post(admin_url(complaint), {**data, "_fsm_transition_to": "accept"}, follow=True)
    assert (
        "The caller's identity has not been verified: record the verification before accepting."
        in messages_of(response)
    )
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED
    assert not TransitionRecord.objects.filter(transition="accept").exists()


def test_full_flow_accept_escalate_findings_resolve(client, agent, technician, technical_team):
    complaint = services.verify_identity(complaint=register(agent), actor=agent, method="callback")
    client.force_login(agent)

    # Accept: a button on the change form.
    data = open_change_form(client, complaint)
    response = client.post(admin_url(complaint), {**data, "_fsm_transition_to": "accept"}, follow=True)
    assert f"{complaint}: accept done; it is now accepted." in messages_of(response)

    # Escalate: the button leads to its form.
    data = open_change_form(client, complaint)
    response = client.post(admin_url(complaint), {**data, "_fsm_transition_to": "escalate"})
    assert response.url == admin_url(complaint, "transition", "escalate")
    form = client.get(response.url)
    teams = list(form.context["transition_form"].fields["team"].queryset.values_list("code", flat=True))
    assert "frontline" not in teams
    response = client.post(
        admin_url(complaint, "transition", "escalate"),
        {
            "version": form.context["transition_form"]["version"].value(),
            "team": technical_team.pk,
            "reason": "Debit without a credit: check the ledger",
        },
        follow=True,
    )
    complaint.refresh_from_db()
    assert (complaint.state, complaint.turn, complaint.escalated_to) == (
        State.ESCALATED,
        Turn.TEAM,
        technical_team,
    )
    notice = Notification.objects.get(kind="escalation")
    assert notice.recipient == technical_team.mailbox

    # The technical team reads the complaint and returns findings from the transition page.
    client.force_login(technician)
    page = client.get(admin_url(complaint))
    assert admin_url(complaint, "transition", "return_findings") in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    form = client.get(admin_url(complaint, "transition", "return_findings"))
    client.post(
        admin_url(complaint, "transition", "return_findings"),
        {
            "version": form.context["transition_form"]["version"].value(),
            "findings": "Duplicate debit reversed",
        },
    )
    complaint.refresh_from_db()
    assert (complaint.state, complaint.turn, complaint.findings) == (
        State.IN_PROGRESS,
        Turn.AGENT,
        "Duplicate debit reversed",
    )

    # The agent resolves.
    client.force_login(agent)
    act(
        client,
        admin_url(complaint, "transition", "resolve"),
        code="corrected",
        summary="The duplicate debit was reversed on 3 March.",
    )
    complaint.refresh_from_db()
    assert complaint.state == State.RESOLVED
    assert complaint.resolution_code == "corrected"
    assert complaint.sla_clock.stopped_at is not None
    assert list(
        TransitionRecord.objects.filter(object_id=complaint.pk)
        .order_by("id")
        .values_list("transition", "actor__username")
    ) == [
        ("register", "agent.wang"),
        ("verify_identity", "agent.wang"),
        ("accept", "agent.wang"),
        ("escalate", "agent.wang"),
        ("return_findings", "tech.chen"),
        ("resolve", "agent.wang"),
    ]

    # The timeline on the change form lists them with actor and reason.
    page = client.get(admin_url(complaint)).content.decode()
    assert "return findings" in page
    assert "tech.chen" in page
    assert "Duplicate debit reversed" in page


def test_a_service_refusal_on_a_transition_form_is_a_message_and_changes_nothing(client, agent, other_agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=other_agent)
    client.force_login(agent)  # did not register it: cannot claim first contact
    form = client.get(admin_url(complaint, "transition", "resolve"))
    response = client.post(
        admin_url(complaint, "transition", "resolve"),
        {
            "version": form.context["transition_form"]["version"].value(),
            "code": "explained",
            "summary": "Explained the pending authorisation.",
            "is_first_contact": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the refusal on its field
    assert (
        "Only the agent who registered" in response.context["transition_form"].errors["is_first_contact"][0]
    )
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS


# Permission: the service decides, at every door.


def test_posting_a_transition_by_hand_to_the_change_form_without_permission_is_refused(
    client, agent, complaints_officer
):
    complaint = services.verify_identity(complaint=register(agent), actor=agent, method="sms_code")
    client.force_login(complaints_officer)  # may edit complaints, may not accept them
    data = open_change_form(client, complaint)
    assert "_fsm_transition_to" not in client.get(admin_url(complaint)).content.decode()
    response = client.post(
        admin_url(complaint),
        {
            **data,
            "customer_name": "Li Wei Jr",
            "change_reason": "Spelled out by the caller",
            "_fsm_transition_to": "accept",
        },
    )
    assert "You do not have permission to accept this complaint." in forbidden(response)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.customer_name) == (State.RECEIVED, "Li Wei")
    assert not TransitionRecord.objects.filter(transition="accept").exists()


def test_posting_to_the_transition_url_without_permission_is_refused(client, agent, technician):
    complaint = services.verify_identity(complaint=register(agent), actor=agent, method="sms_code")
    client.force_login(technician)

    shown = client.get(admin_url(complaint, "transition", "accept"))
    assert "You do not have permission to accept this complaint." in forbidden(shown)

    response = client.post(admin_url(complaint, "transition", "accept"), {"version": complaint.version})
    assert "You do not have permission to accept this complaint." in forbidden(response)
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED
    assert not TransitionRecord.objects.filter(transition="accept").exists()


def test_a_reader_cannot_post_the_change_form(client, agent, technician):
    complaint = services.verify_identity(complaint=register(agent), actor=agent, method="sms_code")
    client.force_login(technician)
    data = open_change_form(client, complaint)
    response = client.post(admin_url(complaint), {**data, "_fsm_transition_to": "accept"})
    assert response.status_code == 403
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED


def test_reassign_is_for_supervisors(client, agent, other_agent, supervisor):
    complaint = register(agent)
    client.force_login(agent)
    assert admin_url(complaint, "step", "reassign") not in client.get(admin_url(complaint)).content.decode()
    response = client.post(
        admin_url(complaint, "step", "reassign"),
        {"version": complaint.version, "assigned_to": other_agent.pk, "reason": "Holiday"},
    )
    assert "You do not have permission to reassign this complaint." in forbidden(response)
    complaint.refresh_from_db()
    assert complaint.assigned_to == agent

    client.force_login(supervisor)
    response = client.post(
        admin_url(complaint, "step", "reassign"),
        {"version": complaint.version, "assigned_to": other_agent.pk, "reason": "Holiday"},
        follow=True,
    )
    complaint.refresh_from_db()
    assert complaint.assigned_to == other_agent
    assert TransitionRecord.objects.latest("id").transition == "assign"


def test_holding_response_extends_the_deadline(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    due_before = complaint.sla_clock.resolution_due_at
    client.force_login(agent)
    client.post(
        admin_url(complaint, "step", "holding-response"),
        {"version": complaint.version, "holding_response": "We are waiting for the bank's reply."},
    )
    complaint.refresh_from_db()
    assert complaint.holding_response_at is not None
    assert complaint.sla_clock.resolution_due_at > due_before


# Editing details, and concurrent edits.


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
        follow=True,
    )
    assert any("was changed by someone else" in message for message in messages_of(response))
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS
    assert not Notification.objects.filter(kind="escalation").exists()


# Notes and attachments.


def test_a_note_added_inline_is_signed_by_the_user(client, agent):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    response = client.post(admin_url(complaint), {**data, "notes-0-body": "Customer called again."})
    assert response.status_code == 302
    note = ComplaintNote.objects.get()
    assert (note.complaint, note.author, note.body) == (complaint, agent, "Customer called again.")


def test_an_attachment_added_inline_is_signed_by_the_user(client, agent, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    voucher = SimpleUploadedFile("voucher.png", PNG, content_type="image/png")
    response = client.post(
        admin_url(complaint),
        {**data, "attachments-0-file": voucher, "attachments-0-description": "Payment voucher"},
    )
    assert response.status_code == 302
    attachment = ComplaintAttachment.objects.get()
    assert (attachment.uploaded_by, attachment.description) == (agent, "Payment voucher")
    stored_as = rf"complaints/{complaint.reference}/[0-9a-f]{{24}}/voucher\.png"  # a folder nobody guesses
    assert re.fullmatch(stored_as, attachment.file.name)
    assert attachment.history.get().history_user == agent


def test_a_reader_with_note_permission_adds_notes_from_the_button(client, agent, technician):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)
    client.force_login(technician)
    client.post(admin_url(complaint, "step", "add-note"), {"body": "Looking at the ledger now."})
    assert ComplaintNote.objects.get().author == technician


# Auditors, history, no deletion.


def test_auditor_reads_everything_and_changes_nothing(client, agent, auditor):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    client.force_login(auditor)
    assert client.get(CHANGELIST).status_code == 200
    page = client.get(admin_url(complaint))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert "_fsm_transition_to" not in content
    assert "Refunded 88.00 CNY" in content  # the timeline's reason
    assert client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])).status_code == 200

    data = form_data(page)
    assert client.post(admin_url(complaint), {**data, "customer_name": "X"}).status_code == 403
    assert client.get(ADD).status_code == 403
    response = client.post(admin_url(complaint, "transition", "reopen"), {"version": 0, "reason": "x"})
    assert "You do not have permission to reopen this complaint." in forbidden(response)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.customer_name) == (State.RESOLVED, "Li Wei")


def test_the_history_page_shows_labels_names_local_time_and_reasons(
    client, agent, technical_team, supervisor
):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.escalate_complaint(complaint=complaint, actor=agent, team=technical_team, reason="Ledger check")
    client.force_login(agent)
    data = open_change_form(client, complaint)
    client.post(
        admin_url(complaint), {**data, "device": "Huawei Mate 60", "change_reason": "Caller corrected it"}
    )
    client.force_login(supervisor)

    text = visible_text(client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])))

    assert "pk=None" not in text and "Deleted" not in text  # an empty foreign key is "—"
    assert f"Escalated to: — → {technical_team.name}" in text  # a foreign key by its name
    assert "Identity verification method: — → SMS one-time code" in text and "sms_code" not in text
    assert "Device:" in text and "Huawei Mate 60" in text  # field labels, not names
    assert "Caller corrected it" in text and "Ledger check" in text  # each change's reason
    assert "None" not in text
    latest = complaint.history.latest()
    assert f"{timezone.localtime(latest.history_date):%Y-%m-%d %H:%M:%S}" in text  # local, to the second
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", text) and "UTC" not in text


def test_the_history_page_masks_what_the_reader_may_not_reveal(client, agent, technician):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    client.post(admin_url(complaint), {**data, "customer_phone": "13800138999", "change_reason": "New phone"})
    client.force_login(technician)

    text = visible_text(client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])))

    assert "13800138999" not in text and "New phone" in text


def test_history_cannot_be_written_back(client, agent, supervisor):
    complaint = register(agent)
    version = complaint.history.earliest()
    client.force_login(supervisor)
    url = reverse("admin:complaints_complaint_simple_history", args=[complaint.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"customer_name": "Rewritten"}).status_code == 405


def test_nobody_deletes_a_complaint(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)
    url = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()


# The casework admin.


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x-not-used-x")


def test_transition_records_are_read_only_and_searchable(client, agent, supervisor):
    complaint = register(agent)
    record = TransitionRecord.objects.get()
    client.force_login(supervisor)
    listing = client.get(reverse("admin:casework_transitionrecord_changelist"), {"q": complaint.reference})
    assert list(listing.context["cl"].result_list) == [record]
    change = reverse("admin:casework_transitionrecord_change", args=[record.pk])
    assert client.post(change, {"reason": "tampered"}).status_code == 403
    delete = reverse("admin:casework_transitionrecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.reason != "tampered"


def test_auditor_exports_the_trail_as_csv(client, agent, auditor):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    client.force_login(auditor)
    ids = list(TransitionRecord.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:casework_transitionrecord_changelist"),
        {"action": "export_csv", "_selected_action": ids},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0].startswith("time,case_type,case_reference,transition")
    assert len(lines) == 1 + len(ids)
    assert complaint.reference in lines[1]


def test_deliver_now_sends_only_pending_notices(client, superuser, mailoutbox):
    now = timezone.now()
    pending = Notification.objects.create(
        idempotency_key="a", kind="escalation", recipient="t@x.example", subject="s", body="b"
    )
    sent = Notification.objects.create(
        idempotency_key="b",
        kind="escalation",
        recipient="t@x.example",
        subject="s",
        body="b",
        status=Notification.Status.SENT,
        sent_at=now - dt.timedelta(minutes=1),
    )
    client.force_login(superuser)
    client.post(
        reverse("admin:casework_notification_changelist"),
        {"action": "retry_now", "_selected_action": [pending.pk, sent.pk]},
    )
    assert [message.to for message in mailoutbox] == [["t@x.example"]]
    pending.refresh_from_db()
    assert pending.status == Notification.Status.SENT


def test_the_change_form_shows_the_deadline_in_local_time(client, agent):
    complaint = register(agent, received_at=dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC))  # 10:00 Shanghai
    client.force_login(agent)
    page = client.get(admin_url(complaint)).content.decode()
    assert "2026-10-23 18:00" in page  # 15 business days on the China calendar
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)
    services.wait_for_customer(complaint=complaint, actor=agent, reason="Need the receipt")
    assert "(paused: waiting on the customer)" in client.get(admin_url(complaint)).content.decode()


# Messages with the partner: the partner reads them, unlike notes.


def test_staff_reply_to_the_partner_inline_and_the_partner_reads_it(client, agent, partner):
    from casework.tests.api import client_for
    from complaints.models import PartnerMessage
    from complaints.tests.factories import file_complaint

    complaint = file_complaint(partner)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="The customer sent a receipt.")
    client.force_login(agent)
    data = open_change_form(client, complaint)

    # Form 0 is the partner's message, shown read-only; form 1 is the reply.
    response = client.post(admin_url(complaint), {**data, "partner_messages-1-body": "Thank you, received."})

    assert response.status_code == 302
    reply = PartnerMessage.objects.get(is_from_partner=False)
    assert (reply.complaint, reply.author, reply.body) == (complaint, agent, "Thank you, received.")
    assert reply.history.get().history_user == agent
    read = client_for(partner).get(f"/api/v1/complaints/{complaint.reference}/notes/").json()["results"]
    assert [(message["sent_by"], message["body"]) for message in read] == [
        ("you", "The customer sent a receipt."),
        ("back office", "Thank you, received."),
    ]


def test_a_complaint_no_partner_filed_has_no_messages_inline(client, agent):
    complaint = register(agent)
    client.force_login(agent)

    response = client.get(admin_url(complaint))

    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert "partner_messages" not in prefixes
    assert "notes" in prefixes


def test_an_ended_complaint_shows_its_messages_but_takes_no_reply(client, agent, partner):
    from complaints.tests.factories import file_complaint

    complaint = file_complaint(partner)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="Any news?")
    services.withdraw_complaint(complaint=complaint, actor=partner.user)
    client.force_login(agent)

    response = client.get(admin_url(complaint))

    inline = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "partner_messages"
    )
    assert len(inline.formset.initial_forms) == 1
    assert inline.formset.extra_forms == []
