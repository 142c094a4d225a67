"""Four eyes on account requests: whoever verified the caller, collected the proof,
submitted or opened an unlock does not approve it, and a risk lock's unlock needs the
risk officer."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import AccountStatus, LockReason, RequestState, WalletAccount
from accounts.tests.factories import request_in_state, wallet_account
from accounts.tests.readback import records_of, stored
from casework.cases.transitions import check_transition
from casework.core.errors import PermissionRefused
from casework.models import TransitionRecord
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state


def test_the_supervisor_who_collected_evidence_cannot_approve(agent, supervisor, other_supervisor):
    request = request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)
    services.add_evidence(request=request, actor=supervisor, method="face_check", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused) as refused:
        services.approve_request(request=request, actor=supervisor)

    assert refused.value.message == (
        "Four eyes: you verified the caller or collected proof on this request, "
        "so another reviewer must approve it."
    )
    after = stored(request)
    assert (after.state, after.approved_by, after.version) == (
        RequestState.PENDING_REVIEW,
        None,
        request.version,
    )
    assert TransitionRecord.objects.count() == records

    services.approve_request(request=request, actor=other_supervisor, reason="Face check and callback agree")
    after = stored(request)
    assert (after.state, after.approved_by) == (RequestState.APPROVED, other_supervisor)
    assert after.approved_at is not None
    assert records_of(request)[-1].reason == "Face check and callback agree"


def test_the_supervisor_who_submitted_for_review_cannot_approve(agent, supervisor, other_supervisor):
    request = request_in_state(
        RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=other_supervisor, authenticated=True
    )
    services.submit_for_review(request=request, actor=supervisor)

    with pytest.raises(PermissionRefused) as refused:
        services.approve_request(request=request, actor=supervisor)

    assert refused.value.message == (
        "Four eyes: you submitted this request for review, so another reviewer must approve it."
    )

    assert stored(request).state == RequestState.PENDING_REVIEW
    services.approve_request(request=request, actor=other_supervisor)
    assert stored(request).approved_by == other_supervisor


def test_the_supervisor_who_opened_an_unlock_request_cannot_approve_it(agent, supervisor, other_supervisor):
    # Opened on the customer's behalf; an agent does the verification and the proof.
    request = services.open_account_request(actor=supervisor, account_number=wallet_account().account_number)
    services.verify_identity(request=request, actor=agent, method="callback")
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    records = TransitionRecord.objects.count()

    with pytest.raises(PermissionRefused) as refused:
        services.approve_request(request=request, actor=supervisor)
    with pytest.raises(PermissionRefused) as refused_by_the_model:
        check_transition(stored(request), "approve", supervisor)

    assert (
        refused.value.message
        == refused_by_the_model.value.message
        == ("Four eyes: you opened this request, so another reviewer must approve it.")
    )
    assert (stored(request).state, stored(request).approved_by) == (RequestState.PENDING_REVIEW, None)
    assert TransitionRecord.objects.count() == records
    services.approve_request(request=request, actor=other_supervisor)
    assert stored(request).approved_by == other_supervisor


def test_whoever_verified_the_caller_on_the_complaint_cannot_approve_its_unlock(
    agent, supervisor, other_supervisor
):
    # The supervisor took the call and verified the caller; the verification carries over.
    account = wallet_account()
    complaint = complaint_in_state(
        ComplaintState.IN_PROGRESS,
        agent=supervisor,
        category="account_locked",
        account_number=account.account_number,
    )
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)

    with pytest.raises(PermissionRefused, match=r"^Four eyes: you verified the caller"):
        services.approve_request(request=request, actor=supervisor)

    services.approve_request(request=request, actor=other_supervisor)
    assert stored(request).approved_by == other_supervisor


def test_the_supervisor_who_verified_the_callers_identity_cannot_approve(agent, supervisor, other_supervisor):
    request = request_in_state(RequestState.SUBMITTED, agent=agent, reviewer=other_supervisor)
    services.verify_identity(request=request, actor=supervisor, method="callback")
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)

    with pytest.raises(PermissionRefused, match=r"^Four eyes: you verified the caller"):
        services.approve_request(request=request, actor=supervisor)
    with pytest.raises(PermissionRefused, match=r"^Four eyes: you verified the caller"):
        check_transition(request, "approve", supervisor)

    assert stored(request).state == RequestState.PENDING_REVIEW
    services.approve_request(request=request, actor=other_supervisor)


@pytest.mark.parametrize(
    ("lock_reason", "label"),
    [(LockReason.SUSPICIOUS_ACTIVITY, "suspicious activity"), (LockReason.RISK_CONTROL, "risk control")],
)
def test_unlocking_a_risk_lock_needs_the_risk_officer(lock_reason, label, agent, supervisor, risk_officer):
    account = wallet_account(lock_reason=lock_reason)
    request = request_in_state(
        RequestState.PENDING_REVIEW, agent=agent, reviewer=risk_officer, account=account
    )
    assert request.needs_risk_officer

    with pytest.raises(PermissionRefused) as refused:
        services.approve_request(request=request, actor=supervisor)

    assert refused.value.message == (
        f"The account was locked for {label}: a risk officer must approve the unlock."
    )
    assert stored(request).state == RequestState.PENDING_REVIEW

    services.approve_request(request=request, actor=risk_officer)
    services.execute_request(request=request, actor=risk_officer)
    after = stored(request)
    assert (after.state, after.approved_by) == (RequestState.EXECUTED, risk_officer)
    assert WalletAccount.objects.get(pk=account.pk).status == AccountStatus.ACTIVE


@pytest.mark.parametrize(
    "lock_reason", [LockReason.WRONG_PASSWORDS, LockReason.DEVICE_CHANGE, LockReason.CUSTOMER_REQUEST]
)
def test_other_unlocks_need_only_a_second_pair_of_eyes(lock_reason, agent, supervisor):
    account = wallet_account(lock_reason=lock_reason)
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor, account=account)
    services.approve_request(request=request, actor=supervisor)
    assert stored(request).state == RequestState.APPROVED
