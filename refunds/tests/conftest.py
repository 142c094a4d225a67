"""Who works refund cases: two people on the refunds desk (four eyes needs two) and the
payments system's API user, which reports settlements and does nothing else, with its API
client; a case in any state; four eyes' thresholds as the tests count them; and a clock
the test can stop and move."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from rest_framework.test import APIClient

from casework.access import roles
from casework.models import Partner
from casework.tests.api import client_for
from casework.tests.users import make_user
from refunds.models import RefundCase
from refunds.tests.clock import StoppedClock
from refunds.tests.factories import PAYMENTS_SYSTEM, refund_in_state


@pytest.fixture
def refunds_desk(db) -> User:
    # An e-mail address, so reminders go to the handler rather than the desk's mailbox.
    return make_user("refunds.zhou", roles.REFUNDS_DESK, email="zhou.min@wallet.example")


@pytest.fixture
def other_refunds_desk(db) -> User:
    return make_user("refunds.qian", roles.REFUNDS_DESK, email="qian.li@wallet.example")


@pytest.fixture
def payments_system(db) -> User:
    """The payments system's API user: a partner whose keys may report settlements."""
    user = make_user("payments-system", PAYMENTS_SYSTEM)
    # A machine caller on the API, never a staff login (as load_demo creates it).
    User.objects.filter(pk=user.pk).update(is_staff=False)
    Partner.objects.create(code="payments", name="Payments system", user=user)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def refund_case_in(agent, refunds_desk, other_refunds_desk, payments_system) -> Callable[..., RefundCase]:
    """A refund case opened by the agent and driven to a state by the refunds desk (the other
    desk member gives second approvals; the payments system reports)."""

    def make(state: str, **open_arguments) -> RefundCase:
        return refund_in_state(
            state,
            agent=agent,
            desk=refunds_desk,
            second=other_refunds_desk,
            payments=payments_system,
            **open_arguments,
        )

    return make


@pytest.fixture
def clock(monkeypatch) -> StoppedClock:
    stopped = StoppedClock(timezone.now())
    monkeypatch.setattr(timezone, "now", lambda: stopped.now)
    return stopped


@pytest.fixture
def thresholds(settings) -> dict[str, str]:
    """Four eyes above CNY 5,000 (and the other defaults), whatever the environment says."""
    settings.REFUND_FOUR_EYES_THRESHOLDS = {"CNY": "5000", "USD": "700", "JPY": "100000"}
    return settings.REFUND_FOUR_EYES_THRESHOLDS


@pytest.fixture
def payments_api(payments_system) -> APIClient:
    return client_for(payments_system)
