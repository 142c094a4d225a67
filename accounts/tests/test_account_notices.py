"""An unlock executed is told to the customer of the complaint it came from, once."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import LockReason
from accounts.tests.factories import wallet_account
from casework.models import CustomerMessage
from casework.privacy.masking import mask_account_number
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


def test_an_executed_unlock_tells_the_customer_by_sms_with_the_account_masked(agent, supervisor):
    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS)
    complaint = complaint_in_state(
        ComplaintState.ACCEPTED,
        agent=agent,
        category="account_locked",
        account_number=account.account_number,
        customer_phone="13800138000",
        description="Locked out after five wrong passwords; cannot pay my rent.",
    )
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)

    services.execute_request(request=request, actor=supervisor)

    [unlocked] = CustomerMessage.objects.filter(case_reference=request.reference)
    masked = mask_account_number(account.account_number)
    assert (unlocked.kind, unlocked.channel, unlocked.address) == ("unlock_executed", "sms", "+8613800138000")
    assert (
        unlocked.body_text
        == f"钱包账户{masked}已解锁（申请{request.reference}）。如非本人操作请立即致电95017。"  # noqa: RUF001 (Chinese punctuation)
    )
    assert account.account_number not in unlocked.body_text
    assert not CustomerMessage.objects.filter(case_reference=complaint.reference, kind="decision").exists()
