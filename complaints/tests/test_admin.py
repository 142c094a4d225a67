"""The staff door: what agents, the technical team, supervisors and auditors see and do
in the admin, driven through the test client as a logged-in user. Here: the changelist,
registering, the audited steps and transitions, and permission at every door; editing,
notes and messages, and the readers' history have their own ``test_complaint_admin_*.py``
modules."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import Notification, SlaClock, SlaPolicy, TransitionRecord
from casework.privacy.masking import mask_phone
from casework.tests.admin import act, admin_url, forbidden, messages_of
from complaints import services
from complaints.models import Complaint, State, Turn
from complaints.tests.admin import ADD, CHANGELIST, open_change_form, registration
from complaints.tests.factories import CLASSIFIED, complaint_in_state, register

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
        **CLASSIFIED,
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
            **CLASSIFIED,
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


def test_holding_response_extends_the_deadline(holding_reply_regime, client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    due_before = complaint.sla_clock.resolution_due_at
    client.force_login(agent)
    client.post(
        admin_url(complaint, "step", "request-extension"),
        {"version": complaint.version, "reason": "We are waiting for the bank's reply."},
    )
    complaint.refresh_from_db()
    assert complaint.holding_response_at is not None
    assert complaint.sla_clock.resolution_due_at > due_before


# The list's columns and its default (issue 15: lists that fit 1366 px).


def test_changelist_shows_open_complaints_unless_asked_for_all(client, agent):
    open_one = register(agent)
    closed = complaint_in_state(State.CLOSED, agent=agent)
    client.force_login(agent)

    bare = client.get(CHANGELIST)
    assert list(bare.context["cl"].result_list) == [open_one]
    content = bare.content.decode()
    assert "?open=any" in content  # one click to every complaint
    assert set(client.get(CHANGELIST, {"open": "any"}).context["cl"].result_list) == {open_one, closed}
    # Asked for anything, the list shows exactly that: a search finds a closed complaint.
    assert list(client.get(CHANGELIST, {"q": closed.reference}).context["cl"].result_list) == [closed]
    assert list(client.get(CHANGELIST, {"state": State.CLOSED}).context["cl"].result_list) == [closed]


def test_changelist_columns_fit_a_laptop(client, agent):
    complaint = register(agent, customer_phone="13700001111", description="Paid twice for one ride. " * 10)
    client.force_login(agent)
    response = client.get(CHANGELIST)
    headers = [str(column["text"]) for column in response.context["result_headers"] if column["text"]]
    assert headers == ["reference", "customer", "category", "description", "state", "next deadline", "holder"]
    content = response.content.decode()
    assert complaint.customer_name in content and mask_phone(complaint.customer_phone) in content
    assert complaint.customer_phone not in content
    assert "Paid twice for one ride." in content and "Paid twice for one ride. " * 10 not in content
    assert 'class="case-state case-state--open"' in content
    assert 'class="deadline deadline--ok"' in content
