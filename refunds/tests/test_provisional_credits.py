"""Regulation E's provisional credit on a refund case: opened only where the complaint's
regime asks for one, for at most what is disputed and refundable, due 10 (20) business days
after the complaint was received; credited (late is allowed, and recorded), reversed with
four eyes and the customer's notice, made final by hand or by the refund's settlement."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import CustomerMessage, Notification, TransitionRecord
from casework.sla.calendars import WorkingTime
from casework.trail.audit import broken_links, records_for
from refunds import services
from refunds.models import CreditState, ProvisionalCredit, RefundState
from refunds.tests.factories import advance
from refunds.tests.provisional import refund_under

pytestmark = pytest.mark.django_db

PROCESSOR_REFERENCE = "PSP-PCR-4411"


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


@pytest.fixture
def case(agent, refunds_desk):
    return refund_under(agent, refunds_desk)


def _opened(case, desk, **more) -> ProvisionalCredit:
    return services.open_provisional_credit(refund_case=case, actor=desk, **more)


def _credited(case, desk, payments) -> ProvisionalCredit:
    credit = _opened(case, desk)
    return services.credit_provisionally(
        credit=credit, actor=payments, processor_reference=PROCESSOR_REFERENCE
    )


def test_open_is_refused_for_a_complaint_whose_regime_asks_no_credit(agent, refunds_desk):
    case = refund_under(agent, refunds_desk, regime="cn-pboc", currency="CNY")

    with pytest.raises(TransitionRefused, match="asks no provisional credit"):
        _opened(case, refunds_desk)
    assert not ProvisionalCredit.objects.exists()


def test_open_is_refused_for_a_refund_case_without_a_complaint(agent, refunds_desk):
    from refunds.tests.factories import open_refund

    case = open_refund(agent)

    with pytest.raises(TransitionRefused, match="not opened from a complaint"):
        _opened(case, refunds_desk)


def test_open_is_refused_to_an_agent(case, agent):
    with pytest.raises(PermissionRefused):
        _opened(case, agent)


def test_open_is_due_ten_business_days_after_receipt_on_the_regime_calendar(case, refunds_desk):
    credit = _opened(case, refunds_desk)

    complaint = case.complaint
    working = WorkingTime(complaint.regime.calendar)
    assert complaint.regime.calendar.country_code == "US"
    assert credit.due_at == working.add_business_days(complaint.sla_clock.started_at, 10)
    assert (credit.state, credit.amount, credit.currency) == (CreditState.DUE, Decimal("300.000"), "USD")
    assert credit.opened_by == refunds_desk and not credit.is_late
    # The payments system is told to credit, under one key: a resend never credits twice.
    [instruction] = Notification.objects.filter(kind="provisional_credit_instruction")
    body = json.loads(instruction.body)
    assert (instruction.idempotency_key, body["amount"], body["type"]) == (
        f"{case.reference}-PCR",
        "300.00",
        "refund.provisional_credit",
    )
    [record] = TransitionRecord.objects.filter(
        case_reference=case.reference, transition="open_provisional_credit"
    )
    assert record.source_state == record.target_state == RefundState.UNDER_REVIEW


def test_a_new_account_gets_twenty_business_days(agent, refunds_desk):
    case = refund_under(agent, refunds_desk, condition="new_account")

    credit = _opened(case, refunds_desk)

    working = WorkingTime(case.complaint.regime.calendar)
    assert credit.due_at == working.add_business_days(case.complaint.sla_clock.started_at, 20)


def test_an_amount_above_what_is_refundable_is_refused_on_the_amount(case, refunds_desk):
    with pytest.raises(InvalidInput) as refused:
        _opened(case, refunds_desk, amount="900.00")

    assert refused.value.field == "amount"
    assert "is more than is still refundable" in refused.value.message
    assert not ProvisionalCredit.objects.exists()


def test_an_amount_above_the_refund_asked_is_refused_on_the_amount(agent, refunds_desk):
    case = refund_under(agent, refunds_desk, amount="300.00")
    # The transaction was 300.00 and the refund case asks all of it; a part is allowed.
    credit = _opened(case, refunds_desk, amount="120.00")
    assert credit.amount == Decimal("120.00")

    other = refund_under(agent, refunds_desk, amount="300.00")
    with pytest.raises(InvalidInput) as refused:
        _opened(other, refunds_desk, amount="300.001")
    assert refused.value.field == "amount"


def test_a_second_credit_on_one_case_is_refused(case, refunds_desk):
    _opened(case, refunds_desk)
    case.refresh_from_db()

    with pytest.raises(TransitionRefused, match="already has a provisional credit"):
        _opened(case, refunds_desk)


def test_credited_in_time_stands_and_opens_the_longer_limit(case, refunds_desk, payments_system):
    credit = _credited(case, refunds_desk, payments_system)

    assert credit.state == CreditState.CREDITED and credit.is_standing and not credit.is_late
    assert credit.credited_by == payments_system and credit.processor_reference == PROCESSOR_REFERENCE
    assert services.provisional_credit_refusal(case.complaint, by=credit.due_at) is None
    # The customer is told of the credit, its amount and date (1005.11(c)(2)(iv)).
    [told] = CustomerMessage.objects.filter(case_reference=case.reference, kind="provisional_credit")
    assert told.address == "jane.doe@example.com"
    assert "USD 300.00" in told.body_text and "full use of the money" in told.body_text


def test_the_same_report_twice_changes_nothing_and_another_reference_is_refused(
    case, refunds_desk, payments_system
):
    credit = _credited(case, refunds_desk, payments_system)
    version = credit.version

    again = services.credit_provisionally(
        credit=credit, actor=payments_system, processor_reference=PROCESSOR_REFERENCE
    )
    assert again.version == version
    with pytest.raises(services.ConflictingCreditReport):
        services.credit_provisionally(credit=credit, actor=payments_system, processor_reference="PSP-OTHER")
    assert CustomerMessage.objects.filter(kind="provisional_credit").count() == 1


def test_a_credit_needs_its_processor_reference(case, refunds_desk):
    credit = _opened(case, refunds_desk)

    with pytest.raises(InvalidInput) as refused:
        services.credit_provisionally(credit=credit, actor=refunds_desk, processor_reference=" ")
    assert refused.value.field == "processor_reference"


def test_a_late_credit_is_recorded_late_and_closes_the_longer_limit(
    case, refunds_desk, payments_system, clock
):
    credit = _opened(case, refunds_desk)
    clock.now = credit.due_at + dt.timedelta(hours=2)

    credit = services.credit_provisionally(
        credit=credit, actor=payments_system, processor_reference=PROCESSOR_REFERENCE
    )

    assert credit.state == CreditState.CREDITED and credit.late_at == credit.due_at
    refusal = services.provisional_credit_refusal(case.complaint, by=credit.due_at)
    assert refusal is not None and "after" in refusal and case.reference in refusal
    [record] = TransitionRecord.objects.filter(
        case_reference=case.reference, transition="credit_provisionally"
    )
    assert record.reason_code == "refunds.provisionally_credited_late"


def test_no_credit_at_all_is_refused_by_the_extension(case):
    refusal = services.provisional_credit_refusal(
        case.complaint, by=case.complaint.sla_clock.resolution_due_at
    )

    assert "provisionally credited by" in refusal


def test_a_reversal_needs_a_reason(case, refunds_desk, other_refunds_desk, payments_system):
    credit = _credited(case, refunds_desk, payments_system)

    with pytest.raises(InvalidInput) as refused:
        services.reverse_provisional_credit(credit=credit, actor=other_refunds_desk, reason="  ")
    assert refused.value.field == "reason"
    credit.refresh_from_db()
    assert credit.state == CreditState.CREDITED


def test_who_opened_or_credited_a_credit_does_not_reverse_it(case, refunds_desk, other_refunds_desk):
    credit = _opened(case, refunds_desk)
    credit = services.credit_provisionally(
        credit=credit, actor=other_refunds_desk, processor_reference=PROCESSOR_REFERENCE
    )

    for person in (refunds_desk, other_refunds_desk):
        with pytest.raises(PermissionRefused, match="Four eyes"):
            services.reverse_provisional_credit(credit=credit, actor=person, reason="No error found.")


def test_a_reversal_debits_tells_the_customer_and_closes_the_longer_limit(
    case, refunds_desk, other_refunds_desk, payments_system
):
    credit = _credited(case, refunds_desk, payments_system)

    credit = services.reverse_provisional_credit(
        credit=credit,
        actor=other_refunds_desk,
        reason="The merchant's records show the customer renewed the subscription in the app.",
    )

    assert credit.state == CreditState.REVERSED and credit.reversed_by == other_refunds_desk
    working = WorkingTime(case.complaint.regime.calendar)
    assert credit.honoured_until == working.add_business_days(credit.reversed_at, 5)
    assert "reversed" in services.provisional_credit_refusal(case.complaint, by=credit.due_at)
    [debit] = Notification.objects.filter(kind="provisional_credit_reversal")
    assert json.loads(debit.body)["type"] == "refund.provisional_credit_reversal"
    [told] = CustomerMessage.objects.filter(case_reference=case.reference, kind="credit_reversed")
    day = f"{credit.reversed_at.astimezone(working.zone):%-d %B %Y}"
    until = f"{credit.honoured_until.astimezone(working.zone):%-d %B %Y}"
    assert f"USD 300.00 is debited from your account on {day}." in told.body_text
    assert f"Until {until} (five business days after this notice)" in told.body_text
    assert "renewed the subscription" in told.body_text


def test_make_final_keeps_the_credit(case, refunds_desk, other_refunds_desk, payments_system):
    credit = _credited(case, refunds_desk, payments_system)

    credit = services.make_provisional_credit_final(credit=credit, actor=refunds_desk)

    assert credit.state == CreditState.FINAL and credit.finalised_at is not None
    assert services.provisional_credit_refusal(case.complaint, by=credit.due_at) is None
    with pytest.raises(TransitionRefused):
        services.reverse_provisional_credit(credit=credit, actor=other_refunds_desk, reason="Changed my mind")


def test_the_refund_settling_makes_the_credit_final(
    case, refunds_desk, other_refunds_desk, payments_system, thresholds
):
    credit = _credited(case, refunds_desk, payments_system)

    case = advance(case, "approve", "submit", desk=refunds_desk, second=other_refunds_desk)
    instruction = json.loads(Notification.objects.get(idempotency_key=f"{case.reference}-PAY-1").body)
    # The payments system is told what the customer already has, to pay only the rest.
    assert instruction["provisionally_credited"] == {
        "idempotency_key": credit.idempotency_key,
        "amount": "300.00",
    }
    advance(case, "settle", desk=refunds_desk, payments=payments_system)

    credit.refresh_from_db()
    assert credit.state == CreditState.FINAL
    records = list(records_for(case))
    assert [record.transition for record in records][-2:] == ["settle", "make_provisional_credit_final"]
    assert records[-1].actor_label == "refund settled" and records[-1].target_state == RefundState.REFUNDED
    assert broken_links(records) == []


def test_a_stale_copy_is_refused_and_one_of_two_credits_wins(case, refunds_desk, payments_system):
    credit = _opened(case, refunds_desk)
    first = ProvisionalCredit.objects.get(pk=credit.pk)
    second = ProvisionalCredit.objects.get(pk=credit.pk)

    services.credit_provisionally(credit=first, actor=payments_system, processor_reference="PSP-A")
    with pytest.raises(ConcurrentChange):
        services.credit_provisionally(credit=second, actor=refunds_desk, processor_reference="PSP-B")
    # A version the caller read, no longer the stored one, is refused before anything else.
    with pytest.raises(ConcurrentChange):
        services.make_provisional_credit_final(credit=first, actor=refunds_desk, version=0)

    credit.refresh_from_db()
    assert (credit.processor_reference, credit.credited_by) == ("PSP-A", payments_system)
    assert TransitionRecord.objects.filter(transition="credit_provisionally").count() == 1


def test_each_step_is_on_the_refund_case_trail_in_one_chain(
    case, refunds_desk, other_refunds_desk, payments_system
):
    credit = _credited(case, refunds_desk, payments_system)
    services.reverse_provisional_credit(credit=credit, actor=other_refunds_desk, reason="No error found.")

    records = list(records_for(case))
    assert [record.transition for record in records][-3:] == [
        "open_provisional_credit",
        "credit_provisionally",
        "reverse_provisional_credit",
    ]
    assert broken_links(records) == []
    assert credit.history.count() == 3  # opened, credited, reversed
