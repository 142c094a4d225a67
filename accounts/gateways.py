"""The one door to the wallet core for account changes.

Services call :func:`gateway` and never touch ``WalletAccount.status`` themselves.
``settings.ACCOUNT_GATEWAY`` names the class: the default changes the local record; a
production gateway calls the wallet core with the same idempotency keys, so a request
executed twice (a retry after a timeout) changes the account once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext

from casework.core.actors import Actor
from casework.core.errors import InvalidInput, TransitionRefused

from .models import AccountStatus, LockReason, WalletAccount


@dataclass(frozen=True)
class AccountState:
    account_number: str
    status: str
    lock_reason: str


class AccountGateway(Protocol):
    def status(self, account_number: str) -> AccountState: ...

    def lock(self, account_number: str, *, reason: str, idempotency_key: str, actor: Actor = None) -> str: ...

    def unlock(self, account_number: str, *, idempotency_key: str, actor: Actor = None) -> str: ...

    def freeze(
        self, account_number: str, *, reason: str, idempotency_key: str, actor: Actor = None
    ) -> str: ...


class LocalAccountGateway:
    """Changes the local ``WalletAccount``; the gateway reference is the idempotency key."""

    def _account(self, account_number: str, *, for_update: bool = False) -> WalletAccount:
        accounts = WalletAccount.objects.select_for_update() if for_update else WalletAccount.objects
        try:
            return accounts.get(account_number=account_number)
        except WalletAccount.DoesNotExist as error:
            raise InvalidInput(
                gettext("There is no wallet account %(account)s.") % {"account": account_number},
                field="account_number",
            ) from error

    def status(self, account_number: str) -> AccountState:
        account = self._account(account_number)
        return AccountState(account.account_number, account.status, account.lock_reason)

    @transaction.atomic
    def _set(self, account_number: str, *, status: str, reason: str, key: str, actor: Actor) -> str:
        account = self._account(account_number, for_update=True)
        if account.status == AccountStatus.FROZEN and status != AccountStatus.FROZEN:
            # The wallet core refuses this too: only the court's release order lifts a freeze.
            raise TransitionRefused(
                gettext("Account %(account)s is frozen: a judicial freeze cannot be lifted here.")
                % {"account": account_number}
            )
        account.status = status
        account.lock_reason = reason
        account.locked_at = None if status == AccountStatus.ACTIVE else timezone.now()
        if status == AccountStatus.ACTIVE:
            account.failed_attempts = 0
        account._history_user = actor
        account._change_reason = key
        account.save()
        return f"local:{key}"

    def lock(self, account_number: str, *, reason: str, idempotency_key: str, actor: Actor = None) -> str:
        return self._set(
            account_number, status=AccountStatus.LOCKED, reason=reason, key=idempotency_key, actor=actor
        )

    def unlock(self, account_number: str, *, idempotency_key: str, actor: Actor = None) -> str:
        return self._set(
            account_number, status=AccountStatus.ACTIVE, reason="", key=idempotency_key, actor=actor
        )

    def freeze(
        self,
        account_number: str,
        *,
        reason: str = LockReason.JUDICIAL_FREEZE,
        idempotency_key: str,
        actor: Actor = None,
    ) -> str:
        return self._set(
            account_number, status=AccountStatus.FROZEN, reason=reason, key=idempotency_key, actor=actor
        )


def gateway() -> AccountGateway:
    return import_string(settings.ACCOUNT_GATEWAY)()
