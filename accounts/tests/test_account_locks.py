"""Judicial freezes and protective locks: an unlock of a freeze is recorded and refused at
once, even when the court freezes the account while the unlock waits; a protective lock
is executed as soon as the caller's identity is verified."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.gateways import LocalAccountGateway
from accounts.models import (
    AccountRequest,
    AccountStatus,
    LockReason,
    RequestKind,
    RequestState,
    WalletAccount,
    is_not_judicial_freeze,
)
from accounts.tests.factories import request_in_state, wallet_account
from accounts.tests.readback import records_of, stored
from casework.cases.transitions import check_transition
from casework.core.errors import TransitionRefused

# Judicial freeze.


def test_an_unlock_of_a_judicial_freeze_is_recorded_and_refused_at_once(agent):
    account = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)

    request = services.open_account_request(
        actor=agent, account_number=account.account_number, customer_statement="My salary cannot be paid in."
    )

    after = stored(request)
    assert after.state == RequestState.REJECTED
    assert after.rejection_reason == services.JUDICIAL_FREEZE_REFUSAL
    assert "A judicial freeze cannot be lifted here" in after.rejection_reason
    opened, rejected = records_of(request)
    assert (opened.transition, opened.actor) == ("open", agent)
    assert (rejected.transition, rejected.source_state, rejected.target_state) == (
        "reject",
        RequestState.SUBMITTED,
        RequestState.REJECTED,
    )
    assert (rejected.actor, rejected.actor_label) == (None, "judicial freeze rule")
    assert rejected.reason == services.JUDICIAL_FREEZE_REFUSAL
    assert after.sla_clock.stopped_at is not None
    frozen = WalletAccount.objects.get(pk=account.pk)
    assert (frozen.status, frozen.lock_reason) == (AccountStatus.FROZEN, LockReason.JUDICIAL_FREEZE)
    assert frozen.history.count() == 1


def test_the_refused_freeze_leaves_the_account_free_for_the_next_request(agent):
    account = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    services.open_account_request(actor=agent, account_number=account.account_number)
    again = services.open_account_request(actor=agent, account_number=account.account_number)
    assert again.state == RequestState.REJECTED  # refused again, not "already has an open request"


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("submit_for_review", RequestState.IDENTITY_VERIFIED),
        ("approve", RequestState.PENDING_REVIEW),
        ("execute", RequestState.APPROVED),
    ],
)
def test_review_approve_and_execute_are_guarded_against_a_judicial_freeze(name, source):
    # No such request gets past opening through the services: the guard is shown on the model.
    found = getattr(AccountRequest, name)._django_fsm.get_transition(source)
    assert is_not_judicial_freeze in found.conditions
    assert not is_not_judicial_freeze(
        AccountRequest(kind=RequestKind.UNLOCK, lock_reason=LockReason.JUDICIAL_FREEZE)
    )
    assert is_not_judicial_freeze(
        AccountRequest(kind=RequestKind.LOCK, lock_reason=LockReason.JUDICIAL_FREEZE)
    )


def test_execute_refuses_a_judicial_freeze_unlock_with_the_reason():
    unlock = AccountRequest(
        kind=RequestKind.UNLOCK, lock_reason=LockReason.JUDICIAL_FREEZE, state=RequestState.APPROVED
    )
    with pytest.raises(TransitionRefused) as refused:
        check_transition(unlock, "execute", None)
    assert refused.value.message == is_not_judicial_freeze.refusal
    assert refused.value.message.startswith("A judicial freeze cannot be lifted here: only the court's")


# A court may freeze the account while its unlock waits: the guard reads the account as
# it is now, not the lock reason copied when the request opened, and the gateway refuses.
@pytest.mark.parametrize("source", [RequestState.PENDING_REVIEW, RequestState.APPROVED])
def test_an_account_frozen_while_its_unlock_waits_stays_frozen(source, agent, supervisor):
    request = request_in_state(source, agent=agent, reviewer=supervisor)
    LocalAccountGateway().freeze(
        request.account.account_number,
        reason=LockReason.JUDICIAL_FREEZE,
        idempotency_key="court-order-2026-118",
        actor=None,
    )

    with pytest.raises(TransitionRefused, match="A judicial freeze cannot be lifted here"):
        if source == RequestState.PENDING_REVIEW:
            services.approve_request(request=request, actor=supervisor)
            services.execute_request(request=request, actor=supervisor)
        else:
            services.execute_request(request=request, actor=supervisor)

    assert WalletAccount.objects.get(pk=request.account_id).status == AccountStatus.FROZEN


# Protective lock.


def test_a_protective_lock_is_executed_at_once_after_identity_verification(agent):
    account = wallet_account(status=AccountStatus.ACTIVE)
    request = services.open_account_request(
        actor=agent,
        account_number=account.account_number,
        kind=RequestKind.LOCK,
        lock_reason=LockReason.CUSTOMER_REQUEST,
        customer_statement="Phone stolen on the metro an hour ago.",
    )
    assert WalletAccount.objects.get(pk=account.pk).status == AccountStatus.ACTIVE

    services.verify_identity(request=request, actor=agent, method="security_questions")

    after = stored(request)
    assert after.state == RequestState.EXECUTED
    assert after.gateway_reference == f"local:{request.reference}-lock"
    assert after.executed_at is not None and after.sla_clock.stopped_at is not None
    locked = WalletAccount.objects.get(pk=account.pk)
    assert (locked.status, locked.lock_reason) == (AccountStatus.LOCKED, LockReason.CUSTOMER_REQUEST)
    assert [(r.transition, r.source_state, r.target_state, r.actor) for r in records_of(request)] == [
        ("open", "", RequestState.SUBMITTED, agent),
        ("verify_identity", RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED, agent),
        ("execute_protective_lock", RequestState.IDENTITY_VERIFIED, RequestState.EXECUTED, agent),
    ]
    change = locked.history.latest("history_id")
    assert (change.history_user, change.history_change_reason) == (agent, f"{request.reference}-lock")


@pytest.mark.parametrize("lock_reason", [LockReason.SUSPICIOUS_ACTIVITY, LockReason.RISK_CONTROL])
def test_any_other_lock_waits_for_review(lock_reason, agent, supervisor, other_supervisor):
    account = wallet_account(status=AccountStatus.ACTIVE)
    request = services.open_account_request(
        actor=agent, account_number=account.account_number, kind=RequestKind.LOCK, lock_reason=lock_reason
    )

    services.verify_identity(request=request, actor=agent, method="callback")

    assert stored(request).state == RequestState.IDENTITY_VERIFIED
    assert WalletAccount.objects.get(pk=account.pk).status == AccountStatus.ACTIVE
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)
    services.execute_request(request=request, actor=other_supervisor)
    locked = WalletAccount.objects.get(pk=account.pk)
    assert (locked.status, locked.lock_reason) == (AccountStatus.LOCKED, lock_reason)
