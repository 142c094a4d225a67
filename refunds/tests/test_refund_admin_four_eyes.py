"""Four eyes through the admin: a large refund needs two people, the opener is refused the
approval as the service refuses it, and split cases ask for a first approval."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.html import escape

from casework.core.errors import PermissionRefused
from casework.models import TransitionRecord
from casework.tests.admin import act, admin_url, forbidden, messages_of
from refunds import services
from refunds.models import RefundCase, RefundState
from refunds.tests.admin import large_refund, unchanged
from refunds.tests.factories import open_refund, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")

FOUR_EYES_REFUSAL = (
    "Four eyes: you gave the first approval, so someone else from the refunds desk "
    "or a supervisor must give the second."
)


def test_a_large_refund_needs_two_people(client, agent, refunds_desk, other_refunds_desk):
    case = large_refund(agent, refunds_desk)
    approve = admin_url(case, "transition", "approve")
    client.force_login(refunds_desk)
    page = client.get(admin_url(case)).content.decode()
    assert "Give first approval" in page and "CNY 6,000.00 is above the CNY 5,000.00 threshold" in page

    response = act(client, approve, reason="Receipts check out")
    assert (
        f"{case}: first approval of CNY 6,000.00 recorded; a second person from the refunds desk "
        "or a supervisor must approve it." in messages_of(response)
    )
    case.refresh_from_db()
    assert (case.state, case.first_approved_by, case.approved_amount) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        Decimal("6000.00"),
    )

    # The first approver is not offered the second, and is told why when they try.
    assert approve not in client.get(admin_url(case)).content.decode()
    before = unchanged(case)
    assert FOUR_EYES_REFUSAL in forbidden(client.get(approve))
    response = client.post(approve, {"version": case.version, "reason": "Me again"})
    assert FOUR_EYES_REFUSAL in forbidden(response)
    assert unchanged(case) == before

    # Someone else confirms the amount; another one is refused on the field.
    client.force_login(other_refunds_desk)
    assert "Give second approval" in client.get(admin_url(case)).content.decode()
    response = act(client, approve, amount="5500.00")
    assert response.context["transition_form"].errors["amount"] == [
        "The second approval confirms the first: CNY 6,000.00. If that amount is wrong, "
        "do not approve: reject the case with the reason instead."
    ]
    assert unchanged(case) == before
    response = act(client, approve, reason="Second pair of eyes")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.state, case.approved_by, case.first_approved_by) == (
        RefundState.APPROVED,
        other_refunds_desk,
        refunds_desk,
    )
    trail = list(
        TransitionRecord.objects.filter(case_reference=case.reference)
        .order_by("id")
        .values_list("transition", "actor_label", "reason")
    )[-2:]
    assert trail == [
        ("first_approval", "refunds.zhou", "Receipts check out"),
        ("approve", "refunds.qian", "Second pair of eyes"),
    ]


def test_the_opener_of_a_refund_case_is_refused_its_approval_as_the_service_refuses_it(
    client, refunds_desk, other_refunds_desk
):
    case = open_refund(refunds_desk)
    services.start_review(case=case, actor=refunds_desk)
    approve = admin_url(case, "transition", "approve")
    client.force_login(refunds_desk)
    with pytest.raises(PermissionRefused) as refused:
        services.approve_refund(case=RefundCase.objects.get(pk=case.pk), actor=refunds_desk)
    before = unchanged(case)

    # Not offered, and told why (a 403 page) on opening it and when posting anyway.
    assert approve not in client.get(admin_url(case)).content.decode()
    shown = forbidden(client.get(approve))
    assert refused.value.message in shown and "Nothing was changed." in shown
    response = client.post(approve, {"version": case.version, "reason": "Mine"})
    assert refused.value.message in forbidden(response)
    assert refused.value.message == (
        "Four eyes: you opened this refund case, so someone else from the refunds desk "
        "or a supervisor must approve it."
    )
    assert unchanged(case) == before

    client.force_login(other_refunds_desk)
    response = act(client, approve, reason="Voucher checks out")
    assert f"{case}: approve done; it is now approved." in messages_of(response)


def test_a_refund_split_into_cases_below_the_threshold_asks_for_a_first_approval(
    client, agent, refunds_desk, other_refunds_desk
):
    half = Decimal("4999.99")
    first = refund_in_state(
        RefundState.APPROVED,
        agent=agent,
        desk=refunds_desk,
        transaction_amount=half * 2,
        requested_amount=half,
    )
    second = open_refund(
        agent,
        transaction_reference=first.transaction.reference,
        transaction_amount=half * 2,
        requested_amount=half,
    )
    services.start_review(case=second, actor=refunds_desk)
    reason = (
        "CNY 9,999.98 approved or paid on this transaction with this case is above the CNY 5,000.00 "
        "threshold: a second approver is needed."
    )
    client.force_login(refunds_desk)

    page = client.get(admin_url(second)).content.decode()
    assert "Give first approval" in page and escape(f"Four eyes: {reason}") in page
    response = act(client, admin_url(second, "transition", "approve"), reason="Voucher checks out")

    assert (
        f"{second}: first approval of CNY 4,999.99 recorded; a second person from the refunds desk "
        "or a supervisor must approve it." in messages_of(response)
    )
    second.refresh_from_db()
    assert (second.state, second.first_approved_by, second.approved_by) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        None,
    )
    record = TransitionRecord.objects.filter(case_reference=second.reference).latest("id")
    assert (record.transition, record.data["four_eyes"]) == ("first_approval", reason)


def test_a_partial_approval_below_the_threshold_needs_one_person(client, agent, refunds_desk):
    case = large_refund(agent, refunds_desk)
    client.force_login(refunds_desk)
    response = act(client, admin_url(case, "transition", "approve"), amount="4000.00")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.approved_amount, case.first_approved_by) == (Decimal("4000.00"), None)
