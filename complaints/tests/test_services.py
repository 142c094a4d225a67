"""Complaint use cases: every allowed and refused transition, and the rules around them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import Notification, TransitionRecord
from complaints import services
from complaints.models import Complaint, State, Turn
from complaints.tests.factories import CLASSIFIED, REFUNDED, register

ALL_TRANSITIONS = {
    "accept": lambda c, u, team: services.accept_complaint(complaint=c, actor=u),
    "reject": lambda c, u, team: services.reject_complaint(
        complaint=c, actor=u, reason="Not a wallet matter"
    ),
    "start": lambda c, u, team: services.start_complaint(complaint=c, actor=u),
    "escalate": lambda c, u, team: services.escalate_complaint(
        complaint=c, actor=u, team=team, reason="Ledger shows a debit without a credit"
    ),
    "return_findings": lambda c, u, team: services.return_findings(
        complaint=c, actor=u, findings="Duplicate debit, reversal posted"
    ),
    "wait_for_customer": lambda c, u, team: services.wait_for_customer(
        complaint=c, actor=u, reason="Asked for the bank statement"
    ),
    "customer_replied": lambda c, u, team: services.customer_replied(complaint=c, actor=u),
    "resolve": lambda c, u, team: services.resolve_complaint(
        **REFUNDED, complaint=c, actor=u, code="refunded", summary="Refunded 88.00 CNY"
    ),
    "reopen": lambda c, u, team: services.reopen_complaint(
        complaint=c, actor=u, reason="Refund never arrived"
    ),
    "close": lambda c, u, team: services.close_complaint(complaint=c, actor=u),
    "withdraw": lambda c, u, team: services.withdraw_complaint(complaint=c, actor=u),
}

# The state machine declared on Complaint (complaints/models/complaint.py): (from, transition) -> to.
ALLOWED = {
    (State.RECEIVED, "accept"): State.ACCEPTED,
    (State.RECEIVED, "reject"): State.REJECTED,
    (State.ACCEPTED, "start"): State.IN_PROGRESS,
    (State.ACCEPTED, "escalate"): State.ESCALATED,
    (State.IN_PROGRESS, "escalate"): State.ESCALATED,
    (State.ESCALATED, "return_findings"): State.IN_PROGRESS,
    (State.IN_PROGRESS, "wait_for_customer"): State.AWAITING_CUSTOMER,
    (State.ESCALATED, "wait_for_customer"): State.AWAITING_CUSTOMER,
    (State.AWAITING_CUSTOMER, "customer_replied"): State.IN_PROGRESS,
    (State.ACCEPTED, "resolve"): State.RESOLVED,
    (State.IN_PROGRESS, "resolve"): State.RESOLVED,
    (State.ESCALATED, "resolve"): State.RESOLVED,
    (State.RESOLVED, "reopen"): State.IN_PROGRESS,
    (State.RESOLVED, "close"): State.CLOSED,
    **{
        (state, "withdraw"): State.WITHDRAWN
        for state in (
            State.RECEIVED,
            State.ACCEPTED,
            State.IN_PROGRESS,
            State.ESCALATED,
            State.AWAITING_CUSTOMER,
        )
    },
}

# How to reach each state from a fresh complaint (identity already verified).
PATHS = {
    State.RECEIVED: [],
    State.ACCEPTED: ["accept"],
    State.IN_PROGRESS: ["accept", "start"],
    State.ESCALATED: ["accept", "escalate"],
    State.AWAITING_CUSTOMER: ["accept", "start", "wait_for_customer"],
    State.RESOLVED: ["accept", "resolve"],
    State.CLOSED: ["accept", "resolve", "close"],
    State.REJECTED: ["reject"],
    State.WITHDRAWN: ["withdraw"],
}


@pytest.fixture
def verified(agent):
    def make() -> Complaint:
        complaint = register(agent)
        return services.verify_identity(complaint=complaint, actor=agent, method="sms_code")

    return make


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x-not-used-x")


def drive(complaint: Complaint, state: str, actor, team) -> Complaint:
    for name in PATHS[state]:
        ALL_TRANSITIONS[name](complaint, actor, team)
    assert complaint.state == state
    return complaint


@pytest.mark.parametrize(("source", "name"), sorted(ALLOWED))
def test_allowed_transition_moves_and_is_recorded(source, name, verified, superuser, technical_team):
    complaint = drive(verified(), source, superuser, technical_team)
    before = TransitionRecord.objects.count()
    ALL_TRANSITIONS[name](complaint, superuser, technical_team)
    complaint.refresh_from_db()
    assert complaint.state == ALLOWED[(source, name)]
    record = TransitionRecord.objects.latest("id")
    assert TransitionRecord.objects.count() == before + 1
    assert (record.transition, record.source_state, record.target_state) == (name, source, complaint.state)
    assert record.actor == superuser


REFUSED = sorted((state, name) for state in PATHS for name in ALL_TRANSITIONS if (state, name) not in ALLOWED)


@pytest.mark.parametrize(("source", "name"), REFUSED)
def test_refused_transition_changes_nothing(source, name, verified, superuser, technical_team):
    complaint = drive(verified(), source, superuser, technical_team)
    records = TransitionRecord.objects.count()
    with pytest.raises(TransitionRefused):
        ALL_TRANSITIONS[name](complaint, superuser, technical_team)
    complaint.refresh_from_db()
    assert complaint.state == source
    assert TransitionRecord.objects.count() == records


def test_accept_is_refused_until_identity_is_verified(agent):
    complaint = register(agent)
    with pytest.raises(TransitionRefused, match="identity has not been verified"):
        services.accept_complaint(complaint=complaint, actor=agent)
    complaint.refresh_from_db()
    assert complaint.state == State.RECEIVED
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    services.accept_complaint(complaint=complaint, actor=agent)
    assert complaint.state == State.ACCEPTED


def test_verification_is_recorded_with_who_and_how(agent):
    complaint = services.verify_identity(complaint=register(agent), actor=agent, method="id_document")
    assert complaint.identity_verified_by == agent
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.data) == ("verify_identity", {"method": "id_document"})


def test_unknown_verification_method_names_the_field(agent):
    with pytest.raises(InvalidInput) as refused:
        services.verify_identity(complaint=register(agent), actor=agent, method="guess")
    assert refused.value.field == "method"


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("technician", "accept"),
        ("technician", "escalate"),
        ("technician", "resolve"),
        ("auditor", "withdraw"),
        ("agent", "return_findings"),
    ],
)
def test_a_role_without_the_permission_is_refused(role, name, request, verified, superuser, technical_team):
    user = request.getfixturevalue(role)
    source = {
        "accept": State.RECEIVED,
        "escalate": State.ACCEPTED,
        "resolve": State.ACCEPTED,
        "withdraw": State.ACCEPTED,
        "return_findings": State.ESCALATED,
    }[name]
    complaint = drive(verified(), source, superuser, technical_team)
    with pytest.raises(PermissionRefused):
        ALL_TRANSITIONS[name](complaint, user, technical_team)
    complaint.refresh_from_db()
    assert complaint.state == source


def test_findings_come_back_only_from_the_team_it_went_to(
    verified, agent, complaints_officer, technician, technical_team
):
    complaint = drive(verified(), State.ESCALATED, agent, technical_team)
    with pytest.raises(PermissionRefused):
        services.return_findings(complaint=complaint, actor=complaints_officer, findings="Not ours")
    services.return_findings(complaint=complaint, actor=technician, findings="Gateway timeout; retried")
    assert complaint.state == State.IN_PROGRESS
    assert complaint.turn == Turn.AGENT


def test_escalation_writes_the_notice_to_the_team_mailbox_in_the_same_transaction(
    verified, agent, technical_team, django_capture_on_commit_callbacks
):
    complaint = drive(verified(), State.ACCEPTED, agent, technical_team)
    with django_capture_on_commit_callbacks() as callbacks:
        services.escalate_complaint(
            complaint=complaint, actor=agent, team=technical_team, reason="Ledger mismatch"
        )
    notice = Notification.objects.get(kind="escalation")
    assert notice.recipient == technical_team.mailbox
    assert complaint.reference in notice.subject
    assert "Ledger mismatch" in notice.body and complaint.transaction_reference in notice.body
    assert len(callbacks) == 1  # delivery is handed to a worker only after commit
    assert complaint.turn == Turn.TEAM and complaint.was_escalated


def test_escalation_needs_a_reason_and_another_team(verified, agent, technical_team):
    complaint = drive(verified(), State.ACCEPTED, agent, technical_team)
    with pytest.raises(InvalidInput) as refused:
        services.escalate_complaint(complaint=complaint, actor=agent, team=technical_team, reason="  ")
    assert refused.value.field == "reason"
    frontline = complaint.team
    with pytest.raises(InvalidInput) as refused:
        services.escalate_complaint(complaint=complaint, actor=agent, team=frontline, reason="x")
    assert refused.value.field == "team"
    assert not Notification.objects.filter(kind="escalation").exists()


def test_a_stale_copy_cannot_overwrite_a_concurrent_change(verified, agent, other_agent, technical_team):
    complaint = drive(verified(), State.ACCEPTED, agent, technical_team)
    stale = Complaint.objects.get(pk=complaint.pk)
    services.start_complaint(complaint=complaint, actor=agent)
    with pytest.raises(ConcurrentChange, match="changed by someone else"):
        services.resolve_complaint(
            **CLASSIFIED, complaint=stale, actor=other_agent, code="explained", summary="Told them"
        )
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS
    assert complaint.resolution_summary == ""


def test_registering_requires_the_details_of_the_category(agent):
    with pytest.raises(InvalidInput) as refused:
        register(agent, transaction_reference="")
    assert refused.value.field == "transaction_reference"
    with pytest.raises(InvalidInput) as refused:
        register(agent, category="account_locked", account_number="")
    assert refused.value.field == "account_number"
    assert not Complaint.objects.exists()


def test_registering_gives_a_readable_daily_reference(agent):
    first = register(agent)
    second = register(agent)
    today = timezone.localdate().strftime("%Y%m%d")
    assert first.reference == f"CMP-{today}-000001"
    assert second.reference == f"CMP-{today}-000002"


def test_registering_needs_the_permission(technician):
    with pytest.raises(PermissionRefused):
        register(technician)


def test_first_contact_resolution_by_the_registering_agent(verified, agent):
    complaint = drive(verified(), State.ACCEPTED, agent, None)
    services.resolve_complaint(
        **CLASSIFIED,
        complaint=complaint,
        actor=agent,
        code="explained",
        summary="Explained the pending debit",
        is_first_contact=True,
    )
    assert complaint.is_first_contact_resolution


def test_first_contact_resolution_is_refused_after_escalation(verified, agent, technician, technical_team):
    complaint = drive(verified(), State.ESCALATED, agent, technical_team)
    services.return_findings(complaint=complaint, actor=technician, findings="Fixed")
    with pytest.raises(InvalidInput) as refused:
        services.resolve_complaint(
            **CLASSIFIED,
            complaint=complaint,
            actor=agent,
            code="corrected",
            summary="x",
            is_first_contact=True,
        )
    assert refused.value.field == "is_first_contact"


def test_first_contact_resolution_is_refused_to_another_agent(verified, agent, other_agent):
    complaint = drive(verified(), State.ACCEPTED, agent, None)
    with pytest.raises(InvalidInput):
        services.resolve_complaint(
            **CLASSIFIED,
            complaint=complaint,
            actor=other_agent,
            code="explained",
            summary="x",
            is_first_contact=True,
        )


def test_waiting_on_the_customer_pauses_and_reply_resumes(verified, agent):
    complaint = drive(verified(), State.IN_PROGRESS, agent, None)
    services.wait_for_customer(complaint=complaint, actor=agent, reason="Need the receipt")
    assert complaint.sla_clock.paused_at is not None and complaint.turn == Turn.CUSTOMER
    due = complaint.sla_clock.resolution_due_at
    services.customer_replied(complaint=complaint, actor=agent)
    complaint.sla_clock.refresh_from_db()
    assert complaint.sla_clock.paused_at is None
    assert complaint.sla_clock.resolution_due_at >= due


def test_holding_response_extends_the_deadline_and_is_audited(holding_reply_regime, verified, agent):
    complaint = drive(verified(), State.IN_PROGRESS, agent, None)
    due = complaint.sla_clock.resolution_due_at
    services.send_holding_response(
        complaint=complaint,
        actor=agent,
        holding_response="The card scheme needs 20 more days to trace the payment.",
    )
    complaint.sla_clock.refresh_from_db()
    assert complaint.sla_clock.is_extended and complaint.sla_clock.resolution_due_at > due
    assert TransitionRecord.objects.latest("id").transition == "send_holding_response"


def test_reopen_is_refused_after_the_window(verified, agent, settings):
    complaint = drive(verified(), State.RESOLVED, agent, None)
    Complaint.objects.filter(pk=complaint.pk).update(resolved_at=timezone.now() - dt.timedelta(days=15))
    complaint.refresh_from_db()
    with pytest.raises(TransitionRefused, match="reopen window has passed"):
        services.reopen_complaint(complaint=complaint, actor=agent, reason="Still not refunded")


def test_resolution_stops_the_clock_and_lateness_survives(verified, agent):
    complaint = drive(verified(), State.ACCEPTED, agent, None)
    complaint.sla_clock.resolution_breached_at = complaint.sla_clock.resolution_due_at
    complaint.sla_clock.save()
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="corrected", summary="Fixed"
    )
    assert complaint.sla_clock.stopped_at is not None
    assert complaint.sla_clock.is_breached()


def test_partner_can_withdraw_only_its_own(agent, partner, other_partner):
    complaint = register(partner.user, channel="partner_api", partner=partner, external_reference="ACME-1")
    with pytest.raises(PermissionRefused):
        services.withdraw_complaint(complaint=complaint, actor=other_partner.user)
    services.withdraw_complaint(complaint=complaint, actor=partner.user, reason="Customer satisfied")
    assert complaint.state == State.WITHDRAWN
    assert TransitionRecord.objects.latest("id").actor_label == "partner:acme"


def test_history_keeps_every_field_change_with_the_user(verified, agent):
    complaint = drive(verified(), State.RESOLVED, agent, None)
    states = list(complaint.history.order_by("history_id").values_list("state", "history_user__username"))
    assert states == [
        ("received", "agent.wang"),
        ("received", "agent.wang"),
        ("accepted", "agent.wang"),
        ("resolved", "agent.wang"),
    ]


def test_a_step_refuses_the_permission_before_judging_the_input(verified, technician):
    complaint = verified()
    with pytest.raises(PermissionRefused):
        services.verify_identity(complaint=complaint, actor=technician, method="guess")
    with pytest.raises(PermissionRefused):
        services.send_holding_response(complaint=complaint, actor=technician, holding_response="")


def test_reassignment_is_for_supervisors_and_to_staff_who_work_complaints(
    verified, supervisor, agent, other_agent, partner
):
    complaint = verified()
    with pytest.raises(PermissionRefused):
        services.assign_complaint(complaint=complaint, actor=agent, assigned_to=other_agent)
    with pytest.raises(InvalidInput) as refused:
        services.assign_complaint(complaint=complaint, actor=supervisor, assigned_to=partner.user)
    assert refused.value.field == "assigned_to"
    services.assign_complaint(
        complaint=complaint, actor=supervisor, assigned_to=other_agent, reason="Holiday cover"
    )
    assert complaint.assigned_to == other_agent
    assert TransitionRecord.objects.latest("id").reason == "Holiday cover"


def test_the_notice_is_plain_text_as_the_customer_said_it(agent, technical_team):
    complaint = register(agent, description="The app said 'failed (5003)' & took 86.40 <CNY>")
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.escalate_complaint(complaint=complaint, actor=agent, team=technical_team, reason="Trace it")
    notice = Notification.objects.get(kind="escalation")
    assert "The app said 'failed (5003)' & took 86.40 <CNY>" in notice.body


def test_a_negative_amount_is_refused_naming_the_field_and_nothing_is_saved(agent):
    with pytest.raises(InvalidInput) as refused:
        register(agent, amount=Decimal("-0.01"))

    assert refused.value.field == "amount"
    assert str(refused.value) == "amount: The amount must be more than zero."
    assert not Complaint.objects.exists()
