"""Wallet accounts and account requests for tests.

Accounts are reference data (the wallet core's view), so they are written directly.
Requests are only ever moved through ``accounts.services``, so they are what production
makes: every step leaves its transition record, history row and clock change.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.conf import settings
from django.utils import timezone

from accounts import services
from accounts.models import (
    AccountRequest,
    AccountStatus,
    AuthenticationMethod,
    LockReason,
    Outcome,
    RequestKind,
    RequestState,
    WalletAccount,
)

_sequence = itertools.count(1)


def wallet_account(*, served_by=None, **overrides) -> WalletAccount:
    """A wallet account, by default locked after too many wrong passwords; linked to the
    partner ``served_by`` names, so that partner may ask for it."""
    number = next(_sequence)
    values = {
        "account_number": f"62220088{number:08d}",
        "holder_name": "Li Wei",
        "phone_masked": "138****8000",
        "status": AccountStatus.LOCKED,
    }
    values.update(overrides)
    if values["status"] == AccountStatus.ACTIVE:
        values.setdefault("lock_reason", "")
    else:
        values.setdefault("lock_reason", LockReason.WRONG_PASSWORDS)
        values.setdefault("locked_at", timezone.now() - dt.timedelta(hours=2))
        values.setdefault("failed_attempts", 5 if values["lock_reason"] == LockReason.WRONG_PASSWORDS else 0)
    account = WalletAccount.objects.create(**values)
    if served_by is not None:
        serve(served_by, account)
    return account


def serve(partner, account: WalletAccount):
    """Link the account to the partner, as the wallet company does for a partner's customer."""
    return services.link_partner_to_account(
        partner=partner,
        account=account,
        basis="The customer's wallet was opened through the partner.",
        actor=None,
    )


# The steps from a fresh request to each state. Who takes them: the agent verifies,
# collects the authentication, submits and cancels; the reviewer approves, executes and
# rejects (so the four-eyes rule never stands in the way).
PATHS: dict[str, tuple[str, ...]] = {
    RequestState.SUBMITTED: (),
    RequestState.IDENTITY_VERIFIED: ("verify",),
    RequestState.PENDING_REVIEW: ("verify", "authenticate", "submit"),
    RequestState.APPROVED: ("verify", "authenticate", "submit", "approve"),
    RequestState.EXECUTED: ("verify", "authenticate", "submit", "approve", "execute"),
    RequestState.REJECTED: ("reject",),
    RequestState.CANCELLED: ("cancel",),
    RequestState.EXPIRED: ("expire",),
}


def request_in_state(
    state: str,
    *,
    agent,
    reviewer,
    account: WalletAccount | None = None,
    kind: str = RequestKind.UNLOCK,
    lock_reason: str = "",
    authenticated: bool = False,
    **open_arguments,
) -> AccountRequest:
    """A request opened by ``agent`` and driven through the services to ``state``.

    Without ``account``, an unlock of a fresh account locked for wrong passwords (a lock
    request gets an active account). ``authenticated`` also collects a passed SMS code on
    an identity-verified request, so it is ready to submit. ``reviewer`` must be allowed
    to approve it: a risk officer for suspicious-activity and risk-control unlocks.
    An expired request is opened ``ACCOUNT_REQUEST_EXPIRY_DAYS`` and a day ago and expired
    by the clock's own service, which also expires any other request that old.
    """
    if account is None:
        account = (
            wallet_account(status=AccountStatus.ACTIVE) if kind == RequestKind.LOCK else wallet_account()
        )
    steps = list(PATHS[state])
    if authenticated and state == RequestState.IDENTITY_VERIFIED:
        steps.append("authenticate")
    if "expire" in steps:
        days = settings.ACCOUNT_REQUEST_EXPIRY_DAYS + 1
        open_arguments.setdefault("received_at", timezone.now() - dt.timedelta(days=days))
    request = services.open_account_request(
        actor=agent,
        account_number=account.account_number,
        kind=kind,
        lock_reason=lock_reason,
        customer_statement="Forgot my password and got locked out after five tries.",
        **open_arguments,
    )
    for step in steps:
        request = _run(step, request, agent=agent, reviewer=reviewer)
    assert request.state == state, (request.state, state)
    return request


def _run(step: str, request: AccountRequest, *, agent, reviewer) -> AccountRequest:
    match step:
        case "verify":
            return services.verify_identity(request=request, actor=agent, method="callback")
        case "authenticate":
            services.add_evidence(
                request=request,
                actor=agent,
                method=AuthenticationMethod.SMS_CODE,
                outcome=Outcome.PASSED,
                note="One-time code sent to the registered phone; read back correctly.",
            )
            return request
        case "submit":
            return services.submit_for_review(request=request, actor=agent)
        case "approve":
            return services.approve_request(request=request, actor=reviewer)
        case "execute":
            return services.execute_request(request=request, actor=reviewer)
        case "reject":
            return services.reject_request(
                request=request, actor=reviewer, reason="The caller could not confirm recent transactions."
            )
        case "cancel":
            return services.cancel_request(request=request, actor=agent)
        case "expire":
            services.expire_stale_requests(timezone.now())
            return AccountRequest.objects.get(pk=request.pk)
    raise ValueError(f"Unknown step {step!r}")
