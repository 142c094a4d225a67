"""The account gateway: the local one changes the WalletAccount and leaves who and why in
its history; executing a request calls the gateway once, however often it is tried."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.gateways import AccountState, LocalAccountGateway, gateway
from accounts.models import AccountRequest, AccountStatus, LockReason, RequestState, WalletAccount
from accounts.tests.factories import request_in_state, wallet_account
from casework.core.errors import ConcurrentChange, InvalidInput, TransitionRefused
from casework.models import TransitionRecord


def reload(account: WalletAccount) -> WalletAccount:
    return WalletAccount.objects.get(pk=account.pk)


# The local gateway.


def test_unlock_activates_the_account_and_keeps_who_and_why(db, supervisor):
    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS, failed_attempts=5)

    reference = LocalAccountGateway().unlock(
        account.account_number, idempotency_key="ACR-20261125-000001-unlock", actor=supervisor
    )

    assert reference == "local:ACR-20261125-000001-unlock"
    unlocked = reload(account)
    assert (unlocked.status, unlocked.lock_reason, unlocked.locked_at, unlocked.failed_attempts) == (
        AccountStatus.ACTIVE,
        "",
        None,
        0,
    )
    change = unlocked.history.latest("history_id")
    assert change.history_user == supervisor
    assert change.history_change_reason == "ACR-20261125-000001-unlock"
    assert change.status == AccountStatus.ACTIVE


def test_lock_locks_the_account_with_its_reason(db, agent):
    account = wallet_account(status=AccountStatus.ACTIVE)

    LocalAccountGateway().lock(
        account.account_number,
        reason=LockReason.CUSTOMER_REQUEST,
        idempotency_key="ACR-20261125-000002-lock",
        actor=agent,
    )

    locked = reload(account)
    assert (locked.status, locked.lock_reason) == (AccountStatus.LOCKED, LockReason.CUSTOMER_REQUEST)
    assert locked.locked_at is not None
    change = locked.history.latest("history_id")
    assert (change.history_user, change.history_change_reason) == (agent, "ACR-20261125-000002-lock")


def test_freeze_freezes_the_account_for_the_judicial_freeze(db, risk_officer):
    account = wallet_account(status=AccountStatus.ACTIVE)

    LocalAccountGateway().freeze(
        account.account_number,
        reason=LockReason.JUDICIAL_FREEZE,
        idempotency_key="court-order-2026-118",
        actor=risk_officer,
    )

    frozen = reload(account)
    assert (frozen.status, frozen.lock_reason) == (AccountStatus.FROZEN, LockReason.JUDICIAL_FREEZE)
    change = frozen.history.latest("history_id")
    assert (change.history_user, change.history_change_reason) == (risk_officer, "court-order-2026-118")


@pytest.mark.parametrize(
    "change",
    [
        lambda g, number: g.unlock(number, idempotency_key="k-1"),
        lambda g, number: g.lock(number, reason=LockReason.WRONG_PASSWORDS, idempotency_key="k-2"),
    ],
    ids=["unlock", "lock"],
)
def test_a_frozen_account_is_neither_unlocked_nor_downgraded_to_a_lock(db, change):
    account = wallet_account(status=AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    history = account.history.count()

    with pytest.raises(TransitionRefused, match="a judicial freeze cannot be lifted here"):
        change(LocalAccountGateway(), account.account_number)

    after = reload(account)
    assert (after.status, after.lock_reason) == (AccountStatus.FROZEN, LockReason.JUDICIAL_FREEZE)
    assert account.history.count() == history


def test_status_reads_the_account(db):
    account = wallet_account(lock_reason=LockReason.DEVICE_CHANGE)
    assert LocalAccountGateway().status(account.account_number) == AccountState(
        account.account_number, AccountStatus.LOCKED, LockReason.DEVICE_CHANGE
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda g: g.unlock("0000000000", idempotency_key="k-1"),
        lambda g: g.lock("0000000000", reason=LockReason.RISK_CONTROL, idempotency_key="k-2"),
        lambda g: g.freeze("0000000000", reason=LockReason.JUDICIAL_FREEZE, idempotency_key="k-3"),
        lambda g: g.status("0000000000"),
    ],
    ids=["unlock", "lock", "freeze", "status"],
)
def test_an_unknown_account_names_the_account_number(db, change):
    with pytest.raises(InvalidInput, match="There is no wallet account 0000000000") as refused:
        change(LocalAccountGateway())
    assert refused.value.field == "account_number"


def test_the_gateway_is_the_configured_class(counting_gateway):
    assert type(gateway()) is counting_gateway


# Executing a request calls the gateway once.


def test_execute_calls_the_gateway_once_with_the_requests_key(counting_gateway, agent, supervisor):
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)

    services.execute_request(request=request, actor=supervisor)

    key = f"{request.reference}-unlock"
    assert counting_gateway.calls == [("unlock", request.account.account_number, key)]
    assert request.gateway_reference == f"local:{key}"
    assert reload(request.account).status == AccountStatus.ACTIVE


def test_executing_twice_calls_the_gateway_once(counting_gateway, agent, supervisor):
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)
    services.execute_request(request=request, actor=supervisor)
    records = TransitionRecord.objects.count()

    with pytest.raises(TransitionRefused, match="Cannot execute this account request: it is executed"):
        services.execute_request(request=request, actor=supervisor)

    assert len(counting_gateway.calls) == 1
    assert TransitionRecord.objects.count() == records
    assert reload(request.account).history.count() == 2  # created, then unlocked once


def test_a_stale_copy_executing_after_the_first_is_refused(counting_gateway, agent, supervisor, other_agent):
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)
    stale = AccountRequest.objects.get(pk=request.pk)
    services.execute_request(request=request, actor=supervisor)

    with pytest.raises(ConcurrentChange, match="was changed by someone else after you opened it; reload"):
        services.execute_request(request=stale, actor=other_agent)

    assert len(counting_gateway.calls) == 1
    assert stale.state == RequestState.EXECUTED  # put back as stored, not left half-moved
    executes = TransitionRecord.objects.filter(case_reference=request.reference, transition="execute")
    assert [record.actor for record in executes] == [supervisor]


def test_a_protective_lock_calls_the_gateway_once(counting_gateway, agent, supervisor):
    account = wallet_account(status=AccountStatus.ACTIVE)
    request = services.open_account_request(
        actor=agent,
        account_number=account.account_number,
        kind="lock",
        lock_reason=LockReason.CUSTOMER_REQUEST,
        customer_statement="Phone stolen on the metro an hour ago.",
    )

    services.verify_identity(request=request, actor=agent, method="security_questions")

    assert counting_gateway.calls == [("lock", account.account_number, f"{request.reference}-lock")]
    with pytest.raises(TransitionRefused):
        services.execute_request(request=request, actor=supervisor)
    assert len(counting_gateway.calls) == 1


def test_a_gateway_failure_leaves_the_request_approved(settings, agent, supervisor):
    """The gateway runs inside the execute transaction: if it fails, nothing is recorded."""
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)
    settings.ACCOUNT_GATEWAY = f"{__name__}.UnreachableGateway"
    records = TransitionRecord.objects.count()

    with pytest.raises(ConnectionError):
        services.execute_request(request=request, actor=supervisor)

    stored = AccountRequest.objects.get(pk=request.pk)
    assert (stored.state, stored.executed_at, stored.gateway_reference) == (RequestState.APPROVED, None, "")
    assert request.state == RequestState.APPROVED and request.version == stored.version
    assert TransitionRecord.objects.count() == records
    assert reload(request.account).status == AccountStatus.LOCKED
    assert stored.sla_clock.stopped_at is None


class UnreachableGateway(LocalAccountGateway):
    """A wallet core that times out."""

    def unlock(self, account_number: str, *, idempotency_key: str, actor=None) -> str:
        raise ConnectionError("wallet core did not answer within 5 s")


# The shell, a management command or a status check calls the gateway outside any
# transaction: on PostgreSQL its row lock needs one of its own.
@pytest.mark.postgres
@pytest.mark.parametrize(
    "change",
    [
        lambda g, number, actor: g.status(number),
        lambda g, number, actor: g.unlock(number, idempotency_key="shell-1", actor=actor),
    ],
    ids=["status", "unlock"],
)
def test_the_local_gateway_works_outside_a_transaction(
    change, require_postgres, transactional_db, django_db_serialized_rollback, supervisor
):
    account = wallet_account()
    change(LocalAccountGateway(), account.account_number, supervisor)
