"""Fixtures every app's tests share: one user per role, a partner, the clock's teams.

The plain helpers they are built on, which tests import too, live beside the shared tests:
``casework/tests/users.py``, ``queues.py`` and ``environment.py`` (``require_service``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from casework.access import roles
from casework.cases.references import forget_sequences
from casework.models import Partner, Team
from casework.tests.api import client_for
from casework.tests.environment import require_service
from casework.tests.queues import own_queue
from casework.tests.users import make_user
from config.directories import prepare_web_process


def pytest_configure(config) -> None:
    # As a web process starts: the test database's folder (SQLite), and STATIC_ROOT, which
    # whitenoise looks for each time a test's client or live server starts the middleware.
    prepare_web_process()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Demo-strength hashing: the suite creates many users; production keeps PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def holding_reply_regime(settings) -> None:
    """Cases run under EU PSD2 (a holding reply extends 15 to 35 business days at once, no
    approval): for the tests about the holding response itself, not about PBOC's approval."""
    settings.REGIME = "eu-psd2"


@pytest.fixture
def agent(db) -> User:
    return make_user("agent.wang", roles.AGENT)


@pytest.fixture
def other_agent(db) -> User:
    return make_user("agent.zhao", roles.AGENT)


@pytest.fixture
def technician(db) -> User:
    return make_user("tech.chen", roles.TECHNICAL_TEAM)


@pytest.fixture
def complaints_officer(db) -> User:
    return make_user("cd.liu", roles.COMPLAINTS_DEPARTMENT)


@pytest.fixture
def supervisor(db) -> User:
    return make_user("sup.huang", roles.SUPERVISOR)


@pytest.fixture
def auditor(db) -> User:
    return make_user("audit.sun", roles.AUDITOR)


@pytest.fixture
def risk_officer(db) -> User:
    return make_user("risk.ma", roles.RISK_OFFICER)


@pytest.fixture
def partner(db) -> Partner:
    user = make_user("partner-acme", roles.PARTNER)
    return Partner.objects.create(code="acme", name="ACME Pay", user=user)


@pytest.fixture
def other_partner(db) -> Partner:
    user = make_user("partner-globex", roles.PARTNER)
    return Partner.objects.create(code="globex", name="Globex Wallet", user=user)


@pytest.fixture
def technical_team(db) -> Team:
    return Team.objects.get(code="technical")


@pytest.fixture
def complaints_department(db) -> Team:
    return Team.objects.get(code="complaints-dept")


# The partner door: each app's API tests call it as a partner, or as another one.


@pytest.fixture
def api(partner) -> APIClient:
    return client_for(partner.user)


@pytest.fixture
def other_api(other_partner) -> APIClient:
    return client_for(other_partner.user)


@pytest.fixture(autouse=True)
def default_language():
    """A request in Chinese leaves Chinese active in the thread (LocaleMiddleware activates,
    never deactivates): each test starts, and ends, in the default language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def chinese_admin(client, django_user_model):
    """A superuser's admin session with 简体中文 chosen in the header (the language cookie)."""
    superuser = django_user_model.objects.create_superuser("root.zh", "root.zh@wallet.example", "unused")
    client.force_login(superuser)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    return client


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) that Django's SMTP backend sends to."""
    from casework.tests.smtp_server import smtp_server_on_loopback

    with smtp_server_on_loopback() as mailbox:
        yield mailbox


@pytest.fixture(autouse=True)
def own_sms_folder(settings, tmp_path) -> None:
    """Each test's SMS land in its own folder, never the demo's var/sms/."""
    settings.SMS_FILE_PATH = str(tmp_path / "sms")


@pytest.fixture(autouse=True)
def own_audit_anchors(settings, tmp_path) -> None:
    """Each test anchors its own trail: never the demo's var/audit-anchors.log. (The key
    comes from the environment: casework/tests/environment.py.)"""
    settings.AUDIT_ANCHOR_FILE = tmp_path / "audit-anchors.log"


@pytest.fixture(autouse=True)
def fresh_throttle_counts() -> None:
    # Throttle counts live in the cache (Redis in CI): no test inherits another's requests.
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_reference_numbers(request, django_db_blocker) -> Iterator[None]:
    """A test that commits (transactional_db, live_server) leaves the day's reference
    sequences behind its flushed tables (PostgreSQL); drop them, so the next test numbers
    from 1 like the ones before it."""
    yield
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        with django_db_blocker.unblock():
            forget_sequences()


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded evidence lands in the test's own folder, returned to look into."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def require_postgres(db) -> None:
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True, scope="session")
def tests_publish_to_their_own_queue() -> Iterator[None]:
    """Notices committed by tests never reach a demo worker's queue, nor linger in it."""
    with own_queue("test-session"):
        yield
