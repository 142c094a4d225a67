"""The four-eyes rule of an account request is written twice, on purpose: in Python on the
request (``maker_ids``, ``needs_risk_officer``, what ``approval_refusal`` checks) and as
lookups (``MAKER_FIELDS``, ``NEEDS_RISK_OFFICER``) for My work's "Awaiting my decision".
These tests hold the two to the same answer, so one cannot change without the other."""

from __future__ import annotations

from accounts.models import (
    MAKER_FIELDS,
    NEEDS_RISK_OFFICER,
    AccountRequest,
    AccountStatus,
    LockReason,
    RequestKind,
)
from accounts.services import add_evidence, open_account_request, submit_for_review, verify_identity
from accounts.tests.factories import wallet_account
from casework.access import roles
from casework.tests.users import make_user
from complaints.models import State
from complaints.tests.factories import complaint_in_state


def _makers_by_lookup(request: AccountRequest) -> set[int]:
    rows = AccountRequest.objects.filter(pk=request.pk).values_list(*MAKER_FIELDS)
    return {pk for row in rows for pk in row if pk is not None}


def test_the_makers_lookups_name_whoever_maker_ids_names(agent, supervisor):
    checker = make_user("sup.li", roles.SUPERVISOR)
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    account = wallet_account()
    request = open_account_request(
        actor=supervisor, account_number=account.account_number, complaint=complaint
    )
    request = verify_identity(request=request, actor=supervisor, method="callback")
    add_evidence(request=request, actor=checker, method="sms_code", outcome="passed", note="Read back.")
    request = submit_for_review(request=request, actor=agent)
    request.refresh_from_db()

    assert complaint.identity_verified_by_id is not None
    assert request.maker_ids() == _makers_by_lookup(request)
    assert {agent.pk, supervisor.pk, checker.pk} <= request.maker_ids()


def test_the_risk_officer_lookup_agrees_with_needs_risk_officer(agent):
    asked = [(RequestKind.UNLOCK, reason, {"lock_reason": reason}) for reason in LockReason.values]
    asked.append(
        (RequestKind.LOCK, LockReason.CUSTOMER_REQUEST, {"status": AccountStatus.ACTIVE, "lock_reason": ""})
    )
    answers = set()
    for kind, reason, account in asked:
        request = open_account_request(
            actor=agent,
            account_number=wallet_account(**account).account_number,
            kind=kind,
            lock_reason=reason,
        )
        request.refresh_from_db()
        by_lookup = AccountRequest.objects.filter(NEEDS_RISK_OFFICER, pk=request.pk).exists()
        assert by_lookup == request.needs_risk_officer, (kind, reason)
        answers.add(by_lookup)

    assert answers == {True, False}  # both answers were asked for
