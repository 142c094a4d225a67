"""Fixtures several of casework's test modules share: a partner's webhook endpoint on the
loopback and the partner subscribed to it; a complaint with the customer's numbers the
masking tests look for; a real IMAP mailbox (dovecot) for the mail intake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from casework.models import Partner
from casework.tests import mailserver
from casework.tests.environment import require_service
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


@pytest.fixture(scope="session")
def imap_server() -> Iterator[mailserver.ImapServer]:
    """Dovecot on the loopback for the whole session (``make mailserver`` installs it)."""
    require_service(mailserver.available(), "dovecot-imapd (make mailserver)")
    with mailserver.dovecot() as server:
        yield server


@pytest.fixture
def complaints_mailbox(imap_server, settings) -> mailserver.ImapServer:
    """The complaints mailbox, empty, and the intake configured to read it."""
    imap_server.empty()
    settings.CUSTOMER_MAIL_IMAP_URL = imap_server.url
    return imap_server
