"""Paying a refund: one payment instruction per attempt, whatever is clicked twice, and the
payments system's reports that settle or fail it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from casework.core.errors import ConcurrentChange, InvalidInput, TransitionRefused
from casework.models import Notification, TransitionRecord
from refunds import services
from refunds.models import InstructionStatus, RefundState
from refunds.tests.factories import ERROR, SETTLED_AS, open_refund, report, transaction_details
from refunds.tests.readback import instructions_of, records_of, stored

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
