"""A refund paid is told to the customer of the complaint it came from, once, on their
channel; a refund case with no complaint behind it knows nobody to tell."""

from __future__ import annotations

import pytest

from casework.models import CustomerMessage
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import RefundState
from refunds.tests.factories import PATHS, advance, open_refund, report


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


def test_a_settled_refund_tells_the_customer_once_and_no_second_decision(
    agent, refunds_desk, payments_system
):
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=agent,
        category="refund",
        customer_email="li.wei@example.com",
        preferred_channel="email",
        description="The merchant cancelled my order a week ago; the 88 yuan never came back.",
    )
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="not_received"
    )
    case = advance(
        case, *PATHS[RefundState.REFUNDED], agent=agent, desk=refunds_desk, payments=payments_system
    )
    instruction = case.instructions.get()
    report(case, payments_system, "settled")  # the payments system reports the same again

    [paid] = CustomerMessage.objects.filter(case_reference=case.reference)
    assert (paid.kind, paid.channel, paid.address) == ("refund_settled", "email", "li.wei@example.com")
    assert paid.subject == f"您的退款 {case.reference} 已支付"
    assert "CNY 88.00" in paid.body_text and complaint.reference in paid.body_text
    assert "12363" in paid.body_text  # what to do if not satisfied
    # The complaint resolved with the refund: its customer is not told the decision twice.
    assert not CustomerMessage.objects.filter(case_reference=complaint.reference, kind="decision").exists()
    assert instruction.status == "settled"


def test_a_refund_case_without_a_complaint_sends_nothing(agent, refunds_desk, payments_system):
    case = open_refund(agent)
    advance(case, *PATHS[RefundState.REFUNDED], agent=agent, desk=refunds_desk, payments=payments_system)

    assert not CustomerMessage.objects.exists()
