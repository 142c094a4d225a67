"""An account unlock with four eyes, clicked through the admin (README: "An account unlock"):
the agent opens it from the customer's complaint, a supervisor checks the ID scan and sends
it for review, the supervisor may not approve what they checked themselves, and a risk
officer approves and executes it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import AccountRequest, AccountStatus, LockReason, RequestState, WalletAccount
from casework.models import TransitionRecord
from casework.privacy.masking import mask_account_number
from complaints.models import ResolutionCode, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser


@pytest.fixture
def locked_account(db) -> WalletAccount:
    """Reference data from the wallet core: locked after too many wrong passwords."""
    return WalletAccount.objects.create(
        account_number="6222007700001234",
        holder_name="Li Wei",
        phone_masked="138****8000",
        status=AccountStatus.LOCKED,
        lock_reason=LockReason.WRONG_PASSWORDS,
        locked_at=timezone.now(),
        failed_attempts=5,
    )


def test_an_unlock_is_approved_by_someone_who_took_no_part_in_the_checks(
    browser, agent, supervisor, risk_officer, locked_account, scan
):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        category="account_locked",
        account_number=locked_account.account_number,
    )

    # The agent opens the request from the complaint: the verified identity carries over.
    browser.log_in(agent)
    browser.visit("/admin/complaints/complaint/")
    browser.follow(complaint.reference)
    browser.press("Open unlock request")
    browser.apply()
    account_request = AccountRequest.objects.get()
    assert browser.messages() == [
        f"Opened {account_request.reference} to unlock account "
        f"{mask_account_number(locked_account.account_number)} from {complaint.reference}; "
        "it is now identity verified."
    ]
    assert browser.state() == "identity verified"

    browser.press("Collect authentication")
    browser.choose("method", "SMS one-time code")
    browser.pick("outcome", "passed")
    browser.fill("note", "Code read back correctly")
    browser.apply()
    assert browser.messages() == [f"{account_request.reference}: collect authentication done."]

    # A supervisor checks the ID scan the customer sent and sends the request for review.
    browser.log_in(supervisor)
    browser.visit("/admin/accounts/accountrequest/")
    browser.follow(account_request.reference)
    browser.press("Collect authentication")
    browser.choose("method", "ID document")
    browser.pick("outcome", "passed")
    browser.attach("file", scan)
    browser.fill("note", "ID card matches the holder")
    browser.apply()
    assert browser.messages() == [f"{account_request.reference}: collect authentication done."]
    browser.press("Submit for review")
    browser.apply()
    assert browser.messages() == [
        f"{account_request.reference}: submit for review done; it is now pending review."
    ]

    # Four eyes: the supervisor collected proof, so is not offered the approval, and is told
    # why when opening it anyway (a 403 page), then goes back to the request, unchanged.
    assert "Approve" not in browser.buttons()
    browser.visit(f"/admin/accounts/accountrequest/{account_request.pk}/transition/approve/")
    assert browser.refusal() == (
        "Four eyes: you verified the caller or collected proof on this request, "
        "so another reviewer must approve it."
    )
    browser.follow(f"Back to {account_request.reference}")
    assert browser.state() == "pending review"
    account_request.refresh_from_db()
    assert (account_request.state, account_request.approved_by) == (RequestState.PENDING_REVIEW, None)

    # The risk officer, who checked nothing, approves and executes.
    browser.log_in(risk_officer)
    browser.visit("/admin/accounts/accountrequest/")
    browser.follow(account_request.reference)
    browser.press("Approve")
    browser.fill("reason", "SMS code and ID both passed, checked by two people")
    browser.apply()
    assert browser.messages() == [f"{account_request.reference}: approve done; it is now approved."]
    browser.press("Execute")
    browser.apply()
    assert browser.messages() == [f"{account_request.reference}: execute done; it is now executed."]
    assert browser.state() == "executed"
    assert [row[1:3] for row in browser.timeline() if row[0] == "transition"] == [
        ("agent.wang", "open: → submitted"),
        ("agent.wang", "verify identity: submitted → identity verified"),
        ("agent.wang", "collect authentication (stays identity verified)"),
        ("sup.huang", "collect authentication (stays identity verified)"),
        ("sup.huang", "submit for review: identity verified → pending review"),
        ("risk.ma", "approve: pending review → approved"),
        ("risk.ma", "execute: approved → executed"),
    ]

    # The account is active again, and the complaint it came from is resolved.
    browser.visit(f"/admin/accounts/walletaccount/{locked_account.pk}/change/")
    assert browser.field("status") == "active"
    browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert browser.state() == "resolved"

    account_request.refresh_from_db()
    assert (account_request.state, account_request.approved_by) == (RequestState.EXECUTED, risk_officer)
    locked_account.refresh_from_db()
    assert (locked_account.status, locked_account.lock_reason) == (AccountStatus.ACTIVE, "")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code) == (State.RESOLVED, ResolutionCode.UNLOCKED)
    assert list(
        TransitionRecord.objects.filter(case_reference=account_request.reference)
        .order_by("id")
        .values_list("transition", "actor_label")
    ) == [
        ("open", "agent.wang"),
        ("verify_identity", "agent.wang"),
        ("collect_authentication", "agent.wang"),
        ("collect_authentication", "sup.huang"),
        ("submit_for_review", "sup.huang"),
        ("approve", "risk.ma"),
        ("execute", "risk.ma"),
    ]
