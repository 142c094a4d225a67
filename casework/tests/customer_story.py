"""One customer with a case of every type, for the customer's page tests (and its browser
test): made through the services, as production makes them."""

from __future__ import annotations

from accounts.models import RequestState
from accounts.tests.factories import request_in_state, wallet_account
from casework.intake.texts import file_customer_sms
from complaints import services as complaint_services
from complaints.models import State
from complaints.tests.factories import complaint_in_state, register
from refunds.tests.factories import refund_for_customer

PHONE = "13911002233"
STORED_PHONE = "+8613911002233"
OTHER_PHONE = "13700137000"
ACCOUNT = "WLT-8800-1203"


def customer_with_every_case_type(*, agent, reviewer, desk) -> dict:
    """One customer (the phone, a wallet account): an open complaint about their locked
    account and its unlock request, a refund case from a second complaint, an earlier
    resolved complaint, an acceptance notice and an SMS reply; and another customer."""
    account = wallet_account(account_number=ACCOUNT)
    earlier = complaint_in_state(State.RESOLVED, agent=agent, customer_phone=PHONE)
    locked = register(agent, category="account_locked", customer_phone=PHONE, account_number=ACCOUNT)
    locked = complaint_services.verify_identity(complaint=locked, actor=agent, method="sms_code")
    locked = complaint_services.accept_complaint(complaint=locked, actor=agent)  # tells the customer
    unlock = request_in_state(RequestState.SUBMITTED, agent=agent, reviewer=reviewer, account=account)
    refund = refund_for_customer(agent, desk, "120.00", phone=PHONE)
    file_customer_sms(PHONE, "I still cannot log in, please call me.")
    other = register(agent, customer_phone=OTHER_PHONE, account_number="WLT-7700-5555")
    return {
        "customer": locked.customer,
        "earlier": earlier,
        "locked": locked,
        "unlock": unlock,
        "refund": refund,
        "refund_complaint": refund.complaint,
        "other": other,
    }
