"""Fixtures the account tests share: a second supervisor (four eyes needs two) and the
counting gateway, configured for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accounts.tests.gateways import COUNTING_GATEWAY, CountingGateway
from casework.access import roles
from casework.tests.users import make_user


@pytest.fixture
def counting_gateway(settings) -> Iterator[type[CountingGateway]]:
    """Configure the counting gateway for this test, starting from no calls."""
    settings.ACCOUNT_GATEWAY = COUNTING_GATEWAY
    CountingGateway.calls.clear()
    yield CountingGateway
    CountingGateway.calls.clear()


@pytest.fixture
def other_supervisor(db):
    return make_user("sup.li", roles.SUPERVISOR)
