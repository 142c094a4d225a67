"""Demo wallet accounts in every status and lock reason, and account requests in every
state of theirs, told through ``accounts.services`` as staff and partners would tell
them; ``load_demo`` calls :func:`load`, and :func:`report` once every kind has told its
stories (registered as the account request kind's demo in ``accounts.apps``).

Wallet accounts are reference data mirrored from the wallet core, so they are written
directly, and looked up before they are made; each request carries a ``demo-...``
external reference (or the complaint it comes from does) and is created once.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from casework.demo import DEMO_REFERENCE_PREFIX, PARTNER_CODE, SECOND_PARTNER_CODE, Demo
from complaints import demo as complaint_demo
from complaints.demo import Cast, DemoComplaint

from . import services
from .models import AccountRequest, AccountStatus, LockReason, RequestKind, WalletAccount


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
    return lambda r, cast: services.verify_identity(request=r, actor=cast.agent, method=method)


def authenticate(method: str, note: str, *, scan: str = "") -> RequestStep:
    def step(r: AccountRequest, cast: Cast) -> AccountRequest:
        services.add_evidence(
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
    return services.submit_for_review(request=r, actor=cast.agent)


def approve(reviewer: str, reason: str) -> RequestStep:
    return lambda r, cast: services.approve_request(request=r, actor=getattr(cast, reviewer), reason=reason)


def execute(reviewer: str) -> RequestStep:
    return lambda r, cast: services.execute_request(request=r, actor=getattr(cast, reviewer))


def cancel(reason: str) -> RequestStep:
    return lambda r, cast: services.cancel_request(request=r, actor=cast.agent, reason=reason)


def expire(r: AccountRequest, cast: Cast) -> AccountRequest:
    # The clock's own sweep, run now rather than at the next beat.
    services.expire_stale_requests(timezone.now())
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
                (complaint_demo.verify("sms_code"), complaint_demo.accept),
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


def load(demo: Demo) -> None:
    cast = complaint_demo.cast_for(demo)
    stories = demo_account_requests()
    for account in (*DEMO_ACCOUNTS, *(story.account for story in stories)):
        wallet_account(account)
    link_served_accounts(cast, complaint_demo.demo_complaints(demo.now), stories)
    demo.heading("Demo account requests")
    for story in stories:
        request, created = tell(story, cast, demo.now)
        note = "" if created else "  (already there)"
        # Fresh: the gateway changed the account through its own instance.
        account = WalletAccount.objects.get(pk=request.account_id)
        complaint = request.complaint
        source = f" (from {complaint.reference}, now {complaint.state})" if complaint else ""
        demo.write(
            f"  {request.reference}  {request.state:<17}  {account.account_number} "
            f"{account.status:<6}  {story.title}{source}{note}"
        )


def report(demo: Demo) -> None:
    """The demo's wallet accounts as the other kinds' stories left them."""
    demo.heading("Demo wallet accounts (as the wallet core has them now)")
    for demo_account in (*DEMO_ACCOUNTS, *(story.account for story in demo_account_requests())):
        account = WalletAccount.objects.get(account_number=demo_account.account_number)
        reason = f", {account.get_lock_reason_display()}" if account.lock_reason else ""
        demo.write(
            f"  {account.account_number}  {account.phone_masked}  {account.status:<6}  "
            f"{account.holder_name}{reason}"
        )


def wallet_account(record: DemoAccount) -> WalletAccount:
    # Looked up first: on a second run the account is as the demo's requests left it.
    account, _ = WalletAccount.objects.get_or_create(
        account_number=record.account_number,
        defaults={
            "holder_name": record.holder_name,
            "phone_masked": record.phone_masked,
            "status": record.status,
            "lock_reason": record.lock_reason,
            "failed_attempts": record.failed_attempts,
            "locked_at": (
                timezone.now() - dt.timedelta(hours=record.locked_hours_ago)
                if record.status != AccountStatus.ACTIVE
                else None
            ),
        },
    )
    return account


def link_served_accounts(
    cast: Cast, complaints: tuple[DemoComplaint, ...], stories: tuple[DemoAccountRequest, ...]
) -> None:
    """Each demo partner serves the accounts its own complaints and requests are about:
    the links the wallet company would make from its core's records."""
    partners = {PARTNER_CODE: cast.partner, SECOND_PARTNER_CODE: cast.second_partner}
    served = {
        (partners[complaint.partner_code], complaint.details["account_number"])
        for complaint in complaints
        if complaint.by_partner and complaint.details.get("account_number")
    }
    served |= {(cast.partner, story.account.account_number) for story in stories if story.by_partner}
    for partner, number in sorted(served, key=lambda pair: (pair[0].code, pair[1])):
        account = WalletAccount.objects.filter(account_number=number).first()
        if account is not None:
            services.link_partner_to_account(
                partner=partner,
                account=account,
                basis=f"Demo: the wallet was opened through {partner.name}'s app.",
                actor=None,
            )


def tell(story: DemoAccountRequest, cast: Cast, now: dt.datetime) -> tuple[AccountRequest, bool]:
    """The request (and the complaint it comes from), opened and moved through its steps,
    unless it is there already."""
    external_reference = f"{DEMO_REFERENCE_PREFIX}{story.key}"
    existing = AccountRequest.objects.filter(
        Q(external_reference=external_reference) | Q(complaint__external_reference=external_reference)
    ).first()
    if existing is not None:
        return existing, False
    account = WalletAccount.objects.get(account_number=story.account.account_number)
    # One transaction per story, as for the complaints: the complaint and the request
    # appear together, or not at all and the next run tries again.
    with transaction.atomic():
        received_at = now - dt.timedelta(days=story.received_days_ago)
        if story.complaint is not None:
            complaint, _ = complaint_demo.tell(story.complaint, cast, now)
            request = services.open_unlock_request_from_complaint(complaint=complaint, actor=cast.agent)
        else:
            request = services.open_account_request(
                actor=cast.partner.user if story.by_partner else cast.agent,
                partner=cast.partner if story.by_partner else None,
                external_reference=external_reference,
                account_number=account.account_number,
                kind=story.kind,
                lock_reason=story.lock_reason,
                customer_statement=story.statement,
                received_at=received_at,
            )
        for step in story.steps:
            request = step(request, cast)
    return request, True
