"""A large refund from the complaint to its settlement, clicked through the admin (README:
"A refund"): the agent opens it, the refunds desk reviews it with evidence and gives the
first approval, the same person may not give the second, a supervisor does and sends it to
payments, and the payments system reports the settlement on the partner API."""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

import pytest

from casework.models import TransitionRecord
from casework.tests.api import key_for
from complaints.models import State
from complaints.tests.factories import complaint_in_state
from refunds.models import InstructionStatus, RefundCase, RefundState

pytestmark = pytest.mark.browser

FOUR_EYES_REFUSAL = (
    "Four eyes: you gave the first approval, so someone else from the refunds desk "
    "or a supervisor must give the second."
)


def report_settlement(base_url: str, key: str, instruction_key: str, processor_reference: str) -> dict:
    """The payments system's call to the live server, with its own API key."""
    request = urllib.request.Request(
        f"{base_url}/api/v1/payment-instructions/{instruction_key}/report/",
        data=json.dumps({"outcome": "settled", "processor_reference": processor_reference}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200
        return json.load(response)


def test_a_large_refund_is_approved_by_two_people_and_settled_by_the_payments_system(
    browser, live_server, agent, refunds_desk, supervisor, payments_system, scan
):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        category="refund",
        description="Returned a laptop on 10 November; the merchant agreed to refund it, nothing arrived.",
        amount=Decimal("6800.00"),
        transaction_reference="TX20261101000777",
        merchant="Starlight Electronics",
    )

    # The agent opens the refund case from the complaint: the transaction and amount carry over.
    browser.log_in(agent)
    browser.visit("/admin/complaints/complaint/")
    browser.follow(complaint.reference)
    browser.press("Open refund case")
    browser.choose("refund_type", "goods returned")
    browser.apply()
    case = RefundCase.objects.get()
    assert browser.messages() == [
        f"Opened {case.reference} from {complaint.reference}: a refund of CNY 6,800.00 on transaction "
        "TX20261101000777; it is now requested."
    ]

    # The refunds desk reviews it, asks for the payment voucher and gets it.
    browser.log_in(refunds_desk)
    browser.visit("/admin/refunds/refundcase/")
    browser.follow(case.reference)
    browser.press("Start review")
    browser.apply()
    assert browser.messages() == [f"{case.reference}: start review done; it is now under review."]
    browser.press("Request evidence")
    browser.fill("what", "The merchant's return receipt or the payment voucher")
    browser.apply()
    assert browser.messages() == [f"{case.reference}: request evidence done; it is now awaiting evidence."]
    assert "paused: waiting on the customer" in browser.deadlines()
    browser.press("Add evidence")
    browser.choose("kind", "payment voucher")
    browser.attach("file", scan)
    browser.fill("note", "Voucher of the 6,800.00 payment")
    browser.apply()
    [added] = browser.messages()
    assert added.startswith(f"{case.reference}: added ") and added.endswith("; it is now under review.")

    # Above CNY 5,000 it takes two people: the first approval, then the same person is refused.
    browser.press("Give first approval")
    browser.fill("reason", "Return receipt and voucher check out")
    browser.apply()
    assert browser.messages() == [
        f"{case.reference}: first approval of CNY 6,800.00 recorded; a second person from the refunds desk "
        "or a supervisor must approve it."
    ]
    assert browser.field("approved") == "CNY 6,800.00 (first approval; a second person must approve)"
    assert "Give second approval" not in browser.buttons()
    browser.visit(f"/admin/refunds/refundcase/{case.pk}/transition/approve/")
    assert browser.refusal() == FOUR_EYES_REFUSAL
    browser.follow(f"Back to {case}")
    assert browser.field("approved") == "CNY 6,800.00 (first approval; a second person must approve)"
    case.refresh_from_db()
    assert (case.state, case.first_approved_by, case.approved_by) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        None,
    )

    # The supervisor gives the second approval and sends the payment instruction.
    browser.log_in(supervisor)
    browser.visit("/admin/refunds/refundcase/")
    browser.follow(case.reference)
    browser.press("Give second approval")
    browser.fill("reason", "Second pair of eyes: receipt matches the transaction")
    browser.apply()
    assert browser.messages() == [f"{case.reference}: approve done; it is now approved."]
    browser.press("Submit to payments")
    browser.apply()
    assert browser.messages() == [f"{case.reference}: submit to payments done; it is now processing."]
    instruction = case.instructions.get()
    assert instruction.status == InstructionStatus.SENT

    # The payments system reports the settlement on the API; the page shows the case refunded.
    reported = report_settlement(
        live_server.url, key_for(payments_system.partner), instruction.idempotency_key, "PSP-20261126-4711"
    )
    assert (reported["refund_reference"], reported["status"]) == (case.reference, "settled")
    browser.visit(f"/admin/refunds/refundcase/{case.pk}/change/")
    assert browser.state() == "refunded"
    assert browser.field("processor_reference") == "PSP-20261126-4711"
    assert [row[2:] for row in browser.timeline() if row[0] == "payment"] == [
        (f"payment instruction {instruction.idempotency_key}: CNY 6,800.00", "settled PSP-20261126-4711")
    ]
    assert browser.buttons() == []  # nothing left to do
    browser.follow(complaint.reference)
    assert browser.state() == "resolved"

    case.refresh_from_db()
    assert (case.state, case.approved_amount, case.approved_by, case.processor_reference) == (
        RefundState.REFUNDED,
        Decimal("6800.00"),
        supervisor,
        "PSP-20261126-4711",
    )
    instruction.refresh_from_db()
    assert instruction.status == InstructionStatus.SETTLED
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code) == (State.RESOLVED, "refunded")
    assert list(
        TransitionRecord.objects.filter(case_reference=case.reference)
        .order_by("id")
        .values_list("transition", "actor_label")
    ) == [
        ("open", "agent.wang"),
        ("start_review", "refunds.zhou"),
        ("request_evidence", "refunds.zhou"),
        ("add_evidence", "refunds.zhou"),
        ("evidence_received", "evidence from refunds.zhou"),
        ("first_approval", "refunds.zhou"),
        ("approve", "sup.huang"),
        ("submit_to_payments", "sup.huang"),
        ("settle", "partner:payments"),
    ]
