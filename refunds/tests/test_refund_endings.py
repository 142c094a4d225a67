"""How a refund case ends and what the complaint it came from is told: opened from a refund
complaint, then resolved, reopened or given a note as the refund settles, fails or is
rejected; a rejection needs its reason, and the handler is on the refunds desk."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casework.core.errors import InvalidInput
from casework.models import SlaClock, TransitionRecord
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintNote, ResolutionCode
from complaints.models import State as ComplaintState
from complaints.tests.factories import REFUNDED, complaint_in_state
from refunds import services
from refunds.models import RefundCase, RefundState, RefundType
from refunds.tests.factories import ERROR, PATHS, SETTLED_AS, advance, report
from refunds.tests.readback import records_of, stored


@pytest.fixture
def refund_complaint(agent) -> Complaint:
    return complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=agent,
        category="refund",
        description="The merchant cancelled my order a week ago; the 88 yuan never came back.",
    )


def test_a_refund_case_opens_from_a_refund_complaint_with_its_transaction(refund_complaint, agent):
    complaint = refund_complaint

    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )

    after = stored(case)
    assert (after.complaint, after.requested_amount, after.reason) == (
        complaint,
        Decimal("88.00"),
        complaint.description,
    )
    payment = after.transaction
    assert (payment.reference, payment.merchant, payment.amount, payment.currency, payment.paid_at) == (
        complaint.transaction_reference,
        complaint.merchant,
        Decimal("88.00"),
        "CNY",
        complaint.transaction_at,
    )


def test_staff_may_ask_for_part_of_the_complaints_amount(refund_complaint, agent):
    case = services.open_refund_case_from_complaint(
        complaint=refund_complaint,
        actor=agent,
        refund_type=RefundType.RETURNED,
        requested_amount="30.00",
        reason="One of three items returned",
    )
    assert (stored(case).requested_amount, stored(case).reason) == (
        Decimal("30.00"),
        "One of three items returned",
    )
    assert services.refundable_amount(case.transaction) == Decimal("58.00")


@pytest.mark.parametrize(
    ("state", "category", "field"),
    [
        (ComplaintState.IN_PROGRESS, "transaction", "category"),
        (ComplaintState.WITHDRAWN, "refund", "complaint"),
        (ComplaintState.RESOLVED, "refund", "complaint"),
    ],
)
def test_only_an_open_refund_complaint_opens_a_refund_case(state, category, field, agent):
    complaint = complaint_in_state(state, agent=agent, category=category)

    with pytest.raises(InvalidInput) as refused:
        services.open_refund_case_from_complaint(complaint=complaint, actor=agent, refund_type="not_received")

    assert refused.value.field == field
    assert not RefundCase.objects.exists()


def refund_from(complaint, state, *, agent, desk, payments) -> RefundCase:
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="not_received"
    )
    return advance(case, *PATHS[state], agent=agent, desk=desk, payments=payments)


def test_a_settled_refund_resolves_its_complaint_with_the_refund_reference(
    refund_complaint, agent, refunds_desk, payments_system
):
    case = refund_from(
        refund_complaint, RefundState.REFUNDED, agent=agent, desk=refunds_desk, payments=payments_system
    )

    resolved = Complaint.objects.get(pk=refund_complaint.pk)
    assert (resolved.state, resolved.resolution_code) == (ComplaintState.RESOLVED, ResolutionCode.REFUNDED)
    assert resolved.resolution_summary == (
        f"Refunded CNY 88.00 through {case.reference} (payments reference {SETTLED_AS})."
    )
    record = TransitionRecord.objects.filter(case_reference=resolved.reference).latest("id")
    assert (record.transition, record.actor, record.actor_label) == (
        "resolve",
        None,
        f"refund case {case.reference}",
    )
    assert record.data == {
        "code": "refunded",
        "linked_case": case.reference,
        # Upheld, the refund its redress; the category's codes, and what nobody recorded yet.
        "classification": {"business_type": "B03", "cause": "C08"},
        "outcome": "upheld",
        "redress_amount": "88.00",
        "classification_missing": ["product", "root_cause"],
    }
    assert SlaClock.objects.get(pk=resolved.sla_clock_id).stopped_at is not None
    [note] = ComplaintNote.objects.all()  # for the holder: the codes to record
    assert note.body.startswith("Resolved without its product, root cause")


def test_a_refund_that_settles_while_the_complaint_waits_on_the_customer_leaves_a_note(
    refund_complaint, agent, refunds_desk, payments_system
):
    case = refund_from(
        refund_complaint, RefundState.PROCESSING, agent=agent, desk=refunds_desk, payments=payments_system
    )
    complaint_services.wait_for_customer(
        complaint=refund_complaint, actor=agent, reason="Asked for the bank slip"
    )

    report(case, payments_system, "settled")

    assert Complaint.objects.get(pk=refund_complaint.pk).state == ComplaintState.AWAITING_CUSTOMER
    [note] = ComplaintNote.objects.filter(complaint=refund_complaint)
    assert note.body == f"Refund case {case.reference} ended refunded."


def test_a_failed_refund_leaves_its_open_complaint_a_note(
    refund_complaint, agent, refunds_desk, payments_system
):
    case = refund_from(
        refund_complaint, RefundState.FAILED, agent=agent, desk=refunds_desk, payments=payments_system
    )

    assert Complaint.objects.get(pk=refund_complaint.pk).state == ComplaintState.IN_PROGRESS
    [note] = ComplaintNote.objects.filter(complaint=refund_complaint)
    assert note.body == (
        f"Refund {case.reference} failed at payments: {ERROR}. Tell the customer; retry or reconsider."
    )
    assert note.author == agent  # the payments system is no staff member to sign it


def test_a_failed_refund_reopens_the_complaint_resolved_meanwhile(
    refund_complaint, agent, refunds_desk, payments_system
):
    case = refund_from(
        refund_complaint, RefundState.PROCESSING, agent=agent, desk=refunds_desk, payments=payments_system
    )
    complaint_services.resolve_complaint(
        **REFUNDED,
        complaint=refund_complaint,
        actor=agent,
        code="refunded",
        summary="Refund on its way to the customer",
    )

    report(case, payments_system, "failed")

    reopened = Complaint.objects.get(pk=refund_complaint.pk)
    assert reopened.state == ComplaintState.IN_PROGRESS
    assert SlaClock.objects.get(pk=reopened.sla_clock_id).stopped_at is None
    record = TransitionRecord.objects.filter(case_reference=reopened.reference).latest("id")
    assert (record.transition, record.source_state, record.target_state) == (
        "reopen",
        ComplaintState.RESOLVED,
        ComplaintState.IN_PROGRESS,
    )
    assert (record.actor, record.actor_label) == (None, f"refund case {case.reference}")
    assert f"Refund {case.reference} failed at payments: {ERROR}." in record.reason


def test_a_failed_refund_after_the_reopen_window_leaves_a_note(
    settings, refund_complaint, agent, refunds_desk, payments_system
):
    settings.COMPLAINT_REOPEN_WINDOW_DAYS = 0
    case = refund_from(
        refund_complaint, RefundState.PROCESSING, agent=agent, desk=refunds_desk, payments=payments_system
    )
    complaint_services.resolve_complaint(
        **REFUNDED, complaint=refund_complaint, actor=agent, code="refunded", summary="Refund on its way"
    )

    report(case, payments_system, "failed")

    assert stored(case).state == RefundState.FAILED
    assert Complaint.objects.get(pk=refund_complaint.pk).state == ComplaintState.RESOLVED
    [note] = ComplaintNote.objects.filter(complaint=refund_complaint)
    assert note.body.startswith(f"Refund {case.reference} failed at payments")


def test_a_rejected_refund_stops_its_clock_and_tells_the_complaint_why(
    refund_complaint, agent, refunds_desk, payments_system
):
    case = refund_from(
        refund_complaint, RefundState.REJECTED, agent=agent, desk=refunds_desk, payments=payments_system
    )

    after = stored(case)
    assert after.rejection_reason == "The goods were delivered and signed for."
    assert after.sla_clock.stopped_at is not None and after.next_reminder_at is None
    assert Complaint.objects.get(pk=refund_complaint.pk).state == ComplaintState.IN_PROGRESS
    [note] = ComplaintNote.objects.filter(complaint=refund_complaint)
    assert note.body.startswith(
        f"Refund case {case.reference} ended rejected: The goods were delivered and signed for."
    )
    assert note.author == refunds_desk


# The note on the complaint ends with one full stop, whether or not the reason had one.
def test_the_rejection_note_ends_in_one_full_stop(refund_complaint, agent, refunds_desk, payments_system):
    refund_from(
        refund_complaint, RefundState.REJECTED, agent=agent, desk=refunds_desk, payments=payments_system
    )

    [note] = ComplaintNote.objects.filter(complaint=refund_complaint)
    assert not note.body.endswith("..")


def test_a_rejection_needs_a_reason(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(InvalidInput) as refused:
        services.reject_refund(case=case, actor=refunds_desk, reason="")
    assert refused.value.field == "reason"
    assert stored(case).state == RefundState.UNDER_REVIEW


def test_a_handler_must_be_on_the_refunds_desk(refund_case_in, refunds_desk, other_refunds_desk, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    with pytest.raises(InvalidInput, match="is not on the refunds desk") as refused:
        services.assign_handler(case=case, actor=refunds_desk, handler=agent)
    assert refused.value.field == "handler"

    services.assign_handler(case=case, actor=refunds_desk, handler=other_refunds_desk)
    assert stored(case).handler == other_refunds_desk
    assert records_of(case)[-1].data == {"handler": "refunds.qian"}
