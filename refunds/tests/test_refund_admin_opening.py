"""Opening a refund case through the admin: the add form, and a refund complaint's own
button, each refusing what the service refuses as a field error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.tests.admin import act, admin_url, messages_of
from complaints.models import State
from complaints.tests.factories import complaint_in_state
from refunds.models import PaymentTransaction, RefundCase, RefundState
from refunds.tests.admin import ADD
from refunds.tests.factories import open_refund

pytestmark = pytest.mark.usefixtures("media_root")

# Opening a case.


def test_agent_opens_a_refund_case_through_the_add_form(client, agent):
    client.force_login(agent)
    paid_at = timezone.localtime() - dt.timedelta(days=2)
    response = client.post(
        ADD,
        {
            "refund_type": "duplicate_charge",
            "requested_amount": "45.50",
            "reason": "Charged twice for one taxi ride.",
            "transaction_reference": "TXN-ADMIN-0001",
            "merchant": "Didi Chuxing",
            "transaction_amount": "45.50",
            "currency": "CNY",
            "paid_at": f"{paid_at:%Y-%m-%d %H:%M}",
        },
        follow=True,
    )
    case = RefundCase.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert f"Opened {case}: CNY 45.50 on TXN-ADMIN-0001; it is now requested." in messages_of(response)
    assert (case.state, case.submitted_by, case.transaction.merchant) == (
        RefundState.REQUESTED,
        agent,
        "Didi Chuxing",
    )


def test_more_than_is_refundable_is_a_field_error_and_nothing_is_saved(client, agent):
    first = open_refund(agent)  # CNY 300 of the 800 paid
    client.force_login(agent)
    response = client.post(
        ADD,
        {
            "refund_type": "other",
            "requested_amount": "600.00",
            "reason": "The rest of it.",
            "transaction_reference": first.transaction.reference,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["requested_amount"] == [
        f"CNY 600.00 is more than is still refundable on {first.transaction.reference}: "
        "CNY 500.00 of CNY 800.00, counting its other refund cases."
    ]
    assert RefundCase.objects.get() == first


# From a complaint.


def test_a_refund_complaint_opens_its_refund_case(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund")
    step = admin_url(complaint, "step", "open-refund-case")
    client.force_login(agent)
    assert step in client.get(admin_url(complaint)).content.decode()

    response = act(client, step, refund_type="failed_payment")
    case = RefundCase.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert (
        f"Opened {case.reference} from {complaint}: a refund of CNY 88.00 on transaction "
        f"{complaint.transaction_reference}; it is now requested."
    ) in messages_of(response)
    assert (case.complaint, case.refund_type, case.requested_amount, case.reason) == (
        complaint,
        "failed_payment",
        Decimal("88.00"),
        complaint.description,
    )
    assert case.transaction.paid_at == complaint.transaction_at
    assert admin_url(case) in client.get(admin_url(complaint)).content.decode()


def test_a_complaint_without_its_payment_time_asks_for_it(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund", transaction_at=None)
    step = admin_url(complaint, "step", "open-refund-case")
    client.force_login(agent)
    response = act(client, step, refund_type="not_received", requested_amount="50.00")
    assert response.context["transition_form"].errors["paid_at"] == ["Give when the customer paid."]
    assert not RefundCase.objects.exists() and not PaymentTransaction.objects.exists()

    paid_at = timezone.localtime() - dt.timedelta(days=1)
    response = act(
        client,
        step,
        refund_type="not_received",
        requested_amount="50.00",
        paid_at=f"{paid_at:%Y-%m-%d %H:%M}",
        reason="Half the order never came",
    )
    case = RefundCase.objects.get()
    assert (case.requested_amount, case.reason) == (Decimal("50.00"), "Half the order never came")


def test_only_an_open_refund_complaint_offers_a_refund_case(client, agent):
    other = complaint_in_state(State.IN_PROGRESS, agent=agent)  # a failed transaction
    resolved = complaint_in_state(State.RESOLVED, agent=agent, category="refund")
    client.force_login(agent)
    for complaint in (other, resolved):
        assert "open-refund-case" not in client.get(admin_url(complaint)).content.decode()
    response = client.post(
        admin_url(other, "step", "open-refund-case"), {"refund_type": "other"}, follow=True
    )
    assert response.redirect_chain[-1][0] == admin_url(other)
    assert "Only a complaint about a refund not processed opens a refund case." in messages_of(response)
    assert not RefundCase.objects.exists()
