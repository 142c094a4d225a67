"""What the account API tests send: the partner door's addresses, a wallet account as the
wallet core mirrors it, and an unlock a partner sent."""

from __future__ import annotations

from django.utils import timezone

from accounts import services
from accounts.models import AccountRequest, AccountStatus, LockReason, WalletAccount
from accounts.tests.factories import serve

LIST_URL = "/api/v1/account-requests/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def cancel_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/cancel/"


_numbers = iter(range(1000, 10000))


def wallet_account(
    status: str = AccountStatus.LOCKED, lock_reason: str = LockReason.WRONG_PASSWORDS, served_by=None, **extra
) -> WalletAccount:
    """Reference data mirrored from the wallet core: made directly, as the core would."""
    number = next(_numbers)
    if status == AccountStatus.ACTIVE:
        lock_reason = ""
    values = {
        "account_number": f"WLT-7000-{number}",
        "holder_name": "Li Lei",
        "phone_masked": f"138****{number}",
        "status": status,
        "lock_reason": lock_reason,
        "locked_at": None if status == AccountStatus.ACTIVE else timezone.now(),
    }
    values.update(extra)
    account = WalletAccount.objects.create(**values)
    if served_by is not None:
        serve(served_by, account)
    return account


def send_unlock(partner, account: WalletAccount | None = None, **overrides) -> AccountRequest:
    """An unlock request the partner sent, straight through the service."""
    account = account or wallet_account()
    serve(partner, account)
    details = {"customer_statement": "Locked after wrong passwords."}
    details.update(overrides)
    return services.open_account_request(
        actor=partner.user, partner=partner, account_number=account.account_number, **details
    )
