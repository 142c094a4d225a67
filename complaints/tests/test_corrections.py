"""Correcting a complaint's category, priority or channel (issue 15, item 5): who may, with
a reason, one trail entry from what to what, and the SLA clock on the new policy."""

from __future__ import annotations

import pytest

from casework.cases.timeline import field_changes, transitions
from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import SlaClock, SlaPolicy, SlaStatus, TransitionRecord
from casework.sla import clocks
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register

REASON = "The caller asked why the refund never came; it was filed as a failed payment."


def correct(complaint: Complaint, actor, **changes) -> Complaint:
    changes.setdefault("reason", REASON)
    return services.correct_complaint(complaint=complaint, actor=actor, **changes)


def last_record(complaint: Complaint) -> TransitionRecord:
    return TransitionRecord.objects.filter(object_id=complaint.pk, case_reference=complaint.reference).latest(
        "created_at", "id"
    )


def test_a_supervisor_corrects_the_category_with_one_trail_entry(agent, supervisor):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    records = TransitionRecord.objects.count()

    correct(complaint, supervisor, category="refund")

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert (complaint.category, complaint.state) == ("refund", State.IN_PROGRESS)
    assert TransitionRecord.objects.count() == records + 1
    record = last_record(complaint)
    assert (record.transition, record.actor, record.reason) == ("correct", supervisor, REASON)
    assert (record.source_state, record.target_state) == (State.IN_PROGRESS, State.IN_PROGRESS)
    assert record.data == {
        "category": ["transaction", "refund"],
        # The codes the old category gave it follow the new one (complaints.services.classification).
        "classification": {"business_type": ["B01", "B03"], "cause": ["C03", "C08"]},
    }
    # The history row says the same, with the reason.
    latest = field_changes(complaint)[-1]
    assert latest.reason == REASON
    assert sorted((c.name, c.old, c.new) for c in latest.changes) == [
        ("business_type", "B01 Payment", "B03 Refund"),
        ("category", "transaction failed or abnormal", "refund not processed"),
        ("cause", "C03 System failure", "C08 Loss of funds"),
    ]


def test_the_timeline_says_what_changed_from_what_and_why(agent, supervisor):
    complaint = register(agent)

    correct(complaint, supervisor, category="refund", priority="high", channel="chat")

    entry = list(transitions(complaint))[-1]
    assert entry.what == (
        "Channel changed from phone hotline to online chat; "
        "Category changed from transaction failed or abnormal to refund not processed; "
        "Priority changed from normal to high"
    )
    assert entry.detail == REASON


def test_the_holder_corrects_before_acceptance(agent):
    complaint = register(agent)  # registered by the agent, who holds it
    assert complaint.assigned_to == agent

    correct(complaint, agent, priority="high", reason="The caller is locked out of payroll today.")

    assert Complaint.objects.get(pk=complaint.pk).priority == "high"


def test_the_holder_may_not_correct_after_acceptance(agent):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    with pytest.raises(PermissionRefused, match="Only a supervisor can correct"):
        correct(complaint, agent, category="refund")
    assert Complaint.objects.get(pk=complaint.pk).category == "transaction"


def test_another_agent_may_not_correct_a_case_they_do_not_hold(agent, other_agent):
    complaint = register(agent)
    with pytest.raises(PermissionRefused):
        correct(complaint, other_agent, category="refund")
    assert not services.may_correct(complaint, other_agent)
    assert services.may_correct(complaint, agent)


def test_roles_that_do_not_work_complaints_may_not_correct(agent, technician, auditor):
    complaint = register(agent)
    for user in (technician, auditor):
        with pytest.raises(PermissionRefused):
            correct(complaint, user, category="refund")


def test_who_may_not_correct_is_refused_as_such_whatever_they_sent(agent, other_agent):
    complaint = register(agent)
    with pytest.raises(PermissionRefused):
        correct(complaint, other_agent, category="nonsense", reason="")


def test_a_correction_needs_a_reason(agent, supervisor):
    complaint = register(agent)
    with pytest.raises(InvalidInput) as refused:
        correct(complaint, supervisor, category="refund", reason="   ")
    assert refused.value.field == "reason"
    assert Complaint.objects.get(pk=complaint.pk).category == "transaction"


def test_a_correction_that_changes_nothing_is_refused_naming_the_field(agent, supervisor):
    complaint = register(agent, priority="high")
    with pytest.raises(InvalidInput, match="Nothing to correct") as refused:
        correct(complaint, supervisor, category="transaction", priority="high")
    assert refused.value.field == "category"
    with pytest.raises(InvalidInput) as refused:
        correct(complaint, supervisor, channel="phone")
    assert refused.value.field == "channel"


def test_an_unknown_choice_is_refused_naming_the_field(agent, supervisor):
    complaint = register(agent)
    with pytest.raises(InvalidInput) as refused:
        correct(complaint, supervisor, priority="whenever")
    assert refused.value.field == "priority"
    assert "not a valid choice" in refused.value.message


def test_the_new_category_needs_its_details(agent, supervisor):
    complaint = register(agent, category="other", transaction_reference="", amount=None, merchant="")
    with pytest.raises(InvalidInput) as refused:
        correct(complaint, supervisor, category="refund")
    assert refused.value.field == "category"
    assert refused.value.message == (
        "A complaint about a refund not processed needs its transaction reference, amount, merchant: "
        "add them to the details first."
    )
    assert Complaint.objects.get(pk=complaint.pk).category == "other"


def test_a_finished_complaint_is_not_corrected(agent, supervisor):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    with pytest.raises(TransitionRefused, match="only an open complaint"):
        correct(complaint, supervisor, category="refund")


def test_a_concurrent_change_is_refused(agent, supervisor):
    complaint = register(agent)
    stale = Complaint.objects.get(pk=complaint.pk)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")

    with pytest.raises(ConcurrentChange):
        correct(stale, supervisor, category="refund")

    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.category == "transaction"
    assert not TransitionRecord.objects.filter(object_id=complaint.pk, transition="correct").exists()


def test_the_clock_runs_on_the_policy_of_the_new_priority(agent, supervisor):
    complaint = register(agent)
    clock = complaint.sla_clock
    assert clock.policy.priority == ""  # the 15 business days' default
    urgent = SlaPolicy.objects.get(case_type="complaint", category="", priority="urgent")
    # The same start on the urgent policy under the same regime, worked out by starting a
    # clock on it: the first response is urgent's, the decision still the regime's limit.
    expected = clocks.start_clock(policy=urgent, started_at=clock.started_at, regime=clock.regime)
    assert expected.first_response_due_at != clock.first_response_due_at

    correct(complaint, supervisor, priority="urgent", reason="The customer cannot pay rent.")

    clock = SlaClock.objects.get(pk=clock.pk)
    assert clock.policy == urgent
    assert clock.started_at == complaint.created_at
    assert clock.first_response_due_at == expected.first_response_due_at
    assert clock.resolution_due_at == expected.resolution_due_at
    assert clock.status() == SlaStatus.ON_TRACK


def test_the_clock_keeps_its_extension_and_its_answered_first_response(
    holding_reply_regime, agent, supervisor
):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    complaint = services.send_holding_response(
        complaint=complaint, actor=agent, holding_response="The bank must confirm the debit first."
    )
    before = SlaClock.objects.get(pk=complaint.sla_clock_id)

    correct(complaint, supervisor, category="privacy", reason="The caller's data was shared.")

    clock = SlaClock.objects.get(pk=before.pk)
    assert clock.policy.category == "privacy"
    assert clock.is_extended
    assert (clock.first_responded_at, clock.first_response_due_at) == (
        before.first_responded_at,
        before.first_response_due_at,
    )


def test_a_channel_alone_leaves_the_clock_as_it_was(agent, supervisor):
    complaint = register(agent)
    before = SlaClock.objects.get(pk=complaint.sla_clock_id)

    correct(complaint, supervisor, channel="email", reason="It came by e-mail, not the hotline.")

    clock = SlaClock.objects.get(pk=before.pk)
    assert (clock.policy_id, clock.resolution_due_at) == (before.policy_id, before.resolution_due_at)
