"""Refund use cases: every allowed and refused transition, who may do what, four eyes,
the money rules, the original transaction, evidence, the deadline clock's pause, paying
through one instruction per attempt, the payments system's reports, the complaint the
case came from, and two people acting at the same moment."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from casework.audit import actor_label
from casework.calendars import WorkingTime
from casework.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import Notification, Partner, SlaClock, TransitionRecord
from casework.tests.races import at_the_same_moment, race, won_and_lost
from casework.transitions import check_transition
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintNote, ResolutionCode
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.admin import approval_wording
from refunds.models import (
    CANCELLABLE_STATES,
    InstructionStatus,
    PaymentInstruction,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    RefundState,
    RefundType,
    has_first_approval_if_large,
)
from refunds.tests.clock import shanghai
from refunds.tests.factories import PATHS, PNG, advance, open_refund, refund_in_state, transaction_details

ERROR = "Beneficiary account closed"
SETTLED_AS = "PSP-778899"  # the processor reference the factories report

ALL_TRANSITIONS: dict[str, Callable] = {
    "start_review": lambda case, agent, desk, payments: services.start_review(case=case, actor=desk),
    "request_evidence": lambda case, agent, desk, payments: services.request_evidence(
        case=case, actor=desk, what="The merchant's cancellation e-mail"
    ),
    "evidence_received": lambda case, agent, desk, payments: services.evidence_received(
        case=case, actor=desk
    ),
    "approve": lambda case, agent, desk, payments: services.approve_refund(case=case, actor=desk),
    "submit_to_payments": lambda case, agent, desk, payments: services.submit_to_payments(
        case=case, actor=desk
    ),
    "retry": lambda case, agent, desk, payments: services.retry_payment(case=case, actor=desk),
    "reject": lambda case, agent, desk, payments: services.reject_refund(
        case=case, actor=desk, reason="The goods were delivered and signed for."
    ),
    "cancel": lambda case, agent, desk, payments: services.cancel_refund(case=case, actor=agent),
}
# Reports come from the payments system, about an instruction (see the report tests).
REPORTS: dict[str, Callable] = {
    "settle": lambda case, agent, desk, payments: report(case, payments, "settled"),
    "fail": lambda case, agent, desk, payments: report(case, payments, "failed"),
}

# The state machine declared on RefundCase (refunds/models.py): (from, transition) -> to.
ALLOWED = {
    (RefundState.REQUESTED, "start_review"): RefundState.UNDER_REVIEW,
    (RefundState.UNDER_REVIEW, "request_evidence"): RefundState.AWAITING_EVIDENCE,
    (RefundState.AWAITING_EVIDENCE, "evidence_received"): RefundState.UNDER_REVIEW,
    (RefundState.UNDER_REVIEW, "approve"): RefundState.APPROVED,
    (RefundState.APPROVED, "submit_to_payments"): RefundState.PROCESSING,
    (RefundState.PROCESSING, "settle"): RefundState.REFUNDED,
    (RefundState.PROCESSING, "fail"): RefundState.FAILED,
    (RefundState.FAILED, "retry"): RefundState.PROCESSING,
    **{
        (state, "reject"): RefundState.REJECTED
        for state in (RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.AWAITING_EVIDENCE)
    },
    **{(state, "cancel"): RefundState.CANCELLED for state in CANCELLABLE_STATES},
}
REFUSED = sorted((state, name) for state in PATHS for name in ALL_TRANSITIONS if (state, name) not in ALLOWED)
NOT_PROCESSING = sorted(state for state in PATHS if state != RefundState.PROCESSING)


@pytest.fixture(autouse=True)
def evidence_files_in_a_temporary_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def thresholds(settings) -> dict[str, str]:
    """Four eyes above CNY 5,000 (and the other defaults), whatever the environment says."""
    settings.REFUND_FOUR_EYES_THRESHOLDS = {"CNY": "5000", "USD": "700", "JPY": "100000"}
    return settings.REFUND_FOUR_EYES_THRESHOLDS


def stored(case: RefundCase) -> RefundCase:
    return RefundCase.objects.select_related("transaction", "sla_clock").get(pk=case.pk)


def clock_of(case: RefundCase) -> SlaClock:
    return SlaClock.objects.get(pk=case.sla_clock_id)


def records_of(case) -> list[TransitionRecord]:
    return list(
        TransitionRecord.objects.filter(case_reference=case.reference, object_id=case.pk).order_by("id")
    )


def instructions_of(case: RefundCase) -> list[PaymentInstruction]:
    return list(PaymentInstruction.objects.filter(case_id=case.pk).order_by("attempt"))


def png(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def report(case: RefundCase, payments, outcome: str, processor_reference: str = SETTLED_AS, **more):
    instruction = PaymentInstruction.objects.filter(case_id=case.pk).latest("attempt")
    return services.report_settlement(
        idempotency_key=instruction.idempotency_key,
        actor=payments,
        outcome=outcome,
        processor_reference=processor_reference if outcome == "settled" else "",
        error=more.get("error", ERROR) if outcome == "failed" else "",
    )


def large(**overrides) -> dict:
    """Open arguments for a refund of CNY 6,000.00, above the CNY 5,000 threshold."""
    return {
        "requested_amount": Decimal("6000.00"),
        **transaction_details(transaction_amount=Decimal("20000.00")),
        **overrides,
    }


# Every transition, allowed and refused.


@pytest.mark.parametrize(("source", "name"), sorted(ALLOWED))
def test_allowed_transition_moves_and_is_recorded(
    source, name, refund_case_in, agent, refunds_desk, payments_system
):
    case = refund_case_in(source)
    before = TransitionRecord.objects.count()
    actor = {"cancel": agent, "settle": payments_system, "fail": payments_system}.get(name, refunds_desk)

    {**ALL_TRANSITIONS, **REPORTS}[name](case, agent, refunds_desk, payments_system)

    target = ALLOWED[(source, name)]
    assert stored(case).state == target
    assert TransitionRecord.objects.count() == before + 1
    record = TransitionRecord.objects.latest("id")
    assert record.case_reference == case.reference
    assert (record.transition, record.source_state, record.target_state) == (name, source, target)
    assert (record.actor, record.actor_label) == (actor, actor_label(actor))


@pytest.mark.parametrize(("source", "name"), REFUSED)
def test_refused_transition_changes_nothing(
    source, name, refund_case_in, agent, refunds_desk, payments_system
):
    case = refund_case_in(source)
    before = stored(case)
    records = TransitionRecord.objects.count()
    instructions = PaymentInstruction.objects.count()
    notices = Notification.objects.count()

    with pytest.raises(TransitionRefused):
        ALL_TRANSITIONS[name](case, agent, refunds_desk, payments_system)

    after = stored(case)
    assert (after.state, after.version, after.updated_at) == (source, before.version, before.updated_at)
    assert case.state == source
    assert TransitionRecord.objects.count() == records
    assert PaymentInstruction.objects.count() == instructions
    assert Notification.objects.count() == notices


@pytest.mark.parametrize("name", ["settle", "fail"])
@pytest.mark.parametrize("source", NOT_PROCESSING)
def test_the_state_machine_takes_reports_only_while_processing(source, name, refund_case_in, payments_system):
    case = refund_case_in(source)
    with pytest.raises(TransitionRefused, match=rf"^Cannot {name} this refund case: it is "):
        check_transition(case, name, payments_system)


def test_opening_records_the_transaction_the_request_and_the_deadline(agent, settings):
    details = transaction_details()

    case = open_refund(agent, **details)

    after = stored(case)
    assert after.reference.startswith("RFD-") and after.state == RefundState.REQUESTED
    payment = after.transaction
    assert (payment.reference, payment.merchant, payment.amount, payment.currency, payment.paid_at) == (
        details["transaction_reference"],
        "Hangzhou Tea House",
        Decimal("800.00"),
        "CNY",
        details["paid_at"],
    )
    assert (after.requested_amount, after.approved_amount, after.submitted_by) == (
        Decimal("300.00"),
        None,
        agent,
    )
    [record] = records_of(case)
    assert (record.transition, record.source_state, record.target_state, record.actor) == (
        "open",
        "",
        RefundState.REQUESTED,
        agent,
    )
    assert record.data == {
        "transaction": details["transaction_reference"],
        "requested_amount": "300.00",
        "currency": "CNY",
    }
    clock = clock_of(case)
    assert clock.policy.name == "Goods not received: 10 business days"
    first_offset = settings.REFUND_REMINDER_DAYS_BEFORE[0]
    assert after.next_reminder_at == clock.resolution_due_at - dt.timedelta(days=first_offset)


@pytest.mark.parametrize(
    ("refund_type", "business_days"),
    [
        (RefundType.DUPLICATE_CHARGE, 3),
        (RefundType.FAILED_PAYMENT, 3),
        (RefundType.NOT_RECEIVED, 10),
        (RefundType.RETURNED, 7),
        (RefundType.UNAUTHORISED, 7),
        (RefundType.OTHER, 7),
    ],
)
def test_the_refund_deadline_is_the_policy_of_its_refund_type(refund_type, business_days, agent):
    case = open_refund(agent, refund_type=refund_type)

    clock = clock_of(case)
    assert (clock.policy.resolution_target, clock.policy.resolution_unit) == (business_days, "business_days")
    working = WorkingTime(clock.policy.calendar)
    assert clock.resolution_due_at == working.add_business_days(case.created_at, business_days)


def test_a_second_case_on_a_known_transaction_needs_only_its_reference(agent):
    first = open_refund(agent, requested_amount=Decimal("100.00"))

    second = services.open_refund_case(
        actor=agent,
        refund_type=RefundType.DUPLICATE_CHARGE,
        transaction_reference=f"  {first.transaction.reference} ",
        requested_amount="200",
        reason="Charged twice for one order",
    )

    assert second.transaction_id == first.transaction_id
    assert stored(second).requested_amount == Decimal("200.00")
    assert PaymentTransaction.objects.count() == 1


def test_history_keeps_every_change_with_the_user(refund_case_in):
    case = refund_case_in(RefundState.REFUNDED)
    changes = list(case.history.order_by("history_id").values_list("state", "history_user__username"))
    assert changes[0] == ("requested", "agent.wang")
    assert changes[-4:] == [
        ("under_review", "refunds.zhou"),
        ("approved", "refunds.zhou"),
        ("processing", "refunds.zhou"),
        ("refunded", "payments-system"),
    ]


# Who may do what.


@pytest.mark.parametrize(
    ("role", "name", "source"),
    [
        ("agent", "start_review", RefundState.REQUESTED),
        ("agent", "request_evidence", RefundState.UNDER_REVIEW),
        ("agent", "approve", RefundState.UNDER_REVIEW),
        ("agent", "submit_to_payments", RefundState.APPROVED),
        ("agent", "retry", RefundState.FAILED),
        ("agent", "reject", RefundState.UNDER_REVIEW),
        ("agent", "settle", RefundState.PROCESSING),
        ("complaints_officer", "start_review", RefundState.REQUESTED),
        ("technician", "request_evidence", RefundState.UNDER_REVIEW),
        ("risk_officer", "evidence_received", RefundState.AWAITING_EVIDENCE),
        ("auditor", "cancel", RefundState.REQUESTED),
        ("auditor", "approve", RefundState.UNDER_REVIEW),
        ("partner", "start_review", RefundState.REQUESTED),
        ("partner", "approve", RefundState.UNDER_REVIEW),
        ("payments_system", "approve", RefundState.UNDER_REVIEW),
        ("payments_system", "submit_to_payments", RefundState.APPROVED),
        ("payments_system", "cancel", RefundState.APPROVED),
        ("refunds_desk", "settle", RefundState.PROCESSING),
        ("supervisor", "fail", RefundState.PROCESSING),
    ],
)
def test_a_role_without_the_permission_is_refused(role, name, source, request, refund_case_in):
    user = request.getfixturevalue(role)
    user = user.user if isinstance(user, Partner) else user
    case = refund_case_in(source)
    before = stored(case)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused, match=r"^You do not have permission to "):
        {**ALL_TRANSITIONS, **REPORTS}[name](case, user, user, user)

    after = stored(case)
    assert (after.state, after.version) == (source, before.version)
    assert TransitionRecord.objects.count() == records


@pytest.mark.parametrize("role", ["refunds_desk", "supervisor"])
def test_the_refunds_desk_and_supervisors_work_a_case_to_the_end(role, request, agent, payments_system):
    staff = request.getfixturevalue(role)
    case = open_refund(agent)

    case = advance(case, *PATHS[RefundState.REFUNDED], desk=staff, payments=payments_system)

    assert stored(case).state == RefundState.REFUNDED
    assert {r.actor for r in records_of(case)} == {agent, staff, payments_system}


@pytest.mark.parametrize("role", ["auditor", "technician", "payments_system"])
def test_opening_needs_the_permission(role, request, db):
    user = request.getfixturevalue(role)
    clocks = SlaClock.objects.count()

    with pytest.raises(PermissionRefused, match=r"You do not have permission to open this refund case\."):
        open_refund(user)

    assert not RefundCase.objects.exists()
    assert not PaymentTransaction.objects.exists()
    assert SlaClock.objects.count() == clocks


def test_a_partner_opens_a_case_under_its_reference_once(partner):
    services.open_refund_case(
        actor=partner.user,
        partner=partner,
        external_reference="ACME-R-1",
        refund_type=RefundType.NOT_RECEIVED,
        requested_amount="50.00",
        reason="Ordered a mug, the merchant never shipped it",
        **transaction_details(),
    )
    clocks = SlaClock.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.open_refund_case(
            actor=partner.user,
            partner=partner,
            external_reference="ACME-R-1",
            refund_type=RefundType.NOT_RECEIVED,
            requested_amount="50.00",
            reason="Ordered a mug, the merchant never shipped it",
            **transaction_details(),
        )

    assert refused.value.field == "external_reference"
    assert refused.value.message == "This partner already sent a refund case with reference 'ACME-R-1'."
    assert RefundCase.objects.count() == 1
    assert SlaClock.objects.count() == clocks


def test_a_partner_cancels_its_own_case_but_not_another_partners(partner, other_partner):
    own = open_refund(partner.user, partner=partner, external_reference="ACME-R-2")

    with pytest.raises(PermissionRefused, match=r"A partner can cancel only its own refund cases\."):
        services.cancel_refund(case=own, actor=other_partner.user)

    assert stored(own).state == RefundState.REQUESTED
    services.cancel_refund(case=own, actor=partner.user, reason="The customer withdrew the claim")
    assert stored(own).state == RefundState.CANCELLED


def test_a_partner_cannot_cancel_a_case_staff_opened(partner, agent):
    case = open_refund(agent)

    with pytest.raises(PermissionRefused, match=r"A partner can cancel only its own refund cases\."):
        services.cancel_refund(case=case, actor=partner.user)

    assert stored(case).state == RefundState.REQUESTED


def test_a_partner_cannot_add_evidence_to_another_partners_case(partner, other_partner):
    case = open_refund(partner.user, partner=partner, external_reference="ACME-R-3")

    with pytest.raises(PermissionRefused, match="only its own refund cases"):
        services.add_evidence(case=case, actor=other_partner.user, kind="payment_voucher", file=png())

    assert not RefundEvidence.objects.exists()
    services.add_evidence(case=case, actor=partner.user, kind="payment_voucher", file=png())
    assert RefundEvidence.objects.count() == 1


# Four eyes.


@pytest.mark.parametrize("amount", [Decimal("300.00"), Decimal("5000.00")])
def test_at_or_below_the_threshold_one_approval_approves(amount, thresholds, refund_case_in, refunds_desk):
    case = refund_case_in(
        RefundState.UNDER_REVIEW,
        requested_amount=amount,
        **transaction_details(transaction_amount=Decimal("9000.00")),
    )

    services.approve_refund(case=case, actor=refunds_desk)

    after = stored(case)
    assert (after.state, after.approved_amount, after.approved_by) == (
        RefundState.APPROVED,
        amount,
        refunds_desk,
    )
    assert after.approved_at is not None
    assert (after.first_approved_by, after.first_approved_at) == (None, None)
    approval = records_of(case)[-1]
    assert (approval.transition, approval.data) == ("approve", {"amount": str(amount), "currency": "CNY"})
    assert approval.reason == f"Approved CNY {amount:,}"


def test_above_the_threshold_a_first_approval_waits_for_a_second_person(
    thresholds, refund_case_in, refunds_desk, other_refunds_desk
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large(requested_amount=Decimal("5000.01")))

    services.approve_refund(case=case, actor=refunds_desk)

    waiting = stored(case)
    assert (waiting.state, waiting.first_approved_by, waiting.approved_amount, waiting.approved_by) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        Decimal("5000.01"),
        None,
    )
    assert waiting.awaits_second_approval and waiting.first_approved_at is not None
    first = records_of(case)[-1]
    assert (first.transition, first.source_state, first.target_state, first.actor) == (
        "first_approval",
        RefundState.UNDER_REVIEW,
        RefundState.UNDER_REVIEW,
        refunds_desk,
    )
    assert first.reason == "First approval of CNY 5,000.01; a second person must approve"

    services.approve_refund(case=case, actor=other_refunds_desk, reason="Voucher and bank statement agree")

    approved = stored(case)
    assert (approved.state, approved.first_approved_by, approved.approved_by) == (
        RefundState.APPROVED,
        refunds_desk,
        other_refunds_desk,
    )
    second = records_of(case)[-1]
    assert (second.transition, second.actor, second.reason) == (
        "approve",
        other_refunds_desk,
        "Voucher and bank statement agree",
    )


def test_the_first_approver_cannot_give_the_second_approval(
    thresholds, refund_case_in, refunds_desk, other_refunds_desk
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large())
    services.approve_refund(case=case, actor=refunds_desk)
    before = stored(case)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused) as refused:
        services.approve_refund(case=case, actor=refunds_desk)
    # The admin's buttons ask the same question through the state machine.
    with pytest.raises(PermissionRefused) as refused_by_the_model:
        check_transition(stored(case), "approve", refunds_desk)

    message = (
        "Four eyes: you gave the first approval, so someone else from the refunds desk "
        "or a supervisor must give the second."
    )
    assert refused.value.message == refused_by_the_model.value.message == message
    after = stored(case)
    assert (after.state, after.version, after.approved_by) == (RefundState.UNDER_REVIEW, before.version, None)
    assert TransitionRecord.objects.count() == records
    services.approve_refund(case=case, actor=other_refunds_desk)
    assert stored(case).state == RefundState.APPROVED


def test_a_supervisor_gives_the_second_approval(thresholds, refund_case_in, refunds_desk, supervisor):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large())
    services.approve_refund(case=case, actor=refunds_desk)

    services.approve_refund(case=case, actor=supervisor)

    assert (stored(case).state, stored(case).approved_by) == (RefundState.APPROVED, supervisor)


def test_an_agent_cannot_approve(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    with pytest.raises(PermissionRefused) as refused:
        services.approve_refund(case=case, actor=agent)

    assert refused.value.message.startswith("You do not have permission to approve")
    assert stored(case).state == RefundState.UNDER_REVIEW
    assert stored(case).first_approved_by is None


def test_the_state_machine_refuses_a_single_approval_above_the_threshold(thresholds, refund_case_in):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large())

    assert not has_first_approval_if_large(case)
    with pytest.raises(TransitionRefused) as refused:
        check_transition(case, "approve", None)
    assert refused.value.message == (
        "Four eyes: CNY 6,000.00 is above the CNY 5,000.00 threshold: a second approver is needed."
    )


@pytest.mark.parametrize(
    ("currency", "transaction_amount", "amount", "approvals"),
    [
        ("CNY", "1000.00", "100.00", 1),
        ("CNY", "1000.00", "100.01", 2),
        ("USD", "1000.00", "700.00", 1),
        ("USD", "1000.00", "700.01", 2),
        ("JPY", "500000", "100000", 1),
        ("JPY", "500000", "100001", 2),
        # No threshold for these currencies: every refund needs two people.
        ("BHD", "50.000", "0.500", 2),
        ("EUR", "100.00", "1.00", 2),
    ],
)
def test_the_threshold_is_per_currency_from_the_settings(
    currency,
    transaction_amount,
    amount,
    approvals,
    settings,
    refund_case_in,
    refunds_desk,
    other_refunds_desk,
):
    settings.REFUND_FOUR_EYES_THRESHOLDS = {"CNY": "100", "USD": "700", "JPY": "100000"}
    case = refund_case_in(
        RefundState.UNDER_REVIEW,
        requested_amount=amount,
        **transaction_details(currency=currency, transaction_amount=transaction_amount),
    )

    services.approve_refund(case=case, actor=refunds_desk)
    if approvals == 2:
        assert stored(case).state == RefundState.UNDER_REVIEW
        assert stored(case).first_approved_by == refunds_desk
        services.approve_refund(case=case, actor=other_refunds_desk)

    after = stored(case)
    assert after.state == RefundState.APPROVED
    assert after.approved_amount == Decimal(amount)
    assert [r.transition for r in records_of(case)][-approvals:] == (
        ["first_approval", "approve"] if approvals == 2 else ["approve"]
    )


# Four eyes counts what is already approved or paid on the same money.

SPLIT = Decimal("4999.99")  # twice this is the CNY 9,999.98 payment; once is below CNY 5,000
ON_THE_TRANSACTION = (
    "CNY 9,999.98 approved or paid on this transaction with this case is above the CNY 5,000.00 "
    "threshold: a second approver is needed."
)


def split_in_two(agent, desk) -> tuple[RefundCase, RefundCase]:
    """Two cases of CNY 4,999.99 on one CNY 9,999.98 payment, both under review."""
    first = refund_in_state(
        RefundState.UNDER_REVIEW,
        agent=agent,
        desk=desk,
        requested_amount=SPLIT,
        **transaction_details(transaction_amount=SPLIT * 2),
    )
    second = open_refund(
        agent,
        transaction_reference=first.transaction.reference,
        transaction_amount=SPLIT * 2,
        requested_amount=SPLIT,
    )
    return first, services.start_review(case=second, actor=desk)


@pytest.mark.parametrize(
    "steps",
    [("approve",), ("approve", "submit"), ("approve", "submit", "settle"), ("approve", "submit", "fail")],
    ids=["approved", "processing", "refunded", "failed"],
)
def test_cases_split_below_the_threshold_on_one_transaction_need_a_second_approver(
    steps, thresholds, agent, refunds_desk, other_refunds_desk, payments_system
):
    first, second = split_in_two(agent, refunds_desk)
    # Alone, the first is below the threshold: the second case, only asked for, does not count.
    advance(first, *steps, desk=refunds_desk, payments=payments_system)
    assert stored(first).approved_by == refunds_desk and stored(first).first_approved_by is None

    # The state machine, the admin's button and the service all say why the second takes two.
    with pytest.raises(TransitionRefused) as refused:
        check_transition(stored(second), "approve", None)
    assert refused.value.message == f"Four eyes: {ON_THE_TRANSACTION}"
    assert approval_wording(stored(second)) == ("Give first approval", f"Four eyes: {ON_THE_TRANSACTION}")

    services.approve_refund(case=second, actor=refunds_desk)

    waiting = stored(second)
    assert (waiting.state, waiting.first_approved_by, waiting.approved_by) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        None,
    )
    first_approval = records_of(second)[-1]
    assert (first_approval.transition, first_approval.data["four_eyes"]) == (
        "first_approval",
        ON_THE_TRANSACTION,
    )
    with pytest.raises(PermissionRefused, match="you gave the first approval"):
        services.approve_refund(case=second, actor=refunds_desk)
    services.approve_refund(case=second, actor=other_refunds_desk)
    assert (stored(second).state, stored(second).approved_by) == (RefundState.APPROVED, other_refunds_desk)


def test_a_case_waiting_for_its_second_approval_counts_toward_the_threshold(
    thresholds, agent, refunds_desk, other_refunds_desk
):
    large_case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk, **large())
    services.approve_refund(case=large_case, actor=refunds_desk)  # first approval of CNY 6,000
    small = open_refund(
        agent,
        transaction_reference=large_case.transaction.reference,
        transaction_amount=large_case.transaction.amount,
        requested_amount="100",
    )
    services.start_review(case=small, actor=refunds_desk)

    services.approve_refund(case=small, actor=other_refunds_desk)

    assert (stored(small).state, stored(small).first_approved_by) == (
        RefundState.UNDER_REVIEW,
        other_refunds_desk,
    )
    assert records_of(small)[-1].data["four_eyes"] == (
        "CNY 6,100.00 approved or paid on this transaction with this case is above the CNY 5,000.00 "
        "threshold: a second approver is needed."
    )


@pytest.mark.parametrize("ending", ["reject", "cancel"])
def test_a_rejected_or_cancelled_case_does_not_count_toward_the_threshold(
    ending, thresholds, agent, refunds_desk
):
    first, second = split_in_two(agent, refunds_desk)
    if ending == "reject":
        services.reject_refund(case=first, actor=refunds_desk, reason="Goods delivered and signed for.")
    else:
        services.approve_refund(case=first, actor=refunds_desk)
        services.cancel_refund(case=stored(first), actor=agent, reason="Merchant refunded directly")

    services.approve_refund(case=second, actor=refunds_desk)

    assert (stored(second).state, stored(second).first_approved_by) == (RefundState.APPROVED, None)


def refund_for_customer(agent, desk, amount: str, *, phone: str, **complaint_details) -> RefundCase:
    """A refund case under review, opened from a complaint of the customer on ``phone``
    about a payment of its own (a fresh transaction)."""
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=agent,
        category="refund",
        customer_phone=phone,
        amount=Decimal(amount),
        **complaint_details,
    )
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )
    return services.start_review(case=case, actor=desk)


@pytest.mark.parametrize(
    ("phone", "account_number", "days_ago", "approvals"),
    [
        ("13800138000", "6222000011119999", 29, 2),
        ("13900139000", "6222000011110001", 29, 2),
        ("13800138000", "6222000011119999", 31, 1),
        ("13900139000", "6222000011119999", 0, 1),
    ],
    ids=[
        "same-phone-within-the-window",
        "same-account-within-the-window",
        "same-customer-before-the-window",
        "another-customer",
    ],
)
def test_the_customers_refunds_within_the_window_count_toward_the_threshold(
    phone, account_number, days_ago, approvals, settings, thresholds, agent, refunds_desk, other_refunds_desk
):
    settings.REFUND_FOUR_EYES_WINDOW_DAYS = 30
    earlier = refund_for_customer(
        agent, refunds_desk, "3000.00", phone="13800138000", account_number="6222000011110001"
    )
    services.approve_refund(case=earlier, actor=refunds_desk)
    RefundCase.objects.filter(pk=earlier.pk).update(approved_at=timezone.now() - dt.timedelta(days=days_ago))
    case = refund_for_customer(agent, refunds_desk, "3000.00", phone=phone, account_number=account_number)

    services.approve_refund(case=case, actor=refunds_desk)

    if approvals == 1:
        assert stored(case).state == RefundState.APPROVED
        return
    assert (stored(case).state, stored(case).first_approved_by) == (RefundState.UNDER_REVIEW, refunds_desk)
    assert records_of(case)[-1].data["four_eyes"] == (
        "CNY 6,000.00 approved or paid to this customer in the last 30 days with this case is above "
        "the CNY 5,000.00 threshold: a second approver is needed."
    )
    services.approve_refund(case=case, actor=other_refunds_desk)
    assert stored(case).state == RefundState.APPROVED


OPENER_REFUSAL = (
    "Four eyes: you opened this refund case, so someone else from the refunds desk "
    "or a supervisor must approve it."
)


@pytest.mark.parametrize("amount", [Decimal("300.00"), Decimal("6000.00")], ids=["small", "large"])
def test_the_opener_of_a_refund_case_cannot_approve_it(
    amount, thresholds, refunds_desk, other_refunds_desk, supervisor
):
    case = open_refund(refunds_desk, **large(requested_amount=amount))
    services.start_review(case=case, actor=refunds_desk)
    if amount > Decimal("5000"):  # nor give the second approval after someone else's first
        services.approve_refund(case=case, actor=other_refunds_desk)
    before = stored(case)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused) as refused:
        services.approve_refund(case=case, actor=refunds_desk)
    with pytest.raises(PermissionRefused) as refused_by_the_model:
        check_transition(stored(case), "approve", refunds_desk)

    assert refused.value.message == refused_by_the_model.value.message == OPENER_REFUSAL
    assert (stored(case).state, stored(case).version) == (RefundState.UNDER_REVIEW, before.version)
    assert TransitionRecord.objects.count() == records
    services.approve_refund(case=case, actor=supervisor)
    assert (stored(case).state, stored(case).approved_by) == (RefundState.APPROVED, supervisor)


def test_a_case_a_partner_opened_is_approved_by_one_person_below_the_threshold(
    thresholds, partner, refunds_desk
):
    case = open_refund(partner.user, partner=partner)
    services.start_review(case=case, actor=refunds_desk)

    services.approve_refund(case=case, actor=refunds_desk)

    assert (stored(case).state, stored(case).approved_by) == (RefundState.APPROVED, refunds_desk)


# The money rules.


def test_a_partial_refund_is_approved_and_paid_as_approved(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW)  # CNY 300.00 asked of CNY 800.00

    services.approve_refund(case=case, actor=refunds_desk, amount="120.50")
    services.submit_to_payments(case=case, actor=refunds_desk)

    after = stored(case)
    assert (after.requested_amount, after.approved_amount, after.amount_to_pay) == (
        Decimal("300.00"),
        Decimal("120.50"),
        Decimal("120.50"),
    )
    [instruction] = instructions_of(case)
    assert (instruction.amount, instruction.currency) == (Decimal("120.50"), "CNY")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("300.01", "CNY 300.01 is more than the customer asked for (CNY 300.00)."),
        ("120.505", "CNY has 2 decimal places; 120.505 has more."),
        ("0", "The amount must be more than zero."),
    ],
)
def test_an_approval_of_a_wrong_amount_is_refused_naming_the_field(
    amount, message, refund_case_in, refunds_desk
):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    records = TransitionRecord.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.approve_refund(case=case, actor=refunds_desk, amount=amount)

    assert (refused.value.field, refused.value.message) == ("amount", message)
    after = stored(case)
    assert (after.state, after.approved_amount, after.first_approved_by) == (
        RefundState.UNDER_REVIEW,
        None,
        None,
    )
    assert TransitionRecord.objects.count() == records


@pytest.mark.parametrize("holding", [RefundState.REQUESTED, RefundState.APPROVED, RefundState.REFUNDED])
def test_over_refund_counting_the_transactions_other_cases_is_refused(holding, refund_case_in, agent):
    first = refund_case_in(holding, requested_amount=Decimal("500.00"))
    reference = first.transaction.reference
    clocks = SlaClock.objects.count()

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, transaction_reference=reference, requested_amount=Decimal("300.01"))

    assert refused.value.field == "requested_amount"
    assert refused.value.message == (
        f"CNY 300.01 is more than is still refundable on {reference}: CNY 300.00 of CNY 800.00, "
        "counting its other refund cases."
    )
    assert RefundCase.objects.count() == 1
    assert SlaClock.objects.count() == clocks
    # What is left can still be asked for.
    rest = open_refund(agent, transaction_reference=reference, requested_amount=Decimal("300.00"))
    assert services.refundable_amount(rest.transaction) == Decimal("0.00")


def test_a_failed_refund_still_holds_its_amount(refund_case_in, agent):
    failed = refund_case_in(RefundState.FAILED, requested_amount=Decimal("800.00"))

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, transaction_reference=failed.transaction.reference, requested_amount="0.01")

    assert refused.value.field == "requested_amount"


@pytest.mark.parametrize("released", [RefundState.REJECTED, RefundState.CANCELLED])
def test_a_rejected_or_cancelled_case_releases_its_amount(released, refund_case_in, agent):
    first = refund_case_in(released, requested_amount=Decimal("800.00"))

    again = open_refund(agent, transaction_reference=first.transaction.reference, requested_amount="800.00")

    assert stored(again).state == RefundState.REQUESTED
    assert services.refundable_amount(again.transaction) == Decimal("0.00")


def test_more_than_the_transaction_itself_is_refused(agent):
    with pytest.raises(InvalidInput, match=r"CNY 800\.01 is more than is still refundable") as refused:
        open_refund(agent, requested_amount="800.01")
    assert refused.value.field == "requested_amount"
    assert not PaymentTransaction.objects.exists()


def test_an_approved_smaller_amount_frees_the_rest_for_another_case(refund_case_in, refunds_desk, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW, requested_amount=Decimal("800.00"))
    services.approve_refund(case=case, actor=refunds_desk, amount="500.00")

    other = open_refund(agent, transaction_reference=case.transaction.reference, requested_amount="300.00")

    assert services.refundable_amount(other.transaction) == Decimal("0.00")


def test_the_second_approval_confirms_the_first_approvals_amount(
    thresholds, refund_case_in, refunds_desk, other_refunds_desk
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large(requested_amount=Decimal("8000.00")))
    services.approve_refund(case=case, actor=refunds_desk, amount="7000.00")
    records = TransitionRecord.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.approve_refund(case=case, actor=other_refunds_desk, amount="6000.00")

    assert refused.value.field == "amount"
    assert refused.value.message.startswith("The second approval confirms the first: CNY 7,000.00.")
    assert (stored(case).state, stored(case).approved_amount) == (
        RefundState.UNDER_REVIEW,
        Decimal("7000.00"),
    )
    assert TransitionRecord.objects.count() == records

    services.approve_refund(case=case, actor=other_refunds_desk)  # no amount: the first one's

    after = stored(case)
    assert (after.state, after.approved_amount, after.approved_by) == (
        RefundState.APPROVED,
        Decimal("7000.00"),
        other_refunds_desk,
    )


# The original transaction.


@pytest.mark.parametrize(
    ("field", "value", "recorded"),
    [("currency", "USD", "CNY"), ("transaction_amount", "799.99", "CNY 800.00")],
)
def test_details_that_contradict_the_known_transaction_are_refused_naming_the_field(
    field, value, recorded, agent
):
    first = open_refund(agent, requested_amount="100.00")
    reference = first.transaction.reference
    details = transaction_details(transaction_reference=reference, **{field: value})

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, requested_amount="100.00", **details)

    assert refused.value.field == field
    assert reference in refused.value.message and recorded in refused.value.message
    assert RefundCase.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), [("currency", "USD"), ("transaction_amount", "799.99")])
def test_a_partner_is_not_told_what_the_payment_on_record_says(field, value, agent, partner):
    first = open_refund(agent, requested_amount="100.00")
    details = transaction_details(transaction_reference=first.transaction.reference, **{field: value})

    with pytest.raises(InvalidInput) as refused:
        open_refund(partner.user, partner=partner, requested_amount="100.00", **details)

    assert refused.value.field == field
    assert "CNY" not in refused.value.message and "800" not in refused.value.message


def test_a_partner_is_not_told_what_other_cases_claimed(agent, partner):
    first = open_refund(agent, requested_amount="500.00")

    with pytest.raises(InvalidInput) as refused:
        open_refund(
            partner.user,
            partner=partner,
            transaction_reference=first.transaction.reference,
            requested_amount="300.01",
        )

    assert refused.value.field == "requested_amount"
    assert refused.value.message == (
        f"CNY 300.01 is more than is still refundable on {first.transaction.reference}, "
        "counting its other refund cases."
    )


# A case on a recorded transaction must name the same merchant (ignoring case and spaces)
# as well as the same currency and amount, or it is refused naming the field.
def test_a_merchant_that_contradicts_the_known_transaction_is_refused(agent):
    first = open_refund(agent, requested_amount="100.00")
    details = transaction_details(
        transaction_reference=first.transaction.reference, merchant="Shenzhen Phones"
    )

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, requested_amount="100.00", **details)

    assert refused.value.field == "merchant"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"transaction_reference": "  "},
            "transaction_reference",
            "Give the original transaction's reference.",
        ),
        ({"merchant": ""}, "merchant", "Give the merchant the customer paid."),
        ({"paid_at": None}, "paid_at", "Give when the customer paid."),
        (
            {"paid_at": timezone.now() + dt.timedelta(days=1)},
            "paid_at",
            "Cannot be in the future.",
        ),
        ({"currency": "RMB"}, "currency", "'RMB' is not a currency the wallet supports"),
        ({"transaction_amount": "800.001"}, "transaction_amount", "CNY has 2 decimal places"),
        ({"transaction_amount": None}, "transaction_amount", "'None' is not an amount."),
        ({"requested_amount": "12.345"}, "requested_amount", "CNY has 2 decimal places"),
        ({"requested_amount": "-3"}, "requested_amount", "The amount must be more than zero."),
        ({"refund_type": "goodwill"}, "refund_type", "'goodwill' is not a refund type"),
        ({"reason": " "}, "reason", "Say why the customer asks for the money back."),
    ],
    ids=lambda value: value if isinstance(value, str) and value.isidentifier() else None,
)
def test_bad_details_name_their_field_and_leave_nothing(overrides, field, message, agent):
    clocks = SlaClock.objects.count()

    with pytest.raises(InvalidInput) as refused:
        open_refund(agent, **overrides)

    assert refused.value.field == field
    assert message in refused.value.message
    assert not RefundCase.objects.exists()
    assert not PaymentTransaction.objects.exists()
    assert SlaClock.objects.count() == clocks
    assert not TransitionRecord.objects.exists()


# Evidence.


def test_evidence_is_kept_with_its_kind_who_and_the_file(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    evidence = services.add_evidence(
        case=case, actor=agent, kind="payment_voucher", file=png("Voucher 0815.PNG"), note="Bank voucher"
    )

    evidence.refresh_from_db()
    assert (evidence.kind, evidence.uploaded_by, evidence.note) == ("payment_voucher", agent, "Bank voucher")
    assert evidence.file.name.startswith(f"refunds/{case.reference}/")
    assert evidence.file.read() == PNG
    record = records_of(case)[-1]
    assert (record.transition, record.actor, record.reason) == ("add_evidence", agent, "Bank voucher")
    assert record.data["kind"] == "payment_voucher"
    assert evidence.history.get().history_user == agent
    assert stored(case).state == RefundState.UNDER_REVIEW


# The trail names each evidence file as stored ("refunds/RFD-.../receipt_x1.png"), so two
# uploads called receipt.png are told apart by an auditor.
def test_the_trail_names_each_stored_evidence_file(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    first = services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=png("receipt.png"))
    second = services.add_evidence(case=case, actor=agent, kind="proof_of_goods", file=png("receipt.png"))

    assert first.file.name != second.file.name
    recorded = [r.data["file"] for r in records_of(case) if r.transition == "add_evidence"]
    assert recorded == [first.file.name, second.file.name]


@pytest.mark.parametrize(
    ("upload", "max_bytes", "message"),
    [
        (
            SimpleUploadedFile("voucher.exe", b"MZ\x90\x00" + b"\x00" * 60),
            None,
            "'voucher.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        (
            SimpleUploadedFile("voucher.pdf", b"GIF89a" + b"\x00" * 60, content_type="application/pdf"),
            None,
            "'voucher.pdf' is not really a PDF file.",
        ),
        (SimpleUploadedFile("voucher.png", PNG), 64, "'voucher.png' is larger than the 0.0625 KB limit."),
        (None, None, "Choose the file to attach."),
    ],
    ids=["exe", "pdf-that-is-not", "too-large", "no-file"],
)
def test_bad_evidence_names_the_file_and_writes_nothing(
    upload, max_bytes, message, settings, refund_case_in, agent
):
    if max_bytes is not None:
        settings.EVIDENCE_MAX_BYTES = max_bytes
    case = refund_case_in(RefundState.UNDER_REVIEW)
    records = TransitionRecord.objects.count()

    with pytest.raises(InvalidInput) as refused:
        services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=upload)

    assert (refused.value.field, refused.value.message) == ("file", message)
    assert not RefundEvidence.objects.exists()
    assert TransitionRecord.objects.count() == records
    assert stored(case).version == case.version
    assert not (settings.MEDIA_ROOT / "refunds").exists()


def test_an_unknown_kind_of_evidence_names_its_field(refund_case_in, agent):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(InvalidInput, match="'selfie' is not a kind of evidence") as refused:
        services.add_evidence(case=case, actor=agent, kind="selfie", file=png())
    assert refused.value.field == "kind"
    assert not RefundEvidence.objects.exists()


@pytest.mark.parametrize("state", [RefundState.APPROVED, RefundState.PROCESSING, RefundState.REJECTED])
def test_evidence_after_the_decision_is_refused(state, settings, refund_case_in, agent):
    case = refund_case_in(state)

    with pytest.raises(TransitionRefused, match=r"^Evidence is added before the decision"):
        services.add_evidence(case=case, actor=agent, kind="proof_of_goods", file=png())

    assert not RefundEvidence.objects.exists()
    assert not (settings.MEDIA_ROOT / "refunds").exists()


def test_evidence_needs_the_permission(refund_case_in, auditor):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(PermissionRefused):
        services.add_evidence(case=case, actor=auditor, kind="payment_voucher", file=png())
    assert not RefundEvidence.objects.exists()


def test_evidence_sent_on_a_stale_copy_is_refused_and_its_file_not_kept(
    settings, refund_case_in, agent, other_agent
):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    stale = stored(case)
    services.add_evidence(case=case, actor=agent, kind="payment_voucher", file=png("voucher.png"))

    with pytest.raises(ConcurrentChange):
        services.add_evidence(case=stale, actor=other_agent, kind="proof_of_goods", file=png("parcel.png"))

    assert list(RefundEvidence.objects.values_list("kind", flat=True)) == ["payment_voucher"]
    folder = settings.MEDIA_ROOT / "refunds" / case.reference
    assert sorted(path.name for path in folder.rglob("*") if path.is_file()) == ["voucher.png"]


# The deadline clock waits while the customer is asked for evidence.


def test_asking_for_evidence_pauses_the_clock_to_the_minute_and_receiving_it_resumes(
    clock, agent, refunds_desk, settings
):
    clock.set(2026, 11, 16, 10, 0)  # a Monday
    case = open_refund(agent)  # goods not received: 10 business days
    assert clock_of(case).resolution_due_at == shanghai(2026, 11, 30, 18, 0)
    clock.set(2026, 11, 16, 10, 5)
    services.start_review(case=case, actor=refunds_desk)
    asked_at = clock.set(2026, 11, 17, 10, 0)

    services.request_evidence(case=case, actor=refunds_desk, what="The courier's delivery record")

    waiting = stored(case)
    assert (waiting.state, waiting.evidence_requested) == (
        RefundState.AWAITING_EVIDENCE,
        "The courier's delivery record",
    )
    assert waiting.sla_clock.paused_at == asked_at
    assert waiting.next_reminder_at is None
    assert records_of(case)[-1].reason == "The courier's delivery record"

    clock.set(2026, 11, 17, 11, 37)
    services.evidence_received(case=case, actor=refunds_desk, reason="Delivery record came by e-mail")

    running = stored(case)
    assert running.state == RefundState.UNDER_REVIEW
    assert (running.sla_clock.paused_at, running.sla_clock.paused_minutes_total) == (None, 97)
    # 97 working minutes after 18:00 on Monday 30 November: Tuesday, 10:37.
    assert running.sla_clock.resolution_due_at == shanghai(2026, 12, 1, 10, 37)
    first_offset = settings.REFUND_REMINDER_DAYS_BEFORE[0]
    assert running.next_reminder_at == shanghai(2026, 12, 1, 10, 37) - dt.timedelta(days=first_offset)


def test_asking_for_evidence_needs_to_say_what(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    with pytest.raises(InvalidInput) as refused:
        services.request_evidence(case=case, actor=refunds_desk, what=" ")
    assert refused.value.field == "what"
    assert clock_of(case).paused_at is None


def test_a_partners_evidence_on_a_case_awaiting_it_resumes_the_review(partner, refunds_desk):
    case = open_refund(partner.user, partner=partner, external_reference="ACME-R-9")
    services.start_review(case=case, actor=refunds_desk)
    services.request_evidence(case=case, actor=refunds_desk, what="Proof the parcel never came")

    services.add_evidence(case=case, actor=partner.user, kind="proof_of_goods", file=png("tracking.png"))

    after = stored(case)
    assert after.state == RefundState.UNDER_REVIEW
    assert after.sla_clock.paused_at is None and after.next_reminder_at is not None
    added, resumed = records_of(case)[-2:]
    assert (added.transition, added.actor, added.actor_label) == (
        "add_evidence",
        partner.user,
        "partner:acme",
    )
    assert (resumed.transition, resumed.source_state, resumed.target_state) == (
        "evidence_received",
        RefundState.AWAITING_EVIDENCE,
        RefundState.UNDER_REVIEW,
    )
    assert (resumed.actor, resumed.actor_label) == (None, "evidence from partner-acme")
    assert resumed.reason == "proof of goods or delivery received"


# Paying: one instruction per attempt, whatever is clicked twice.


# The amount column keeps 3 decimal places for every currency; the instruction and its
# payload carry the currency's own minor units ("300.00", JPY "4500").
@pytest.mark.parametrize(
    ("currency", "transaction_amount", "requested", "sent"),
    [("CNY", "800.00", "300.00", "300.00"), ("JPY", "12000", "4500", "4500")],
)
def test_the_instruction_sends_the_amount_in_the_currencys_minor_units(
    currency, transaction_amount, requested, sent, settings, agent, refunds_desk
):
    settings.REFUND_FOUR_EYES_THRESHOLDS = {currency: "100000"}
    case = open_refund(
        agent,
        requested_amount=requested,
        **transaction_details(currency=currency, transaction_amount=transaction_amount),
    )
    services.start_review(case=case, actor=refunds_desk)
    services.approve_refund(case=case, actor=refunds_desk)

    services.submit_to_payments(case=stored(case), actor=refunds_desk)  # as the admin loads it

    notice = Notification.objects.get(kind="payment_instruction")
    assert json.loads(notice.body)["amount"] == sent


def test_submitting_writes_one_instruction_and_one_signed_notice_to_payments(
    settings, refund_case_in, refunds_desk, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_ENDPOINT_URL = "https://payments.wallet.example/v1/instructions"
    case = refund_case_in(RefundState.APPROVED)

    with django_capture_on_commit_callbacks() as published:
        services.submit_to_payments(case=case, actor=refunds_desk)

    assert stored(case).state == RefundState.PROCESSING
    [instruction] = instructions_of(case)
    key = f"{case.reference}-PAY-1"
    assert (instruction.attempt, instruction.idempotency_key, instruction.status) == (
        1,
        key,
        InstructionStatus.SENT,
    )
    assert (instruction.amount, instruction.currency) == (Decimal("300.00"), "CNY")
    [notice] = Notification.objects.filter(case_reference=case.reference)
    assert (notice.kind, notice.channel, notice.signing_key, notice.idempotency_key) == (
        "payment_instruction",
        Notification.Channel.WEBHOOK,
        "payments",
        key,
    )
    assert notice.recipient == "https://payments.wallet.example/v1/instructions"
    assert notice.status == Notification.Status.PENDING
    assert notice.subject == f"Pay CNY 300.00 for {case.reference}"
    assert json.loads(notice.body) == {
        "type": "refund.payment_instruction",
        "idempotency_key": key,
        "refund_reference": case.reference,
        "attempt": 1,
        "transaction_reference": case.transaction.reference,
        "merchant": "Hangzhou Tea House",
        "amount": "300.00",
        "currency": "CNY",
    }
    assert len(published) == 1  # handed to a worker only once the submission committed
    submitted = records_of(case)[-1]
    assert (submitted.transition, submitted.reason) == (
        "submit_to_payments",
        "Submitted CNY 300.00 to payments",
    )


def test_submitting_twice_from_a_stale_copy_makes_one_instruction(refund_case_in, refunds_desk, supervisor):
    case = refund_case_in(RefundState.APPROVED)
    stale = stored(case)
    services.submit_to_payments(case=case, actor=refunds_desk)

    with pytest.raises(ConcurrentChange, match="was changed by someone else after you opened it"):
        services.submit_to_payments(case=stale, actor=supervisor)

    assert stored(case).state == RefundState.PROCESSING
    assert len(instructions_of(case)) == 1
    assert Notification.objects.filter(kind="payment_instruction").count() == 1
    assert len([r for r in records_of(case) if r.transition == "submit_to_payments"]) == 1


def test_submitting_a_case_already_with_payments_is_refused(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.PROCESSING)

    with pytest.raises(
        TransitionRefused, match="Cannot submit to payments this refund case: it is processing"
    ):
        services.submit_to_payments(case=case, actor=refunds_desk)

    assert len(instructions_of(case)) == 1


def test_a_retry_after_a_failure_is_attempt_two_with_its_own_key(
    refund_case_in, refunds_desk, payments_system
):
    case = refund_case_in(RefundState.FAILED)
    stale = stored(case)

    services.retry_payment(case=case, actor=refunds_desk)
    with pytest.raises(ConcurrentChange):
        services.retry_payment(case=stale, actor=refunds_desk)  # clicked twice

    assert stored(case).state == RefundState.PROCESSING
    first, second = instructions_of(case)
    assert (first.attempt, first.idempotency_key, first.status, first.failure_reason) == (
        1,
        f"{case.reference}-PAY-1",
        InstructionStatus.FAILED,
        ERROR,
    )
    assert (second.attempt, second.idempotency_key, second.status) == (
        2,
        f"{case.reference}-PAY-2",
        InstructionStatus.SENT,
    )
    assert second.amount == first.amount
    keys = Notification.objects.filter(kind="payment_instruction").values_list("idempotency_key", flat=True)
    assert sorted(keys) == [first.idempotency_key, second.idempotency_key]
    assert json.loads(Notification.objects.get(idempotency_key=second.idempotency_key).body)["attempt"] == 2

    report(case, payments_system, "settled")
    assert stored(case).state == RefundState.REFUNDED


def test_each_failed_attempt_tells_the_handler(refund_case_in, refunds_desk, payments_system):
    case = refund_case_in(RefundState.FAILED)
    services.retry_payment(case=case, actor=refunds_desk)

    report(case, payments_system, "failed", error="Issuer timeout")

    assert stored(case).state == RefundState.FAILED
    notices = Notification.objects.filter(kind="refund_failed").order_by("id")
    assert [n.recipient for n in notices] == [refunds_desk.email] * 2
    assert "Issuer timeout" in notices[1].body


# The payments system reports back.


def test_a_settled_report_refunds_the_case(refund_case_in, payments_system):
    case = refund_case_in(RefundState.PROCESSING)

    instruction = report(case, payments_system, "settled", processor_reference="PSP-2026-0042")

    after = stored(case)
    assert (after.state, after.processor_reference, after.failure_reason) == (
        RefundState.REFUNDED,
        "PSP-2026-0042",
        "",
    )
    assert after.settled_at is not None
    instruction.refresh_from_db()
    assert (instruction.status, instruction.processor_reference) == (
        InstructionStatus.SETTLED,
        "PSP-2026-0042",
    )
    assert instruction.reported_at is not None
    assert instruction.history.latest("history_id").history_user == payments_system
    settled = records_of(case)[-1]
    assert (settled.transition, settled.actor, settled.reason) == (
        "settle",
        payments_system,
        "Settled by payments as PSP-2026-0042",
    )
    assert settled.data == {
        "instruction": instruction.idempotency_key,
        "processor_reference": "PSP-2026-0042",
    }
    assert after.sla_clock.stopped_at is not None and after.next_reminder_at is None


def test_a_failed_report_fails_the_case_and_tells_the_handler(refund_case_in, payments_system, refunds_desk):
    case = refund_case_in(RefundState.PROCESSING)

    report(case, payments_system, "failed")

    after = stored(case)
    assert (after.state, after.failure_reason) == (RefundState.FAILED, ERROR)
    assert after.sla_clock.stopped_at is None  # not done: the refund still has to be paid
    [notice] = Notification.objects.filter(kind="refund_failed")
    assert notice.recipient == refunds_desk.email
    assert notice.subject == f"[{case.reference}] refund payment failed"
    assert f"The payments system could not pay refund case {case.reference}: {ERROR}" in notice.body
    failed = records_of(case)[-1]
    assert (failed.transition, failed.reason) == ("fail", f"Payment failed: {ERROR}")


@pytest.mark.parametrize("outcome", ["settled", "failed"])
def test_the_same_report_twice_is_harmless(outcome, refund_case_in, payments_system):
    case = refund_case_in(RefundState.PROCESSING)
    first = report(case, payments_system, outcome)
    after_first = stored(case)
    records = TransitionRecord.objects.count()
    notices = Notification.objects.count()

    again = report(case, payments_system, outcome)

    assert again.pk == first.pk
    after = stored(case)
    assert (after.state, after.version) == (after_first.state, after_first.version)
    assert TransitionRecord.objects.count() == records
    assert Notification.objects.count() == notices
    again.refresh_from_db()
    assert again.history.count() == 2  # sent, then reported once


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (("settled", SETTLED_AS), ("settled", "PSP-000001"), "was already reported settled as PSP-778899."),
        (("settled", SETTLED_AS), ("failed", ""), "was already reported settled as PSP-778899."),
        (("failed", ""), ("settled", SETTLED_AS), "was already reported failed."),
    ],
    ids=["other-reference", "settled-then-failed", "failed-then-settled"],
)
def test_a_report_that_contradicts_the_first_is_refused(
    first, second, message, refund_case_in, payments_system
):
    case = refund_case_in(RefundState.PROCESSING)
    instruction = report(case, payments_system, first[0], processor_reference=first[1])
    before = stored(case)

    with pytest.raises(services.ConflictingReport) as refused:
        report(case, payments_system, second[0], processor_reference=second[1])

    assert refused.value.message == f"Instruction {instruction.idempotency_key} {message}"
    assert refused.value.code == "conflicting_report"
    after = stored(case)
    assert (after.state, after.version, after.processor_reference) == (
        before.state,
        before.version,
        before.processor_reference,
    )


def test_a_report_for_an_unknown_instruction_is_refused(refund_case_in, payments_system):
    case = refund_case_in(RefundState.PROCESSING)
    records = TransitionRecord.objects.count()

    with pytest.raises(services.UnknownInstruction) as refused:
        services.report_settlement(
            idempotency_key=f"{case.reference}-PAY-2",
            actor=payments_system,
            outcome="settled",
            processor_reference=SETTLED_AS,
        )

    assert (refused.value.field, refused.value.code) == ("key", "not_found")
    assert refused.value.message == f"No payment instruction '{case.reference}-PAY-2' was sent."
    assert stored(case).state == RefundState.PROCESSING
    assert TransitionRecord.objects.count() == records


@pytest.mark.parametrize(
    ("outcome", "processor_reference", "error", "field"),
    [
        ("paid", "PSP-1", "", "outcome"),
        ("settled", "", "", "processor_reference"),
        ("failed", "", " ", "error"),
    ],
)
def test_an_incomplete_report_names_its_field(
    outcome, processor_reference, error, field, refund_case_in, payments_system
):
    case = refund_case_in(RefundState.PROCESSING)
    [instruction] = instructions_of(case)

    with pytest.raises(InvalidInput) as refused:
        services.report_settlement(
            idempotency_key=instruction.idempotency_key,
            actor=payments_system,
            outcome=outcome,
            processor_reference=processor_reference,
            error=error,
        )

    assert refused.value.field == field
    assert stored(case).state == RefundState.PROCESSING


# Endings and the complaint the case came from.


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
    assert record.data == {"code": "refunded", "linked_case": case.reference}
    assert SlaClock.objects.get(pk=resolved.sla_clock_id).stopped_at is not None
    assert not ComplaintNote.objects.exists()


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
        complaint=refund_complaint, actor=agent, code="refunded", summary="Refund on its way to the customer"
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
        complaint=refund_complaint, actor=agent, code="refunded", summary="Refund on its way"
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


# Two people at the same moment. Only PostgreSQL has the row locks to show it with:
# SQLite serialises writers.


@pytest.mark.postgres
@pytest.mark.parametrize(
    "amount", [Decimal("300.00"), Decimal("6000.00")], ids=["one-approval", "first-approval"]
)
def test_two_approvals_at_once_approve_once(
    amount,
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    refund_case_in,
    refunds_desk,
    other_refunds_desk,
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large(requested_amount=amount))

    outcomes = at_the_same_moment(case, services.approve_refund, [refunds_desk, other_refunds_desk])

    won, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    assert (
        lost.message
        == f"{case.reference} was changed by someone else after you opened it; reload and try again."
    )
    after = stored(case)
    if amount > Decimal("5000"):
        assert (after.state, after.first_approved_by, after.approved_by) == (
            RefundState.UNDER_REVIEW,
            won.first_approved_by,
            None,
        )
        transition = "first_approval"
    else:
        assert (after.state, after.approved_by) == (RefundState.APPROVED, won.approved_by)
        transition = "approve"
    [approval] = [r for r in records_of(case) if r.transition in ("approve", "first_approval")]
    assert approval.transition == transition
    assert approval.actor in (refunds_desk, other_refunds_desk)


@pytest.mark.postgres
def test_two_second_approvals_at_once_approve_once(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    refund_case_in,
    refunds_desk,
    other_refunds_desk,
    supervisor,
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large())
    services.approve_refund(case=case, actor=refunds_desk)

    outcomes = at_the_same_moment(case, services.approve_refund, [other_refunds_desk, supervisor])

    won, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    after = stored(case)
    assert (after.state, after.approved_by) == (RefundState.APPROVED, won.approved_by)
    assert [r.transition for r in records_of(case)].count("approve") == 1


@pytest.mark.postgres
def test_two_submits_at_once_make_one_instruction(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    refund_case_in,
    refunds_desk,
    supervisor,
):
    case = refund_case_in(RefundState.APPROVED)

    outcomes = at_the_same_moment(case, services.submit_to_payments, [refunds_desk, supervisor])

    _, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    assert stored(case).state == RefundState.PROCESSING
    [instruction] = instructions_of(case)
    assert instruction.idempotency_key == f"{case.reference}-PAY-1"
    assert Notification.objects.filter(kind="payment_instruction", case_reference=case.reference).count() == 1


@pytest.mark.postgres
def test_the_same_report_twice_at_once_settles_once(
    require_postgres, transactional_db, django_db_serialized_rollback, refund_case_in, payments_system
):
    case = refund_case_in(RefundState.PROCESSING)
    [instruction] = instructions_of(case)
    report = partial(
        services.report_settlement,
        idempotency_key=instruction.idempotency_key,
        actor=payments_system,
        outcome="settled",
        processor_reference=SETTLED_AS,
    )

    outcomes = race(report, report)

    assert [type(o) for o in outcomes] == [PaymentInstruction, PaymentInstruction], outcomes
    assert stored(case).state == RefundState.REFUNDED
    assert [r.transition for r in records_of(case)].count("settle") == 1


def approved_at_once(cases: list[RefundCase], actors: list) -> list:
    """Each actor approves its own case (a fresh copy), all at the same moment."""
    copies = [stored(case) for case in cases]
    return race(
        *[
            partial(services.approve_refund, case=copy, actor=actor)
            for copy, actor in zip(copies, actors, strict=True)
        ]
    )


def one_approved_one_waiting(cases: list[RefundCase]) -> tuple[RefundCase, RefundCase]:
    after = [stored(case) for case in cases]
    approved = [case for case in after if case.state == RefundState.APPROVED]
    waiting = [case for case in after if case.awaits_second_approval]
    assert (len(approved), len(waiting)) == (1, 1), [(c.state, c.first_approved_by_id) for c in after]
    return approved[0], waiting[0]


# Two cases on one transaction, each below the threshold, approved at the same moment by
# two people: the transaction's row lock queues them, and the second counts the first.
@pytest.mark.postgres
def test_split_cases_approved_at_once_on_one_transaction_take_a_second_approver(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    agent,
    refunds_desk,
    other_refunds_desk,
):
    cases = list(split_in_two(agent, refunds_desk))

    outcomes = approved_at_once(cases, [refunds_desk, other_refunds_desk])

    assert all(isinstance(outcome, RefundCase) for outcome in outcomes), outcomes
    _, waiting = one_approved_one_waiting(cases)
    assert records_of(waiting)[-1].data["four_eyes"] == ON_THE_TRANSACTION


# Two cases of one customer on two transactions: no row is shared, the customer's lock
# queues them.
@pytest.mark.postgres
def test_a_customers_cases_approved_at_once_take_a_second_approver(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    agent,
    refunds_desk,
    other_refunds_desk,
):
    cases = [refund_for_customer(agent, refunds_desk, "3000.00", phone="13800138000") for _ in range(2)]

    outcomes = approved_at_once(cases, [refunds_desk, other_refunds_desk])

    assert all(isinstance(outcome, RefundCase) for outcome in outcomes), outcomes
    _, waiting = one_approved_one_waiting(cases)
    assert "approved or paid to this customer" in records_of(waiting)[-1].data["four_eyes"]


def open_at_once(actors: list, **arguments) -> list:
    return race(*[partial(open_refund, actor, **arguments) for actor in actors])


# The transaction is already on record (a cancelled case named it): its row lock queues
# the two openings, and the second sees the first.
@pytest.mark.postgres
def test_two_cases_at_once_on_a_known_transaction_cannot_together_exceed_it(
    require_postgres, transactional_db, django_db_serialized_rollback, refund_case_in, agent, other_agent
):
    earlier = refund_case_in(RefundState.CANCELLED)
    reference = earlier.transaction.reference

    outcomes = open_at_once(
        [agent, other_agent], transaction_reference=reference, requested_amount=Decimal("500.00")
    )

    _, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, InvalidInput) and lost.field == "requested_amount"
    assert "is more than is still refundable" in lost.message
    assert RefundCase.objects.filter(transaction__reference=reference).exclude(pk=earlier.pk).count() == 1


# On first sight of a transaction there is no row to lock: the second opening's insert
# waits on the unique reference, fails in its savepoint, and then locks and checks the
# row the first committed, so two partial refunds that fit both open.
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("requested", "opened"), [(Decimal("500.00"), 1), (Decimal("300.00"), 2)], ids=["exceeding", "fitting"]
)
def test_two_cases_at_once_on_a_new_transaction_open_what_fits(
    requested, opened, require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent
):
    details = transaction_details()

    outcomes = open_at_once([agent, other_agent], requested_amount=requested, **details)

    assert not any(isinstance(outcome, IntegrityError) for outcome in outcomes), outcomes
    cases = [o for o in outcomes if isinstance(o, RefundCase)]
    assert len(cases) == opened
    if opened == 1:
        [lost] = [o for o in outcomes if isinstance(o, BaseException)]
        assert isinstance(lost, InvalidInput) and lost.field == "requested_amount"
    assert (
        RefundCase.objects.filter(transaction__reference=details["transaction_reference"]).count() == opened
    )
