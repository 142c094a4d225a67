"""Demo complaints, in every state of the complaint state machine, told through
``complaints.services`` as staff and partners would tell them; ``load_demo`` calls
:func:`load` (registered as the complaint kind's demo in ``complaints.apps``).

Each complaint carries a ``demo-...`` external reference and is created once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

from anymail.inbound import AnymailInboundMessage
from django.conf import settings
from django.db import transaction

from casework.cases.teams import team_for_code
from casework.demo import DEMO_REFERENCE_PREFIX, PARTNER_CODE, SECOND_PARTNER_CODE, Demo
from casework.intake import mail
from casework.models import CustomerChannel, CustomerMessage, Partner
from casework.notices import outbox
from casework.notices.replies import reply_address

from . import services
from .models import Complaint, State, SurveyResponse
from .survey.links import survey_url
from .survey.services import answer_survey


@dataclass(frozen=True)
class Cast:
    """Who acts in the demo stories (the account requests' too)."""

    agent: Any
    partner: Partner
    second_partner: Partner
    supervisor: Any
    risk_officer: Any


def cast_for(demo: Demo) -> Cast:
    return Cast(
        agent=demo.user("agent"),
        partner=demo.partner,
        second_partner=demo.second_partner,
        supervisor=demo.user("supervisor"),
        risk_officer=demo.user("risk"),
    )


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


def resolve(code: str, summary: str, *, is_first_contact: bool = False, **classified: Any) -> Step:
    """Resolve with ``classified``: the codes (the business type and cause are the
    complaint's unless given), the outcome and the redress paid, as the returns count them."""

    def run(c: Complaint, cast: Cast) -> Complaint:
        codes = {"business_type": c.business_type, "cause": c.cause, **classified}
        return services.resolve_complaint(
            complaint=c,
            actor=cast.agent,
            code=code,
            summary=summary,
            is_first_contact=is_first_contact,
            **codes,
        )

    return run


def close(reason: str) -> Step:
    return lambda c, cast: services.close_complaint(complaint=c, actor=cast.agent, reason=reason)


def reject(reason: str) -> Step:
    return lambda c, cast: services.reject_complaint(complaint=c, actor=cast.agent, reason=reason)


def customer_replies_by_email(text: str) -> Step:
    """The customer answers the case's first e-mail, as their mail client would (to its
    signed reply address, quoting its Message-ID), filed by the mail intake's service."""

    def reply(c: Complaint, cast: Cast) -> Complaint:
        notice = (
            CustomerMessage.objects.filter(
                case_reference=c.reference,
                direction=CustomerMessage.Direction.OUTGOING,
                channel=CustomerChannel.EMAIL,
            )
            .exclude(message_id="")
            .earliest("created_at", "id")
        )
        message = EmailMessage()
        message["From"] = f"{c.customer_name} <{c.customer_email}>"
        message["To"] = reply_address(notice.pk)
        message["Subject"] = f"Re: {notice.subject}"
        message["Message-ID"] = f"<{c.reference.lower()}-reply@customer.example>"
        message["In-Reply-To"] = message["References"] = notice.message_id
        message.set_content(text)
        mail.file_customer_email(AnymailInboundMessage.parse_raw_mime_bytes(message.as_bytes()))
        return Complaint.objects.get(pk=c.pk)

    return reply


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
    from .demo_resolved import resolved_stories  # it builds on this module's steps

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
                # Travelling: told by e-mail (never held for quiet hours), in English.
                "customer_email": "chen.xiaoyu@example.com",
                "preferred_channel": "email",
                "customer_language": "en",
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
            "topup-statement",
            "in progress again: the customer's e-mail reply resumed the paused clock",
            {
                "channel": "email",
                "category": "transaction",
                "customer_name": "Lin Fang",
                "customer_phone": "13650001122",
                "customer_email": "lin.fang@example.com",
                "preferred_channel": "email",
                "account_number": "WLT-4410-2290",
                "description": (
                    "Topped up 300.00 CNY from a Bank of China card; the bank debited the card, the "
                    "wallet balance never showed the money."
                ),
                "transaction_at": ago(days=3, hours=2),
                "amount": Decimal("300.00"),
                "transaction_reference": "TOP20261122093015",
                "merchant": "Top-up from Bank of China card",
            },
            (
                verify("sms_code"),
                accept,
                start,
                wait_for_customer("Asked the customer for the line of their bank statement with the debit."),
                customer_replies_by_email(
                    "您好，这是我的银行流水：11月22日 09:30，中国银行卡（尾号4821）扣款 300.00 元。\n林芳"  # noqa: RUF001
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
                    product="P99",
                    root_cause="R03",
                    outcome="upheld",
                    redress_amount=Decimal("10.00"),
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
                    product="P02",
                    root_cause="R04",
                    outcome="not_upheld",
                ),
                close("Customer confirmed by phone that the driver received the payment."),
            ),
        ),
        *resolved_stories(ago),  # complaints.demo_resolved: classified, for the returns
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


def load(demo: Demo) -> None:
    demo.heading("Demo complaints")
    cast = cast_for(demo)
    told = []
    for story in demo_complaints(demo.now):
        complaint, created = tell(story, cast, demo.now)
        told.append(complaint.reference)
        note = "" if created else "  (already there)"
        demo.write(f"  {complaint.reference}  {complaint.state:<17}  {story.title}{note}")
    send_customer_notices(demo, told)
    rate_the_closed_ride(demo)
    complaint, link = unrated_survey_link()
    if link:
        demo.write(f"  Survey not answered yet ({complaint.reference}, {complaint.state}): {link}")


# The customer of the closed ride payment answers the survey its decision notice linked to.
RATED_STORY = "didi-pending"
RATING, RATING_COMMENT = 5, "The agent called back the same day and the driver got his money."
# The survey link ``make run`` prints: the complaint resolved on first contact, while unrated.
UNRATED_STORY = "hotline-wait"


def rate_the_closed_ride(demo: Demo) -> None:
    """A good score on a closed complaint (nothing reopens): the dashboard's CSAT shows it."""
    complaint = Complaint.objects.get(external_reference=f"{DEMO_REFERENCE_PREFIX}{RATED_STORY}")
    if not SurveyResponse.objects.filter(complaint=complaint).exists():
        answer_survey(complaint=complaint, rating=RATING, comment=RATING_COMMENT)
    demo.write(f"  Survey answered: {complaint.reference} rated {RATING} of 5 (the dashboard's CSAT)")


def unrated_survey_link() -> tuple[Complaint | None, str]:
    """A resolved demo complaint nobody has rated yet, and its survey page's link (signed
    now, so it opens for ``SURVEY_LINK_DAYS``); (None, "") once every one is rated."""
    unrated = Complaint.objects.filter(
        external_reference__startswith=DEMO_REFERENCE_PREFIX, state__in=(State.RESOLVED, State.CLOSED)
    ).exclude(pk__in=SurveyResponse.objects.values("complaint_id"))
    preferred = f"{DEMO_REFERENCE_PREFIX}{UNRATED_STORY}"
    complaint = unrated.filter(external_reference=preferred).first() or unrated.order_by("-pk").first()
    return complaint, survey_url(complaint) if complaint is not None else ""


def send_customer_notices(demo: Demo, references: list[str]) -> None:
    """Send the demo customers' notices now, so the story shows them sent before the worker
    starts (the worker then finds them sent; one held for quiet hours waits for the sweep)."""
    waiting = CustomerMessage.objects.filter(
        case_reference__in=references, status=CustomerMessage.Status.QUEUED, notification__isnull=False
    )
    sent = sum(outbox.deliver(message.notification_id) for message in waiting)
    messages = CustomerMessage.objects.filter(case_reference__in=references)
    demo.write(
        f"  Customer notices: {messages.count()} ({sent} sent now); SMS under {settings.SMS_FILE_PATH}/, "
        f"e-mail under {settings.EMAIL_FILE_PATH}/"
    )


def tell(story: DemoComplaint, cast: Cast, now: dt.datetime) -> tuple[Complaint, bool]:
    """The complaint, registered and moved through its steps, unless it is there already."""
    external_reference = f"{DEMO_REFERENCE_PREFIX}{story.key}"
    existing = Complaint.objects.filter(external_reference=external_reference).first()
    if existing is not None:
        return existing, False
    partner = {PARTNER_CODE: cast.partner, SECOND_PARTNER_CODE: cast.second_partner}[story.partner_code]
    actor = partner.user if story.by_partner else cast.agent
    # One transaction per story: a failure leaves no half-told complaint, and the next
    # run tries it again. Notices go to the broker when it commits.
    with transaction.atomic():
        complaint = services.register_complaint(
            actor=actor,
            partner=partner if story.by_partner else None,
            external_reference=external_reference,
            received_at=now - dt.timedelta(days=story.received_days_ago),
            **story.details,
        )
        for step in story.steps:
            complaint = step(complaint, cast)
    return complaint, True
