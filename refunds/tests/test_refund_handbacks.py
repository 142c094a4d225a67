"""A refund settled or failed is handed back: to its handler and to the holder of the
complaint it came from, each once, with one e-mail each."""

from __future__ import annotations

import pytest

from casework.models import Handback, HandbackKind, Notification
from casework.workspace import handbacks, queues
from complaints.models import State as ComplaintState
from refunds import services
from refunds.models import RefundState
from refunds.tests.factories import advance, refund_for_customer, report


@pytest.fixture
def from_complaint(agent, refunds_desk):
    agent.email = "wang.fang@wallet.example"
    agent.save(update_fields=["email"])
    case = refund_for_customer(agent, refunds_desk, "300.00", phone="13800138000")
    return advance(case, "approve", "submit", desk=refunds_desk)


def _handbacks() -> list[tuple]:
    return sorted(
        Handback.objects.values_list("case_reference", "holder__username", "kind", "source_reference"),
        key=lambda row: row[1],
    )


def test_a_settled_refund_tells_its_handler_and_the_complaints_holder(
    from_complaint, agent, refunds_desk, payments_system
):
    case = from_complaint
    complaint = case.complaint

    report(case, payments_system, "settled")

    assert _handbacks() == [
        (complaint.reference, agent.username, HandbackKind.REFUND_SETTLED, case.reference),
        (case.reference, refunds_desk.username, HandbackKind.REFUND_SETTLED, ""),
    ]
    notices = Notification.objects.filter(kind=handbacks.NOTICE_KIND)
    assert sorted(notices.values_list("recipient", "case_reference")) == [
        (agent.email, complaint.reference),
        (refunds_desk.email, case.reference),
    ]
    to_agent = notices.get(recipient=agent.email)
    assert f"Refund settled on complaint {complaint.reference}." in to_agent.body
    assert f"It happened on refund case {case.reference}, opened from it." in to_agent.body
    assert "The case is now resolved." in to_agent.body  # the refund resolved the complaint


def test_the_same_settlement_reported_twice_is_told_once(from_complaint, payments_system):
    report(from_complaint, payments_system, "settled")
    report(from_complaint, payments_system, "settled")

    assert Handback.objects.count() == 2
    assert Notification.objects.filter(kind=handbacks.NOTICE_KIND).count() == 2


def test_a_failed_refund_is_handed_back_without_a_second_email_to_the_handler(
    from_complaint, agent, refunds_desk, payments_system
):
    case = from_complaint
    complaint = case.complaint

    report(case, payments_system, "failed", error="Issuer timeout")

    assert [kind for *_, kind, _source in _handbacks()] == [HandbackKind.REFUND_FAILED] * 2
    # The handler's e-mail is the refund's own failed notice; the agent's is the hand-back.
    assert list(Notification.objects.filter(kind="refund_failed").values_list("recipient", flat=True)) == [
        refunds_desk.email
    ]
    [to_agent] = Notification.objects.filter(kind=handbacks.NOTICE_KIND)
    assert (to_agent.recipient, to_agent.case_reference) == (agent.email, complaint.reference)
    assert "Issuer timeout" in to_agent.body


def test_each_failed_attempt_is_its_own_hand_back(from_complaint, refunds_desk, payments_system):
    case = from_complaint
    report(case, payments_system, "failed")
    case.refresh_from_db()
    services.retry_payment(case=case, actor=refunds_desk)  # the handler acting: seen
    assert not Handback.objects.filter(holder=refunds_desk, seen_at__isnull=True).exists()

    report(case, payments_system, "failed")

    assert Handback.objects.filter(holder=refunds_desk, kind=HandbackKind.REFUND_FAILED).count() == 2
    assert Handback.objects.filter(holder=refunds_desk, seen_at__isnull=True).count() == 1


def test_a_refund_opened_without_a_complaint_tells_its_handler_only(
    refund_case_in, refunds_desk, payments_system
):
    case = refund_case_in(RefundState.PROCESSING)

    report(case, payments_system, "settled")

    assert _handbacks() == [(case.reference, refunds_desk.username, HandbackKind.REFUND_SETTLED, "")]


def test_a_complaint_the_refund_resolved_is_not_counted_on_my_work(from_complaint, agent, payments_system):
    case = from_complaint
    complaint = case.complaint
    report(case, payments_system, "settled")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RESOLVED

    assert queues.counts(agent).handed_back == 0  # resolved by the refund: nothing to act on
