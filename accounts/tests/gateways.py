"""A gateway for tests: the local one, counting the changes it is asked for; the
``counting_gateway`` fixture in ``conftest.py`` configures it."""

from __future__ import annotations

from typing import ClassVar

from accounts.gateways import LocalAccountGateway


class CountingGateway(LocalAccountGateway):
    """The local gateway, counting the changes it is asked for (in the class: services
    make a new gateway for each call)."""

    calls: ClassVar[list[tuple[str, str, str]]] = []

    def lock(self, account_number: str, *, reason: str, idempotency_key: str, actor=None) -> str:
        type(self).calls.append(("lock", account_number, idempotency_key))
        return super().lock(account_number, reason=reason, idempotency_key=idempotency_key, actor=actor)

    def unlock(self, account_number: str, *, idempotency_key: str, actor=None) -> str:
        type(self).calls.append(("unlock", account_number, idempotency_key))
        return super().unlock(account_number, idempotency_key=idempotency_key, actor=actor)

    def freeze(self, account_number: str, *, reason: str, idempotency_key: str, actor=None) -> str:
        type(self).calls.append(("freeze", account_number, idempotency_key))
        return super().freeze(account_number, reason=reason, idempotency_key=idempotency_key, actor=actor)


COUNTING_GATEWAY = f"{__name__}.CountingGateway"
