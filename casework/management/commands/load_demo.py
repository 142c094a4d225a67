"""Demo data for a first look: a login for every role, a partner with an API token, and
complaints in every state of the complaint state machine.

Demo only: the passwords are fixed strings printed on the console, so the command refuses
to run with DEBUG off unless given ``--force``. It is safe to run again (``make run`` runs
it after every migrate): users, the partner and its token are looked up before they are
made, and each demo complaint carries a ``demo-...`` external reference and is created
once. Complaints move only through ``complaints.services``, as staff would move them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from casework import roles
from casework.models import Partner
from casework.teams import team_for_code
from complaints import services
from complaints.models import Complaint

DEMO_REFERENCE_PREFIX = "demo-"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str | None  # None: the superuser
    first_name: str
    last_name: str
    password: str  # demo only, printed on the console


STAFF = (
    DemoLogin("admin", None, "Wei", "Zhang", "admin-demo-only"),
    DemoLogin("agent", roles.AGENT, "Fang", "Wang", "agent-demo-only"),
    DemoLogin("technician", roles.TECHNICAL_TEAM, "Jie", "Chen", "technician-demo-only"),
    DemoLogin("complaints", roles.COMPLAINTS_DEPARTMENT, "Yang", "Liu", "complaints-demo-only"),
    DemoLogin("supervisor", roles.SUPERVISOR, "Min", "Huang", "supervisor-demo-only"),
    DemoLogin("risk", roles.RISK_OFFICER, "Lin", "Ma", "risk-demo-only"),
    DemoLogin("refunds", roles.REFUNDS_DESK, "Hui", "Zhou", "refunds-demo-only"),
    DemoLogin("auditor", roles.AUDITOR, "Li", "Sun", "auditor-demo-only"),
)
PARTNER_CODE = "demopay"
PARTNER_NAME = "DemoPay travel app (demo partner)"
PARTNER_USERNAME = "partner-demopay"


@dataclass(frozen=True)
class Cast:
    """Who acts in the demo stories."""

    agent: Any
    partner: Partner


Step = Callable[[Complaint, Cast], Complaint]


def verify(method: str) -> Step:
    return lambda c, cast: services.verify_identity(complaint=c, actor=cast.agent, method=method)


def accept(c: Complaint, cast: Cast) -> Complaint:
    return services.accept_complaint(complaint=c, actor=cast.agent)


def start(c: Complaint, cast: Cast) -> Complaint:
    return services.start_complaint(complaint=c, actor=cast.agent)


def escalate(team_code: str, reason: str) -> Step:
    return lambda c, cast: services.escalate_complaint(
        complaint=c, actor=cast.agent, team=team_for_code(team_code), reason=reason
    )


def wait_for_customer(reason: str) -> Step:
    return lambda c, cast: services.wait_for_customer(complaint=c, actor=cast.agent, reason=reason)


def resolve(code: str, summary: str, *, is_first_contact: bool = False) -> Step:
    return lambda c, cast: services.resolve_complaint(
        complaint=c, actor=cast.agent, code=code, summary=summary, is_first_contact=is_first_contact
    )


def close(reason: str) -> Step:
    return lambda c, cast: services.close_complaint(complaint=c, actor=cast.agent, reason=reason)


def reject(reason: str) -> Step:
    return lambda c, cast: services.reject_complaint(complaint=c, actor=cast.agent, reason=reason)


def partner_withdraws(reason: str) -> Step:
    return lambda c, cast: services.withdraw_complaint(complaint=c, actor=cast.partner.user, reason=reason)


@dataclass(frozen=True)
class DemoComplaint:
    key: str  # external reference "demo-<key>": the complaint is created once
    title: str
    details: dict[str, Any]  # register_complaint arguments
    steps: tuple[Step, ...] = ()
    by_partner: bool = False
    received_days_ago: int = 0


def demo_complaints(now: dt.datetime) -> tuple[DemoComplaint, ...]:
    def ago(**delta: int) -> dt.datetime:
        return now - dt.timedelta(**delta)

    return (
        DemoComplaint(
            "rail-refund",
            "received: a partner files an unprocessed train-ticket refund",
            {
                "channel": "partner_api",
                "category": "refund",
                "customer_name": "Zhao Lei",
                "customer_phone": "13911002233",
                "account_number": "WLT-8800-1203",
                "description": (
                    "Bought a Beijing South to Shanghai Hongqiao high-speed rail ticket in the travel app, "
                    "cancelled it two hours later. The app says the refund of 553.50 CNY was issued; "
                    "nothing has come back to the wallet after 10 days."
                ),
                "transaction_at": ago(days=10, hours=3),
                "amount": Decimal("553.50"),
                "transaction_reference": "PAY20261115093012",
                "merchant": "China Railway 12306 (via DemoPay travel)",
            },
            by_partner=True,
        ),
        DemoComplaint(
            "locked-chengdu",
            "accepted: account locked after wrong payment passwords",
            {
                "channel": "chat",
                "category": "account_locked",
                "customer_name": "Chen Xiaoyu",
                "customer_phone": "13628001234",
                "account_number": "WLT-6201-7788",
                "description": (
                    "Travelling in Chengdu; entered the payment password wrongly five times at the hotel "
                    "front desk and the account was locked. Cannot pay for the room."
                ),
                "device": "iPhone 15, iOS 18.1, wallet app 10.6.2",
                "priority": "high",
            },
            (verify("sms_code"), accept),
        ),
        DemoComplaint(
            "jd-headphones",
            "in progress: merchant refund not received",
            {
                "channel": "app",
                "category": "refund",
                "customer_name": "Liu Na",
                "customer_phone": "15012345678",
                "account_number": "WLT-3307-5521",
                "description": (
                    "Returned a pair of headphones to JD.com 15 days ago. JD says the refund of "
                    "1,299.00 CNY went back to the wallet on the 12th; the balance and the bill show nothing."
                ),
                "transaction_at": ago(days=20),
                "amount": Decimal("1299.00"),
                "transaction_reference": "JD20261105120455",
                "merchant": "JD.com",
            },
            (verify("id_document"), accept, start),
        ),
        DemoComplaint(
            "lawson-double-debit",
            "escalated: failed QR payment debited twice (notice to the technical team)",
            {
                "channel": "phone",
                "category": "transaction",
                "customer_name": "Wang Jianguo",
                "customer_phone": "13800138000",
                "account_number": "WLT-1100-0042",
                "description": (
                    "Scanned the QR code at a Lawson convenience store in Shanghai. The app showed "
                    "'payment failed (error 5003)' but 86.40 CNY left the balance; the cashier asked to "
                    "pay again and the second payment went through, so 172.80 CNY is gone."
                ),
                "transaction_at": ago(hours=2, minutes=15),
                "amount": Decimal("86.40"),
                "transaction_reference": "QR20261125081533",
                "merchant": "Lawson Shanghai Xuhui store",
                "device": "Xiaomi 14, HyperOS 1.0, wallet app 10.6.2",
                "priority": "high",
            },
            (
                verify("callback"),
                accept,
                start,
                escalate(
                    "technical",
                    "Ledger shows the first debit without a merchant settlement; the payments core must "
                    "trace order QR20261125081533 and reverse the duplicate.",
                ),
            ),
        ),
        DemoComplaint(
            "loan-calls",
            "awaiting customer: possible leak of personal data (clock paused)",
            {
                "channel": "email",
                "category": "privacy",
                "customer_name": "Sun Mei",
                "customer_phone": "18655667788",
                "account_number": "WLT-5120-9031",
                "description": (
                    "Since last week a loan company keeps calling; the caller knew my wallet phone number "
                    "and the amount of my last supermarket purchase."
                ),
            },
            (
                verify("security_questions"),
                accept,
                start,
                wait_for_customer(
                    "Asked the customer for the caller's number and the times of the calls to trace the leak."
                ),
            ),
        ),
        DemoComplaint(
            "hotline-wait",
            "resolved on first contact: slow hotline service",
            {
                "channel": "phone",
                "category": "slow_service",
                "customer_name": "Huang Bo",
                "customer_phone": "13712340987",
                "description": (
                    "Waited 40 minutes on the hotline and was cut off twice before reaching an agent."
                ),
            },
            (
                verify("callback"),
                accept,
                resolve(
                    "compensated",
                    "Apologised: the queue was overloaded during the Double 11 promotion. "
                    "A 10 CNY voucher was credited to the wallet.",
                    is_first_contact=True,
                ),
            ),
        ),
        DemoComplaint(
            "didi-pending",
            "closed: ride payment stuck in processing, customer confirmed",
            {
                "channel": "app",
                "category": "transaction",
                "customer_name": "Zhou Xin",
                "customer_phone": "13566778899",
                "account_number": "WLT-2208-3344",
                "description": (
                    "Paid 36.50 CNY for a Didi ride; the payment showed 'processing' for three hours and "
                    "the driver asked for cash."
                ),
                "transaction_at": ago(days=2, hours=5),
                "amount": Decimal("36.50"),
                "transaction_reference": "DD20261123194410",
                "merchant": "Didi Chuxing",
                "device": "OPPO Find X7, ColorOS 14, wallet app 10.5.9",
            },
            (
                verify("sms_code"),
                accept,
                resolve(
                    "explained",
                    "The card network confirmed the payment late; the driver was paid. Told the customer "
                    "not to pay the driver again.",
                ),
                close("Customer confirmed by phone that the driver received the payment."),
            ),
        ),
        DemoComplaint(
            "kettle-quality",
            "rejected: a product quality dispute, not a wallet matter",
            {
                "channel": "website",
                "category": "other",
                "customer_name": "Ma Tao",
                "customer_phone": "13100112233",
                "description": (
                    "An electric kettle bought online broke after a week; wants the wallet to refund it."
                ),
            },
            (
                reject(
                    "Goods quality dispute with the merchant, not a payment fault: referred to the "
                    "merchant's after-sales service and the 12315 consumer hotline."
                ),
            ),
        ),
        DemoComplaint(
            "topup-twice",
            "withdrawn: the partner withdraws a double top-up complaint",
            {
                "channel": "partner_api",
                "category": "transaction",
                "customer_name": "Gao Yan",
                "customer_phone": "13399887766",
                "account_number": "WLT-7003-1188",
                "description": "Mobile top-up of 199.00 CNY charged twice within a minute.",
                "transaction_at": ago(days=1, hours=2),
                "amount": Decimal("199.00"),
                "transaction_reference": "TOP20261124101502",
                "merchant": "China Mobile top-up",
            },
            (partner_withdraws("The carrier reversed the duplicate top-up; the customer withdrew."),),
            by_partner=True,
        ),
        DemoComplaint(
            "transfer-stuck",
            "in progress and late: the sweep marks it breached and tells the supervisors",
            {
                "channel": "phone",
                "category": "transaction",
                "customer_name": "Xu Jing",
                "customer_phone": "13822221111",
                "account_number": "WLT-9001-2468",
                "description": (
                    "Transferred 5,000.00 CNY from the wallet to a China Merchants Bank card; it has shown "
                    "'processing' ever since."
                ),
                "transaction_at": ago(days=25, hours=1),
                "amount": Decimal("5000.00"),
                "transaction_reference": "TRF20261031154021",
                "merchant": "Transfer to bank card (CMB)",
            },
            (verify("id_document"), accept, start),
            received_days_ago=25,
        ),
    )


class Command(BaseCommand):
    help = (
        "Load demo logins for every role, a partner with an API token and complaints in every state. "
        "Demo only: refuses to run with DEBUG off unless --force. Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never on a real system)."
        )
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the site runs, for the curl example."
        )

    def handle(self, *args, force: bool, base_url: str, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like a real system, and demo logins have published passwords. "
                "Use --force only on a throwaway database."
            )
        logins = [self._staff_user(login) for login in STAFF]
        partner, token = self._partner()
        cast = Cast(agent=get_user_model().objects.get(username="agent"), partner=partner)

        self.stdout.write(self.style.MIGRATE_HEADING("Demo complaints"))
        now = timezone.now()
        for demo in demo_complaints(now):
            complaint, created = self._complaint(demo, cast, now)
            note = "" if created else "  (already there)"
            self.stdout.write(f"  {complaint.reference}  {complaint.state:<17}  {demo.title}{note}")

        self.stdout.write(self.style.MIGRATE_HEADING("Partner API (demo)"))
        self.stdout.write(f"  partner {partner.code}, token {token.key}")
        self.stdout.write(
            f'  curl -H "Authorization: Token {token.key}" {base_url.rstrip("/")}/api/v1/complaints/'
        )

        logins.append((PARTNER_USERNAME, "(API token above; no admin login)", roles.PARTNER))
        self._print_logins(logins)

    def _staff_user(self, login: DemoLogin) -> tuple[str, str, str]:
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

    def _partner(self) -> tuple[Partner, Token]:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=PARTNER_USERNAME, defaults={"email": "api@demopay.example", "is_staff": False}
        )
        if created:
            user.set_unusable_password()  # the token is the partner's only credential
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=roles.PARTNER))
        partner, _ = Partner.objects.get_or_create(
            code=PARTNER_CODE, defaults={"name": PARTNER_NAME, "user": user}
        )
        token, _ = Token.objects.get_or_create(user=partner.user)
        return partner, token

    def _complaint(self, demo: DemoComplaint, cast: Cast, now: dt.datetime) -> tuple[Complaint, bool]:
        external_reference = f"{DEMO_REFERENCE_PREFIX}{demo.key}"
        existing = Complaint.objects.filter(external_reference=external_reference).first()
        if existing is not None:
            return existing, False
        actor = cast.partner.user if demo.by_partner else cast.agent
        # One transaction per story: a failure leaves no half-told complaint, and the next
        # run tries it again. Notices go to the broker when it commits.
        with transaction.atomic():
            complaint = services.register_complaint(
                actor=actor,
                partner=cast.partner if demo.by_partner else None,
                external_reference=external_reference,
                received_at=now - dt.timedelta(days=demo.received_days_ago),
                **demo.details,
            )
            for step in demo.steps:
                complaint = step(complaint, cast)
        return complaint, True

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (demo only: never use these passwords)"))
        header = ("username", "password", "role")
        widths = [max(len(row[i]) for row in [header, *logins]) for i in range(3)]
        for row in [header, tuple("-" * width for width in widths), *logins]:
            self.stdout.write(
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
