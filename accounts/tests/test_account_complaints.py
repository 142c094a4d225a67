"""The complaint an account request came from: an unlock carries the complaint's identity
verification, and its ending resolves the complaint or leaves it a note."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import (
    AccountRequest,
    AccountStatus,
    LockReason,
    RequestKind,
    RequestState,
    WalletAccount,
)
from accounts.tests.factories import wallet_account
from accounts.tests.readback import records_of, stored
from casework.core.errors import InvalidInput
from casework.models import SlaClock, TransitionRecord
from complaints.models import Complaint, ComplaintNote, ResolutionCode
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state


@pytest.fixture
def locked_account_complaint(agent):
    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS)
    complaint = complaint_in_state(
        ComplaintState.ACCEPTED,
        agent=agent,
        category="account_locked",
        account_number=account.account_number,
        description="Locked out after five wrong passwords; cannot pay my rent.",
    )
    return complaint


def test_an_unlock_from_a_complaint_carries_the_identity_verification(locked_account_complaint, agent):
    complaint = locked_account_complaint

    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)

    after = stored(request)
    assert (after.state, after.complaint, after.kind) == (
        RequestState.IDENTITY_VERIFIED,
        complaint,
        RequestKind.UNLOCK,
    )
    assert (after.identity_verification_method, after.identity_verified_by) == ("sms_code", agent)
    assert after.customer_statement == complaint.description
    verified = records_of(request)[-1]
    assert (verified.transition, verified.reason) == (
        "verify_identity",
        f"Verified on complaint {complaint.reference}",
    )


def test_an_executed_unlock_resolves_its_complaint(locked_account_complaint, agent, supervisor):
    complaint = locked_account_complaint
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)

    services.execute_request(request=request, actor=supervisor)

    resolved = Complaint.objects.get(pk=complaint.pk)
    assert (resolved.state, resolved.resolution_code) == (ComplaintState.RESOLVED, ResolutionCode.UNLOCKED)
    assert request.reference in resolved.resolution_summary
    record = TransitionRecord.objects.filter(case_reference=complaint.reference).latest("id")
    assert (record.transition, record.source_state, record.target_state) == (
        "resolve",
        ComplaintState.ACCEPTED,
        ComplaintState.RESOLVED,
    )
    assert (record.actor, record.actor_label) == (None, f"account request {request.reference}")
    assert record.data == {
        "code": "unlocked",
        "linked_case": request.reference,
        # Upheld, nothing paid; the category's codes, and what nobody recorded yet.
        "classification": {"business_type": "B02", "cause": "C04"},
        "outcome": "upheld",
        "redress_amount": None,
        "classification_missing": ["product", "root_cause"],
    }
    assert (resolved.outcome, resolved.redress_amount) == ("upheld", None)
    assert SlaClock.objects.get(pk=resolved.sla_clock_id).stopped_at is not None
    [note] = ComplaintNote.objects.all()  # for the holder: the codes to record
    assert note.body.startswith("Resolved without its product, root cause")


def test_a_rejected_unlock_leaves_its_complaint_open_with_a_note(locked_account_complaint, agent, supervisor):
    complaint = locked_account_complaint
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="face_check", outcome="failed")

    services.reject_request(request=request, actor=supervisor, reason="Face check failed twice")

    after = Complaint.objects.get(pk=complaint.pk)
    assert after.state == ComplaintState.ACCEPTED
    assert SlaClock.objects.get(pk=after.sla_clock_id).stopped_at is None
    [note] = ComplaintNote.objects.filter(complaint=complaint)
    assert request.reference in note.body and "Face check failed twice" in note.body
    assert note.author == supervisor


def test_an_unlock_that_ends_while_the_complaint_waits_on_the_customer_leaves_a_note(agent, supervisor):
    account = wallet_account()
    complaint = complaint_in_state(
        ComplaintState.AWAITING_CUSTOMER,
        agent=agent,
        category="account_locked",
        account_number=account.account_number,
    )
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)

    services.execute_request(request=request, actor=supervisor)

    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.AWAITING_CUSTOMER
    [note] = ComplaintNote.objects.filter(complaint=complaint)
    assert request.reference in note.body and "executed" in note.body


def test_a_complaint_in_another_category_opens_no_unlock(agent):
    complaint = complaint_in_state(ComplaintState.ACCEPTED, agent=agent)  # a failed transaction
    with pytest.raises(InvalidInput, match="Only a complaint about a locked or frozen account") as refused:
        services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    assert refused.value.field == "category"
    assert not AccountRequest.objects.exists()


def test_an_unlock_from_a_complaint_about_a_judicial_freeze_is_refused_with_a_note(agent):
    account = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    complaint = complaint_in_state(
        ComplaintState.ACCEPTED, agent=agent, category="account_locked", account_number=account.account_number
    )

    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)

    assert stored(request).state == RequestState.REJECTED
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.ACCEPTED
    [note] = ComplaintNote.objects.filter(complaint=complaint)
    assert request.reference in note.body and "A judicial freeze cannot be lifted here" in note.body
    assert WalletAccount.objects.get(pk=account.pk).status == AccountStatus.FROZEN


def test_a_withdrawn_complaint_opens_no_unlock(agent):
    account = wallet_account()
    complaint = complaint_in_state(
        ComplaintState.WITHDRAWN,
        agent=agent,
        category="account_locked",
        account_number=account.account_number,
    )
    with pytest.raises(InvalidInput) as refused:
        services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    assert refused.value.field == "complaint"
    assert not AccountRequest.objects.exists()
