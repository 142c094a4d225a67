"""Fixtures several of casework's test modules share: a partner's webhook endpoint on the
loopback and the partner subscribed to it; a complaint with the customer's numbers the
masking tests look for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from casework.models import Partner
from casework.tests.masked_numbers import ACCOUNT, PHONE
from casework.tests.partner_endpoint import PartnerEndpoint, serving, subscribe
from complaints.models import Complaint
from complaints.tests.factories import register


@pytest.fixture
def endpoint() -> Iterator[PartnerEndpoint]:
    with serving(PartnerEndpoint()) as server:
        yield server


@pytest.fixture
def subscribed(partner, endpoint) -> Partner:
    """ACME, with its webhooks going to the endpoint."""
    return subscribe(partner, f"{endpoint.url}/acme/")


@pytest.fixture
def complaint(agent) -> Complaint:
    return register(agent, category="account_locked", customer_phone=PHONE, account_number=ACCOUNT)
