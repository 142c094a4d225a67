"""The money rules of a refund and its original transaction: partial refunds, over-refunds
counting the transaction's other cases, and details that must agree with the transaction
on record, refused to a partner without telling what the record says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.core.errors import InvalidInput
from casework.models import SlaClock, TransitionRecord
from refunds import services
from refunds.models import PaymentTransaction, RefundCase, RefundState
from refunds.tests.factories import large, open_refund, transaction_details
from refunds.tests.readback import instructions_of, stored

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
