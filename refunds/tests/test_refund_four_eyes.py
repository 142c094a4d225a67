"""Four eyes on refunds: above the currency's threshold a second person approves, counting
what is already approved or paid on the same transaction or for the same customer, and
the case's opener never approves it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.cases.transitions import check_transition
from casework.core.errors import PermissionRefused, TransitionRefused
from casework.models import TransitionRecord
from refunds import services
from refunds.admin import approval_wording
from refunds.models import RefundCase, RefundState, has_first_approval_if_large
from refunds.tests.factories import (
    ON_THE_TRANSACTION,
    advance,
    large,
    open_refund,
    refund_for_customer,
    refund_in_state,
    split_in_two,
    transaction_details,
)
from refunds.tests.readback import records_of, stored


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
