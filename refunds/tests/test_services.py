"""Refund use cases: every allowed and refused transition, opening a case, and who may
do what. Four eyes, amounts, evidence, paying, endings and two people at once have their
own modules beside this one (``test_refund_*.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from casework.cases.transitions import check_transition
from casework.core.errors import InvalidInput, PermissionRefused, TransitionRefused
from casework.models import Notification, Partner, SlaClock, TransitionRecord
from casework.sla.calendars import WorkingTime
from casework.trail.audit import actor_label
from refunds import services
from refunds.models import (
    CANCELLABLE_STATES,
    PaymentInstruction,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    RefundState,
    RefundType,
)
from refunds.tests.factories import PATHS, advance, open_refund, png, report, transaction_details
from refunds.tests.readback import clock_of, records_of, stored

# A partner's evidence is refused here, and must not land in the demo's media folder.
pytestmark = pytest.mark.usefixtures("media_root")

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
