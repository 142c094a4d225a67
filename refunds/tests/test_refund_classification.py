"""A refund that settles resolves its complaint upheld, the amount refunded its redress,
with the codes the complaint has (complaints.services.classification)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from casework.models import TransitionRecord
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintNote
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import RefundState
from refunds.tests.factories import PATHS, advance


@pytest.fixture
def refund_complaint(agent) -> Complaint:
    return complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=agent,
        category="refund",
        description="The merchant cancelled my order a week ago; the 88 yuan never came back.",
    )


def settle(complaint, *, agent, desk, payments, amount=None):
    case = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="not_received", requested_amount=amount
    )
    return advance(case, *PATHS[RefundState.REFUNDED], agent=agent, desk=desk, payments=payments)


def test_a_settled_refund_resolves_upheld_with_the_refunded_amount_as_redress(
    refund_complaint, agent, refunds_desk, payments_system
):
    settle(
        refund_complaint, agent=agent, desk=refunds_desk, payments=payments_system, amount=Decimal("60.00")
    )

    resolved = Complaint.objects.get(pk=refund_complaint.pk)
    assert resolved.state == ComplaintState.RESOLVED
    assert (resolved.outcome, resolved.redress_amount) == ("upheld", Decimal("60.00"))
    assert (resolved.business_type.code, resolved.cause.code) == ("B03", "C08")


def test_the_codes_the_clerk_recorded_stay_and_nothing_is_missing(
    refund_complaint, agent, refunds_desk, payments_system
):
    complaint_services.classify_complaint(
        complaint=refund_complaint,
        actor=agent,
        business_type="B03",
        cause="C07",
        product="P03",
        root_cause="R04",
        reason="The merchant kept a fee",
    )

    settle(
        Complaint.objects.get(pk=refund_complaint.pk),
        agent=agent,
        desk=refunds_desk,
        payments=payments_system,
    )

    resolved = Complaint.objects.get(pk=refund_complaint.pk)
    codes = [
        resolved.business_type.code,
        resolved.cause.code,
        resolved.product.code,
        resolved.root_cause.code,
    ]
    assert codes == ["B03", "C07", "P03", "R04"]
    record = TransitionRecord.objects.filter(transition="resolve").get()
    assert "classification_missing" not in record.data
    assert not ComplaintNote.objects.exists()


def test_a_missing_code_gets_the_categorys_default_and_the_trail_says_so(
    refund_complaint, agent, refunds_desk, payments_system
):
    Complaint.objects.filter(pk=refund_complaint.pk).update(cause=None)  # its default was retired then

    settle(
        Complaint.objects.get(pk=refund_complaint.pk),
        agent=agent,
        desk=refunds_desk,
        payments=payments_system,
    )

    resolved = Complaint.objects.get(pk=refund_complaint.pk)
    assert resolved.cause.code == "C08"
    record = TransitionRecord.objects.filter(transition="resolve").get()
    assert record.data["classification_defaulted"] == ["cause"]
    assert record.data["classification_missing"] == ["product", "root_cause"]
    [note] = ComplaintNote.objects.filter(complaint=resolved)
    assert "record them with Classify" in note.body
