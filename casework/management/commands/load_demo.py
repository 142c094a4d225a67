"""Demo data for a first look: a login for every role, two partners with API keys,
complaints in every state of the complaint state machine, wallet accounts in every status
and lock reason, account requests in every state of theirs, and refund cases in every
state (``refunds.demo``), with a payments-system API key that reports settlements. Both
partners' webhooks go to the loopback receiver ``make run`` starts (``receive_webhooks``).

Demo only: the passwords, API keys and webhook secrets are fixed strings printed on the
console (``casework.access.demo_credentials``, which refuses them outside the demo), so the command
refuses to run outside the demo (``DEMO`` off): there its logins and keys would be refused
anyway, and the refund stories report settlements with the demo key. It is safe to run
again (``make run`` runs it after every migrate): users, the partners, their keys and the
wallet accounts are looked up before they are made, and each demo complaint and account request carries a
``demo-...`` external reference and is created once. Wallet accounts are reference data
mirrored from the wallet core, so they are written directly; complaints and requests move
only through ``complaints.services`` and ``accounts.services``, as staff would move them.
"""

from __future__ import annotations

import base64
import datetime as dt
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import services as account_services
from accounts.models import AccountRequest, AccountStatus, LockReason, RequestKind, WalletAccount
from casework.access import roles
from casework.access.demo_credentials import STAFF, DemoLogin, demo_key
from casework.cases.teams import team_for_code
from casework.models import ApiScope, Partner, PartnerApiKey
from casework.partners.credentials import issue_key
from complaints import services
from complaints.models import Complaint
from refunds import demo as refund_demo

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


def demo_webhook_secret(code: str) -> str:
    """The demo partner's webhook secret (whsec_ + base64 of a fixed string; demo only)."""
    return "whsec_" + base64.b64encode(f"{code}-demo-only-webhook-secret".encode()).decode("ascii")


@dataclass(frozen=True)
class Cast:
    """Who acts in the demo stories."""

    agent: Any
    partner: Partner
    second_partner: Partner
    supervisor: Any
    risk_officer: Any


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
    return lambda c, cast: services.withdraw_complaint(complaint=c, actor=c.partner.user, reason=reason)


@dataclass(frozen=True)
class DemoComplaint:
    key: str  # external reference "demo-<key>": the complaint is created once
    title: str
    details: dict[str, Any]  # register_complaint arguments
    steps: tuple[Step, ...] = ()
    by_partner: bool = False
    received_days_ago: int = 0
    partner_code: str = PARTNER_CODE  # which demo partner files it, when by_partner


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
            "till-double-charge",
            "received: the second partner, a merchant, forwards a double charge at its till",
            {
                "channel": "partner_api",
                "category": "transaction",
                "customer_name": "He Ping",
                "customer_phone": "13577665544",
                "account_number": "WLT-3302-5150",
                "description": (
                    "Paid 36.80 CNY by QR code at a QuickMart store; the till timed out, the cashier "
                    "scanned again and the wallet shows two payments."
                ),
                "transaction_at": ago(hours=5),
                "amount": Decimal("36.80"),
                "transaction_reference": "QM20261125183355",
                "merchant": "QuickMart store 0417, Hangzhou",
            },
            by_partner=True,
            partner_code=SECOND_PARTNER_CODE,
        ),
        DemoComplaint(
            "till-no-receipt",
            "accepted: the merchant's case, seen only by that merchant's key",
            {
                "channel": "partner_api",
                "category": "transaction",
                "customer_name": "Tang Yue",
                "customer_phone": "13455667788",
                "account_number": "WLT-3302-7301",
                "description": "Payment of 12.50 CNY failed at the till but the wallet balance dropped.",
                "transaction_at": ago(days=1, hours=4),
                "amount": Decimal("12.50"),
                "transaction_reference": "QM20261124114510",
                "merchant": "QuickMart store 0102, Hangzhou",
            },
            (verify("partner_attested"), accept),
            by_partner=True,
            partner_code=SECOND_PARTNER_CODE,
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


@dataclass(frozen=True)
class DemoAccount:
    """A wallet account as the core reports it when the demo is first loaded."""

    account_number: str
    holder_name: str
    phone_masked: str
    status: str = AccountStatus.ACTIVE
    lock_reason: str = ""
    failed_attempts: int = 0
    locked_hours_ago: int = 0


def locked(number: str, holder: str, phone: str, reason: str, *, hours_ago: int = 3) -> DemoAccount:
    """An account the core locked for ``reason`` (frozen, for a judicial freeze)."""
    return DemoAccount(
        number,
        holder,
        phone,
        status=AccountStatus.FROZEN if reason == LockReason.JUDICIAL_FREEZE else AccountStatus.LOCKED,
        lock_reason=reason,
        failed_attempts=5 if reason == LockReason.WRONG_PASSWORDS else 0,
        locked_hours_ago=hours_ago,
    )


# The accounts the demo complaints name, as the core has them; the Chengdu traveller's is
# the one the README's unlock walk-through starts from.
DEMO_ACCOUNTS = (
    locked("WLT-6201-7788", "Chen Xiaoyu", "136****1234", LockReason.WRONG_PASSWORDS, hours_ago=1),
    DemoAccount("WLT-8800-1203", "Zhao Lei", "139****2233"),
    DemoAccount("WLT-3307-5521", "Liu Na", "150****5678"),
    DemoAccount("WLT-1100-0042", "Wang Jianguo", "138****8000"),
    DemoAccount("WLT-5120-9031", "Sun Mei", "186****7788"),
    DemoAccount("WLT-2208-3344", "Zhou Xin", "135****8899"),
    DemoAccount("WLT-7003-1188", "Gao Yan", "133****7766"),
    DemoAccount("WLT-9001-2468", "Xu Jing", "138****1111"),
)

RequestStep = Callable[[AccountRequest, Cast], AccountRequest]


def _png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def card_scan(name: str) -> ContentFile:
    """A small real PNG standing in for the photo of a card: a pale card, a photo box and
    three lines of text."""
    text_lines = {8: 58, 9: 58, 14: 50, 15: 50, 20: 44, 21: 44}  # row: where the line ends

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if 4 <= x < 18 and 6 <= y < 24:
            return (150, 160, 175)
        if 22 <= x < text_lines.get(y, 0):
            return (60, 60, 70)
        return (226, 236, 246)

    return ContentFile(_png(64, 40, pixel), name=name)


def verify_caller(method: str) -> RequestStep:
    return lambda r, cast: account_services.verify_identity(request=r, actor=cast.agent, method=method)


def authenticate(method: str, note: str, *, scan: str = "") -> RequestStep:
    def step(r: AccountRequest, cast: Cast) -> AccountRequest:
        account_services.add_evidence(
            request=r,
            actor=cast.agent,
            method=method,
            outcome="passed",
            note=note,
            file=card_scan(scan) if scan else None,
        )
        return r

    return step


def submit(r: AccountRequest, cast: Cast) -> AccountRequest:
    return account_services.submit_for_review(request=r, actor=cast.agent)


def approve(reviewer: str, reason: str) -> RequestStep:
    return lambda r, cast: account_services.approve_request(
        request=r, actor=getattr(cast, reviewer), reason=reason
    )


def execute(reviewer: str) -> RequestStep:
    return lambda r, cast: account_services.execute_request(request=r, actor=getattr(cast, reviewer))


def cancel(reason: str) -> RequestStep:
    return lambda r, cast: account_services.cancel_request(request=r, actor=cast.agent, reason=reason)


def expire(r: AccountRequest, cast: Cast) -> AccountRequest:
    # The clock's own sweep, run now rather than at the next beat.
    account_services.expire_stale_requests(timezone.now())
    return AccountRequest.objects.get(pk=r.pk)


@dataclass(frozen=True)
class DemoAccountRequest:
    key: str  # external reference "demo-<key>" of the request, or of the complaint it comes from
    title: str
    account: DemoAccount
    statement: str
    steps: tuple[RequestStep, ...] = ()
    kind: str = RequestKind.UNLOCK
    lock_reason: str = ""  # a lock request's reason; an unlock takes the account's
    by_partner: bool = False
    received_days_ago: int = 0
    complaint: DemoComplaint | None = None  # the call it is opened from (same key)


def demo_account_requests() -> tuple[DemoAccountRequest, ...]:
    expired_after = settings.ACCOUNT_REQUEST_EXPIRY_DAYS + 2
    airport_call = (
        "Locked out after five wrong payment passwords at the Guangzhou Baiyun airport check-in "
        "desk; needs the wallet to pay the excess-baggage fee before boarding."
    )
    return (
        DemoAccountRequest(
            "locked-airport",
            "executed: an agent takes a locked-account call end to end, the supervisor approves",
            locked("WLT-4312-0586", "Deng Hao", "137****4521", LockReason.WRONG_PASSWORDS, hours_ago=2),
            airport_call,
            (
                authenticate("sms_code", "One-time code sent to 137****4521 and read back correctly."),
                authenticate(
                    "id_document",
                    "Resident ID card photographed in the app; name and number match the account.",
                    scan="id-card-front.png",
                ),
                submit,
                approve("supervisor", "Two passed checks, no risk flags on the account."),
                execute("supervisor"),
            ),
            complaint=DemoComplaint(
                "locked-airport",
                "resolved by its unlock request",
                {
                    "channel": "phone",
                    "category": "account_locked",
                    "customer_name": "Deng Hao",
                    "customer_phone": "13745214521",
                    "account_number": "WLT-4312-0586",
                    "description": airport_call,
                    "device": "Huawei Mate 60, HarmonyOS 4.2, wallet app 10.6.2",
                    "priority": "high",
                },
                (verify("sms_code"), accept),
            ),
        ),
        DemoAccountRequest(
            "suspicious-login",
            "pending review: suspicious-activity unlock waiting for the risk officer",
            locked("WLT-5530-2049", "Qian Yu", "159****3087", LockReason.SUSPICIOUS_ACTIVITY, hours_ago=20),
            "The account was locked after a login from Hanoi at 03:00; the customer says she was "
            "asleep in Hangzhou and has not lent her phone to anyone.",
            (
                verify_caller("callback"),
                authenticate("face_check", "Live face check in the app matched the account holder."),
                submit,
            ),
        ),
        DemoAccountRequest(
            "new-phone",
            "identity verified: a partner's unlock after a device change, waiting for evidence",
            locked("WLT-3108-6672", "He Jun", "182****6672", LockReason.DEVICE_CHANGE, hours_ago=5),
            "Bought a new phone and logged in; the wallet locked itself and the travel app cannot "
            "charge the hotel booking.",
            (verify_caller("callback"),),
            by_partner=True,
        ),
        DemoAccountRequest(
            "court-freeze",
            "rejected at once: unlock of an account frozen by a court",
            locked("WLT-4410-0913", "Feng Qiang", "131****0913", LockReason.JUDICIAL_FREEZE, hours_ago=240),
            "The customer asks for the frozen balance to be released so he can pay his rent.",
            by_partner=True,
        ),
        DemoAccountRequest(
            "lost-phone",
            "executed at once: the customer's own protective lock after losing the phone",
            DemoAccount("WLT-2875-3360", "Tang Li", "177****3360"),
            "Phone stolen on the Shenzhen metro an hour ago; asks for the wallet to be locked "
            "before anyone pays with it.",
            (verify_caller("security_questions"),),
            kind=RequestKind.LOCK,
            lock_reason=LockReason.CUSTOMER_REQUEST,
        ),
        DemoAccountRequest(
            "password-lock-partner",
            "submitted: a partner's unlock request just arrived",
            locked("WLT-6650-1407", "Lu Xiaoming", "188****1407", LockReason.WRONG_PASSWORDS, hours_ago=1),
            "Entered an old payment password several times while booking a train ticket.",
            by_partner=True,
        ),
        DemoAccountRequest(
            "risk-transfers",
            "approved: risk-control unlock approved by the risk officer, waiting to be executed",
            locked("WLT-8123-5090", "Xie Ning", "139****5090", LockReason.RISK_CONTROL, hours_ago=30),
            "Locked after three large transfers to a new payee in one evening; the payee is her "
            "landlord and she has the tenancy contract.",
            (
                verify_caller("id_document"),
                authenticate(
                    "bank_card",
                    "Bank card check: card ending 5090 confirmed by the issuing bank.",
                    scan="bank-card-front.png",
                ),
                submit,
                approve("risk_officer", "Payee verified as the landlord; tenancy contract seen."),
            ),
        ),
        DemoAccountRequest(
            "changed-mind",
            "cancelled: the customer will unlock with her ID at a branch instead",
            locked("WLT-2391-7734", "Pan Yue", "153****7734", LockReason.WRONG_PASSWORDS, hours_ago=26),
            "Forgot the new payment password after changing it.",
            (cancel("The customer prefers to visit a branch with her ID card next week."),),
        ),
        DemoAccountRequest(
            "never-came-back",
            "expired: no authentication within the allowed days, closed by the clock",
            locked("WLT-7742-1856", "Song Jia", "166****1856", LockReason.DEVICE_CHANGE, hours_ago=24 * 12),
            "Locked after logging in on a borrowed tablet.",
            (expire,),
            received_days_ago=expired_after,
        ),
    )


class Command(BaseCommand):
    help = (
        "Load demo logins for every role, two partners with API keys, complaints and account "
        "requests in every state, and wallet accounts in every status and lock reason. "
        "Demo only: refuses to run outside the demo (DEMO off). Safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default=settings.BACKOFFICE_BASE_URL,
            help="Where the site runs, for the curl example (default: BACKOFFICE_BASE_URL).",
        )

    def handle(self, *args, base_url: str, **options) -> None:
        if not settings.DEMO:
            raise CommandError(
                "DEMO is off: this looks like a real system, and the demo's logins and keys are published "
                "(refused outside the demo). Load it with DEMO=true, on a throwaway database."
            )
        logins = [self._staff_user(login) for login in STAFF]
        partner, key = self._partner(PARTNER_CODE, PARTNER_NAME, "api@demopay.example")
        second_partner, second_key = self._partner(
            SECOND_PARTNER_CODE, SECOND_PARTNER_NAME, "it@quickmart.example"
        )
        User = get_user_model()
        cast = Cast(
            agent=User.objects.get(username="agent"),
            partner=partner,
            second_partner=second_partner,
            supervisor=User.objects.get(username="supervisor"),
            risk_officer=User.objects.get(username="risk"),
        )

        self.stdout.write(self.style.MIGRATE_HEADING("Demo complaints"))
        now = timezone.now()
        for demo in demo_complaints(now):
            complaint, created = self._complaint(demo, cast, now)
            note = "" if created else "  (already there)"
            self.stdout.write(f"  {complaint.reference}  {complaint.state:<17}  {demo.title}{note}")

        stories = demo_account_requests()
        accounts = [self._wallet_account(demo) for demo in (*DEMO_ACCOUNTS, *(s.account for s in stories))]
        self._link_served_accounts(cast, demo_complaints(now), stories)
        self.stdout.write(self.style.MIGRATE_HEADING("Demo account requests"))
        for demo in stories:
            request, created = self._account_request(demo, cast, now)
            note = "" if created else "  (already there)"
            # Fresh: the gateway changed the account through its own instance.
            account = WalletAccount.objects.get(pk=request.account_id)
            complaint = request.complaint
            source = f" (from {complaint.reference}, now {complaint.state})" if complaint else ""
            self.stdout.write(
                f"  {request.reference}  {request.state:<17}  {account.account_number} "
                f"{account.status:<6}  {demo.title}{source}{note}"
            )

        payments_key = self._payments_system()
        self.stdout.write(self.style.MIGRATE_HEADING("Demo refund cases"))
        refund_demo.load(
            refund_demo.Cast(
                agent=cast.agent,
                desk=User.objects.get(username="refunds"),
                supervisor=cast.supervisor,
                partner=partner,
                payments_key=payments_key,
            ),
            self.stdout.write,
        )

        self.stdout.write(
            self.style.MIGRATE_HEADING("Demo wallet accounts (as the wallet core has them now)")
        )
        for account in accounts:
            account.refresh_from_db()
            reason = f", {account.get_lock_reason_display()}" if account.lock_reason else ""
            self.stdout.write(
                f"  {account.account_number}  {account.phone_masked}  {account.status:<6}  "
                f"{account.holder_name}{reason}"
            )

        api = f"{base_url.rstrip('/')}/api/v1"
        self.stdout.write(
            self.style.MIGRATE_HEADING("Partner API (demo: each partner sees only its own cases)")
        )
        for each, each_key in ((partner, key), (second_partner, second_key)):
            self.stdout.write(f"  {each.name}: partner {each.code}, API key {each_key}")
            self.stdout.write(f"    webhooks to {each.webhook_url or '(none)'}, secret {each.webhook_secret}")
            for resource in ("complaints", "account-requests", "refund-cases"):
                self.stdout.write(f'    curl -H "Authorization: Bearer {each_key}" {api}/{resource}/')
        self.stdout.write(f"  payments system (settlement reports only), API key {payments_key}")

        logins.append((PARTNER_USERNAME, "(API key above; no admin login)", roles.PARTNER))
        logins.append((f"partner-{SECOND_PARTNER_CODE}", "(API key above; no admin login)", roles.PARTNER))
        logins.append((PAYMENTS_USERNAME, "(API key above; no admin login)", PAYMENTS_ROLE))
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

    @staticmethod
    def _api_user(username: str, email: str, role: str):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": False}
        )
        if created:
            user.set_unusable_password()  # the API key is its only credential
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        return user

    @staticmethod
    def _demo_key(partner: Partner, scopes: list[str]) -> str:
        """The partner's fixed demo key; if someone revoked it in the admin, a new random key,
        printed this once like any new key."""
        key = demo_key(partner.code)
        existing = PartnerApiKey.objects.filter(prefix=key.split("_")[1]).first()
        if existing is None:
            return issue_key(partner, name="demo", scopes=scopes, actor=None, key=key)[1]
        if existing.is_usable():
            return key
        return issue_key(partner, name="demo (reissued)", scopes=scopes, actor=None)[1]

    def _partner(self, code: str, name: str, email: str) -> tuple[Partner, str]:
        user = self._api_user(f"partner-{code}", email, roles.PARTNER)
        partner, created = Partner.objects.get_or_create(code=code, defaults={"name": name, "user": user})
        if created:
            partner.webhook_url = f"{settings.DEMO_WEBHOOK_RECEIVER_URL.rstrip('/')}/{code}/"
            partner.webhook_secret = demo_webhook_secret(code)
            partner.save(update_fields=["webhook_url", "webhook_secret"])
        return partner, self._demo_key(partner, CASE_SCOPES)

    def _payments_system(self) -> str:
        """The payments system's API key: it reports settlements and does nothing else."""
        user = self._api_user(PAYMENTS_USERNAME, "ops@payments.example", PAYMENTS_ROLE)
        partner, _ = Partner.objects.get_or_create(
            code=PAYMENTS_CODE, defaults={"name": "Payments system", "user": user}
        )
        return self._demo_key(partner, [ApiScope.SETTLEMENTS_REPORT])

    def _complaint(self, demo: DemoComplaint, cast: Cast, now: dt.datetime) -> tuple[Complaint, bool]:
        external_reference = f"{DEMO_REFERENCE_PREFIX}{demo.key}"
        existing = Complaint.objects.filter(external_reference=external_reference).first()
        if existing is not None:
            return existing, False
        partner = {PARTNER_CODE: cast.partner, SECOND_PARTNER_CODE: cast.second_partner}[demo.partner_code]
        actor = partner.user if demo.by_partner else cast.agent
        # One transaction per story: a failure leaves no half-told complaint, and the next
        # run tries it again. Notices go to the broker when it commits.
        with transaction.atomic():
            complaint = services.register_complaint(
                actor=actor,
                partner=partner if demo.by_partner else None,
                external_reference=external_reference,
                received_at=now - dt.timedelta(days=demo.received_days_ago),
                **demo.details,
            )
            for step in demo.steps:
                complaint = step(complaint, cast)
        return complaint, True

    def _wallet_account(self, demo: DemoAccount) -> WalletAccount:
        # Looked up first: on a second run the account is as the demo's requests left it.
        account, _ = WalletAccount.objects.get_or_create(
            account_number=demo.account_number,
            defaults={
                "holder_name": demo.holder_name,
                "phone_masked": demo.phone_masked,
                "status": demo.status,
                "lock_reason": demo.lock_reason,
                "failed_attempts": demo.failed_attempts,
                "locked_at": (
                    timezone.now() - dt.timedelta(hours=demo.locked_hours_ago)
                    if demo.status != AccountStatus.ACTIVE
                    else None
                ),
            },
        )
        return account

    def _link_served_accounts(
        self, cast: Cast, complaints: tuple[DemoComplaint, ...], stories: tuple[DemoAccountRequest, ...]
    ) -> None:
        """Each demo partner serves the accounts its own complaints and requests are about:
        the links the wallet company would make from its core's records."""
        partners = {PARTNER_CODE: cast.partner, SECOND_PARTNER_CODE: cast.second_partner}
        served = {
            (partners[demo.partner_code], demo.details["account_number"])
            for demo in complaints
            if demo.by_partner and demo.details.get("account_number")
        }
        served |= {(cast.partner, story.account.account_number) for story in stories if story.by_partner}
        for partner, number in sorted(served, key=lambda pair: (pair[0].code, pair[1])):
            account = WalletAccount.objects.filter(account_number=number).first()
            if account is not None:
                account_services.link_partner_to_account(
                    partner=partner,
                    account=account,
                    basis=f"Demo: the wallet was opened through {partner.name}'s app.",
                    actor=None,
                )

    def _account_request(
        self, demo: DemoAccountRequest, cast: Cast, now: dt.datetime
    ) -> tuple[AccountRequest, bool]:
        external_reference = f"{DEMO_REFERENCE_PREFIX}{demo.key}"
        existing = AccountRequest.objects.filter(
            Q(external_reference=external_reference) | Q(complaint__external_reference=external_reference)
        ).first()
        if existing is not None:
            return existing, False
        account = WalletAccount.objects.get(account_number=demo.account.account_number)
        # One transaction per story, as for the complaints: the complaint and the request
        # appear together, or not at all and the next run tries again.
        with transaction.atomic():
            received_at = now - dt.timedelta(days=demo.received_days_ago)
            if demo.complaint is not None:
                complaint, _ = self._complaint(demo.complaint, cast, now)
                request = account_services.open_unlock_request_from_complaint(
                    complaint=complaint, actor=cast.agent
                )
            else:
                request = account_services.open_account_request(
                    actor=cast.partner.user if demo.by_partner else cast.agent,
                    partner=cast.partner if demo.by_partner else None,
                    external_reference=external_reference,
                    account_number=account.account_number,
                    kind=demo.kind,
                    lock_reason=demo.lock_reason,
                    customer_statement=demo.statement,
                    received_at=received_at,
                )
            for step in demo.steps:
                request = step(request, cast)
        return request, True

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING("Demo logins (demo only: never use these passwords)"))
        header = ("username", "password", "role")
        widths = [max(len(row[i]) for row in [header, *logins]) for i in range(3)]
        for row in [header, tuple("-" * width for width in widths), *logins]:
            self.stdout.write(
                "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
