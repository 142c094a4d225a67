"""Two reviewers at the same moment: one approval, one gateway call, one open request per
account. Only PostgreSQL has the row locks to show it with (SQLite serialises writers):
each test is marked ``postgres``."""

from __future__ import annotations

from functools import partial

import pytest

from accounts import services
from accounts.models import AccountRequest, AccountStatus, RequestState, WalletAccount
from accounts.tests.factories import request_in_state, wallet_account
from accounts.tests.readback import stored
from casework.core.errors import ConcurrentChange, InvalidInput
from casework.models import TransitionRecord
from casework.tests.races import at_the_same_moment, race, won_and_lost


@pytest.mark.postgres
def test_two_reviewers_approving_at_once_approve_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, supervisor, other_supervisor
):
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)

    outcomes = at_the_same_moment(
        request, services.approve_request, [supervisor, other_supervisor], passed_as="request"
    )

    won, lost = won_and_lost(outcomes, AccountRequest)
    assert isinstance(lost, ConcurrentChange)
    assert (
        lost.message
        == f"{request.reference} was changed by someone else after you opened it; reload and try again."
    )
    after = stored(request)
    assert after.state == RequestState.APPROVED
    assert after.approved_by == won.approved_by
    assert after.approved_by in (supervisor, other_supervisor)
    [approval] = TransitionRecord.objects.filter(case_reference=request.reference, transition="approve")
    assert approval.actor == after.approved_by


@pytest.mark.postgres
def test_two_executes_at_once_call_the_gateway_once(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    counting_gateway,
    agent,
    supervisor,
    other_supervisor,
):
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)

    outcomes = at_the_same_moment(
        request, services.execute_request, [supervisor, other_supervisor], passed_as="request"
    )

    _, lost = won_and_lost(outcomes, AccountRequest)
    assert isinstance(lost, ConcurrentChange)
    assert "was changed by someone else after you opened it" in lost.message
    assert counting_gateway.calls == [
        ("unlock", request.account.account_number, f"{request.reference}-unlock")
    ]
    assert stored(request).state == RequestState.EXECUTED
    assert (
        TransitionRecord.objects.filter(case_reference=request.reference, transition="execute").count() == 1
    )
    account = WalletAccount.objects.get(pk=request.account_id)
    assert account.status == AccountStatus.ACTIVE
    assert account.history.filter(status=AccountStatus.ACTIVE).count() == 1


# "One open request per account" holds under a race: the account row is locked before
# the check, and a partial unique constraint backs it up.
@pytest.mark.postgres
def test_two_requests_opened_at_once_for_one_account_open_one(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent
):
    account = wallet_account()

    outcomes = race(
        partial(services.open_account_request, actor=agent, account_number=account.account_number),
        partial(services.open_account_request, actor=other_agent, account_number=account.account_number),
    )

    _, lost = won_and_lost(outcomes, AccountRequest)
    assert isinstance(lost, InvalidInput) and lost.field == "account_number"
    assert AccountRequest.objects.filter(account=account).count() == 1
