"""What the account admin tests share: the admin's addresses, a wallet account as the
wallet core has it, requests opened and verified through the services, and collecting
an authentication on the admin's step page."""

from __future__ import annotations

import itertools

from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountRequest, AccountStatus, LockReason, WalletAccount
from casework.tests.admin import act, admin_url

CHANGELIST = reverse("admin:accounts_accountrequest_changelist")
ADD = reverse("admin:accounts_accountrequest_add")
ACCOUNTS = reverse("admin:accounts_walletaccount_changelist")

_numbers = itertools.count(1)


def wallet_account(status: str = AccountStatus.LOCKED, **overrides) -> WalletAccount:
    """Reference data from the wallet core: written directly, locked by default."""
    locked = status != AccountStatus.ACTIVE
    values = {
        "account_number": f"62220077{next(_numbers):08d}",
        "holder_name": "Li Wei",
        "phone_masked": "138****8000",
        "status": status,
        "lock_reason": LockReason.WRONG_PASSWORDS if locked else "",
        "locked_at": timezone.now() if locked else None,
        "failed_attempts": 5 if locked else 0,
    }
    return WalletAccount.objects.create(**{**values, **overrides})


def open_request(actor, account: WalletAccount | None = None, **arguments) -> AccountRequest:
    account = account or wallet_account()
    return services.open_account_request(
        actor=actor, account_number=account.account_number, customer_statement="Locked out.", **arguments
    )


def verified_request(agent, **arguments) -> AccountRequest:
    return services.verify_identity(request=open_request(agent, **arguments), actor=agent, method="callback")


def collect(client, account_request: AccountRequest, **data):
    return act(client, admin_url(account_request, "step", "collect-authentication"), **data)
