"""What every case kind's demo stories share: a login for every role, the two demo
partners with their API keys and webhooks, the payments system's key, and :class:`Demo`,
which ``load_demo`` hands to each kind's ``demo.load`` (``casework.models.kinds``).

Demo only: the passwords, API keys and webhook secrets are fixed strings printed on the
console (``casework.access.demo_credentials``, which refuses them outside the demo). Everything
here is looked up before it is made, so the demo loads again over itself. The teams,
calendars and SLA policies the stories use come with the migrations.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from casework.access import roles
from casework.access.demo_credentials import DemoLogin, demo_key
from casework.models import ApiScope, Partner, PartnerApiKey
from casework.partners.credentials import issue_key

# Each demo case carries an external reference "demo-<key>" (or its complaint does): made once.
DEMO_REFERENCE_PREFIX = "demo-"

PARTNER_CODE = "demopay"
PARTNER_NAME = "DemoPay travel app (demo partner)"
PARTNER_USERNAME = "partner-demopay"
SECOND_PARTNER_CODE = "quickmart"
SECOND_PARTNER_NAME = "QuickMart convenience stores (demo merchant)"
PAYMENTS_CODE = "payments"
PAYMENTS_USERNAME = "payments-system"
PAYMENTS_ROLE = "payments system"
CASE_SCOPES = [scope for scope in ApiScope.values if scope != ApiScope.SETTLEMENTS_REPORT]


@dataclass(frozen=True)
class Demo:
    """What ``load_demo`` gives each kind's stories: the partners (by code), the payments
    system's key, the moment the stories are told at, and the console."""

    partners: Mapping[str, Partner]
    payments_key: str
    now: dt.datetime
    write: Callable[[str], None]
    heading: Callable[[str], None]

    @property
    def partner(self) -> Partner:
        """The travel app: the partner that files most demo cases."""
        return self.partners[PARTNER_CODE]

    @property
    def second_partner(self) -> Partner:
        """The merchant, whose key sees only its own cases."""
        return self.partners[SECOND_PARTNER_CODE]

    @staticmethod
    def user(username: str):
        """A demo login (``casework.access.demo_credentials.STAFF``), by its username."""
        return get_user_model().objects.get(username=username)


def demo_webhook_secret(code: str) -> str:
    """The demo partner's webhook secret (whsec_ + base64 of a fixed string; demo only)."""
    return "whsec_" + base64.b64encode(f"{code}-demo-only-webhook-secret".encode()).decode("ascii")


def staff_user(login: DemoLogin) -> tuple[str, str, str]:
    """The login, made if it is not there; (username, password as printed, role)."""
    User = get_user_model()
    user = User.objects.filter(username=login.username).first()
    if user is None:
        user = User.objects.create_user(
            username=login.username,
            password=login.password,
            email=f"{login.username}@wallet.example",
            first_name=login.first_name,
            last_name=login.last_name,
            is_staff=True,
            is_superuser=login.role is None,
        )
        password = login.password
    else:
        # A second run leaves the account as it is: someone may have changed it on purpose.
        password = login.password if user.check_password(login.password) else "(changed since loaded)"
    if login.role:
        user.groups.add(Group.objects.get(name=login.role))
    return login.username, password, login.role or "superuser (every permission)"


def api_user(username: str, email: str, role: str):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": email, "is_staff": False}
    )
    if created:
        user.set_unusable_password()  # the API key is its only credential
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    return user


def partner_key(partner: Partner, scopes: list[str]) -> str:
    """The partner's fixed demo key; if someone revoked it in the admin, a new random key,
    printed this once like any new key."""
    key = demo_key(partner.code)
    existing = PartnerApiKey.objects.filter(prefix=key.split("_")[1]).first()
    if existing is None:
        return issue_key(partner, name="demo", scopes=scopes, actor=None, key=key)[1]
    if existing.is_usable():
        return key
    return issue_key(partner, name="demo (reissued)", scopes=scopes, actor=None)[1]


def demo_partner(code: str, name: str, email: str) -> tuple[Partner, str]:
    """A demo partner whose webhooks go to the loopback receiver, and its key."""
    user = api_user(f"partner-{code}", email, roles.PARTNER)
    partner, created = Partner.objects.get_or_create(code=code, defaults={"name": name, "user": user})
    if created:
        partner.webhook_url = f"{settings.DEMO_WEBHOOK_RECEIVER_URL.rstrip('/')}/{code}/"
        partner.webhook_secret = demo_webhook_secret(code)
        partner.save(update_fields=["webhook_url", "webhook_secret"])
    return partner, partner_key(partner, CASE_SCOPES)


def payments_system() -> tuple[Partner, str]:
    """The payments system and its API key: it reports settlements and does nothing else."""
    user = api_user(PAYMENTS_USERNAME, "ops@payments.example", PAYMENTS_ROLE)
    partner, _ = Partner.objects.get_or_create(
        code=PAYMENTS_CODE, defaults={"name": "Payments system", "user": user}
    )
    return partner, partner_key(partner, [ApiScope.SETTLEMENTS_REPORT])
