"""Demo refund cases, in every state, told through the services as staff, partners and
the payments system would tell them; ``load_demo`` calls :func:`load` (registered as the
refund kind's demo in ``refunds.apps``).

The settlement of the main story goes through the partner API as the payments system
would send it (with its token), so the demo shows that door working too. Each case
carries a ``demo-refund-...`` external reference (or its complaint does) and is made once.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter
from rest_framework.test import APIClient

from casework.demo import Demo
from casework.models import CaseType, Partner
from casework.sla import clocks
from casework.sla.calendars import WorkingTime
from complaints import services as complaint_services

from . import demo_customer, services
from .models import RefundCase, RefundType

PREFIX = "demo-refund-"


@dataclass(frozen=True)
class Cast:
    agent: Any
    desk: Any  # the refunds desk: reviews, gives first approvals, submits
    supervisor: Any  # the second pair of eyes on large refunds
    partner: Partner
    payments_key: str


Step = Callable[[RefundCase, Cast], RefundCase]


def voucher(name: str) -> ContentFile:
    # A real (one blank A4 page) PDF: the evidence check parses the whole document.
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    body = io.BytesIO()
    writer.write(body)
    return ContentFile(body.getvalue(), name=name)


def review(case: RefundCase, cast: Cast) -> RefundCase:
    return services.start_review(case=case, actor=cast.desk)


def ask_for(what: str) -> Step:
    return lambda case, cast: services.request_evidence(case=case, actor=cast.desk, what=what)


def evidence(kind: str, name: str, note: str) -> Step:
    def step(case: RefundCase, cast: Cast) -> RefundCase:
        services.add_evidence(case=case, actor=cast.agent, kind=kind, file=voucher(name), note=note)
        return RefundCase.objects.get(pk=case.pk)

    return step


def approve(who: str, reason: str) -> Step:
    return lambda case, cast: services.approve_refund(case=case, actor=getattr(cast, who), reason=reason)


def submit(case: RefundCase, cast: Cast) -> RefundCase:
    return services.submit_to_payments(case=case, actor=cast.desk)


def report(outcome: str, **details: str) -> Step:
    """The payments system reports on the API, with its own key."""

    def step(case: RefundCase, cast: Cast) -> RefundCase:
        instruction = case.instructions.latest("attempt")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {cast.payments_key}")
        url = reverse("payment-instruction-report", kwargs={"key": instruction.idempotency_key})
        response = client.post(url, {"outcome": outcome, **details}, format="json")
        if response.status_code != 200:
            raise RuntimeError(
                f"The settlement report was refused: {response.status_code} {response.content!r}"
            )
        return RefundCase.objects.get(pk=case.pk)

    return step


def reject(reason: str) -> Step:
    return lambda case, cast: services.reject_refund(case=case, actor=cast.desk, reason=reason)


def cancel(reason: str) -> Step:
    return lambda case, cast: services.cancel_refund(case=case, actor=cast.agent, reason=reason)


@dataclass(frozen=True)
class DemoRefund:
    key: str
    title: str
    refund_type: str
    merchant: str
    paid: str  # the transaction's amount
    asked: str  # the refund asked for
    reason: str
    steps: tuple[Step, ...] = ()
    by_partner: bool = False
    received_days_ago: float = 0
    due_within_hours: int | None = None  # received so that the deadline falls this soon
    complaint: dict | None = None  # the phone call it comes from, if any
    currency: str = "CNY"
    extra: dict = field(default_factory=dict)


def demo_refunds() -> tuple[DemoRefund, ...]:
    flight_call = (
        "Cancelled a Shanghai-Chengdu flight booked in the travel app two weeks ago; the airline "
        "confirmed the refund but the CNY 6,800.00 never came back to the wallet."
    )
    return (
        DemoRefund(
            "flight",
            "refunded: from a phone complaint, evidence asked and sent, approved by two, settled",
            RefundType.NOT_RECEIVED,
            "Eastern Sky Airlines",
            "6800.00",
            "6800.00",
            flight_call,
            (
                review,
                ask_for("The airline's cancellation confirmation e-mail or booking page."),
                evidence("payment_voucher", "airline-cancellation.pdf", "Airline's cancellation e-mail"),
                approve("desk", "Cancellation confirmed by the airline; full fare is due back."),
                approve("supervisor", "Second approval: amount matches the booking."),
                submit,
                report("settled", processor_reference="PSP-20261124-88412"),
            ),
            complaint={
                "channel": "phone",
                "category": "refund",
                "customer_name": "Ma Lin",
                "customer_phone": "13912345678",
                "transaction_reference": "TXN-FLT-20261110-7781",
                "amount": Decimal("6800.00"),
                "merchant": "Eastern Sky Airlines",
                "description": flight_call,
            },
        ),
        DemoRefund(
            "cinema",
            "requested: a partner's refund for a cancelled screening just arrived",
            RefundType.NOT_RECEIVED,
            "Starlight Cinemas",
            "96.00",
            "96.00",
            "Screening cancelled by the cinema; tickets not refunded.",
            by_partner=True,
        ),
        DemoRefund(
            "laptop",
            "under review: a large refund with its first approval, waiting for the second person",
            RefundType.RETURNED,
            "Jingdong Electronics",
            "9999.00",
            "9999.00",
            "Laptop returned within the seven-day no-reason period; courier receipt kept.",
            (
                review,
                evidence("proof_of_goods", "courier-receipt.pdf", "Return courier receipt, signed"),
                approve("desk", "Return received by the merchant's warehouse."),
            ),
        ),
        DemoRefund(
            "hotpot",
            "awaiting evidence: the customer must send the charge receipt",
            RefundType.DUPLICATE_CHARGE,
            "Chongqing Hotpot House",
            "418.00",
            "209.00",
            "Charged twice for one dinner; only one bill was signed.",
            (review, ask_for("A screenshot of both charges in the bank app.")),
        ),
        DemoRefund(
            "taxi",
            "approved: a small partial refund, one approval, ready to submit",
            RefundType.OTHER,
            "Didi Ride",
            "86.50",
            "30.00",
            "Driver took a detour; the platform agreed to refund the difference.",
            (review, approve("desk", "Route log shows the detour.")),
        ),
        DemoRefund(
            "hotel",
            "processing: submitted to payments, waiting for the settlement report",
            RefundType.FAILED_PAYMENT,
            "West Lake Hotel",
            "1280.00",
            "1280.00",
            "Payment failed at the front desk but the wallet was debited; paid again in cash.",
            (review, approve("desk", "Hotel confirms it received no money."), submit),
        ),
        DemoRefund(
            "closed-card",
            "failed: payments could not pay the refund back (beneficiary account closed)",
            RefundType.NOT_RECEIVED,
            "Panda Books",
            "158.00",
            "158.00",
            "Order never delivered; the bookshop agreed to refund.",
            (
                review,
                approve("desk", "Merchant agreed to the refund."),
                submit,
                report("failed", error="Beneficiary bank card was closed by the issuer."),
            ),
        ),
        DemoRefund(
            "delivered",
            "rejected: the courier's signed delivery shows the goods arrived",
            RefundType.NOT_RECEIVED,
            "Yunnan Tea Shop",
            "268.00",
            "268.00",
            "Says the tea never arrived.",
            (review, reject("The courier's record shows delivery signed by the customer on 2026-11-18.")),
        ),
        DemoRefund(
            "merchant-paid",
            "cancelled: the merchant refunded the customer directly",
            RefundType.RETURNED,
            "Suzhou Silk Store",
            "560.00",
            "560.00",
            "Returned a scarf; the store paid back in cash.",
            (cancel("The store refunded the customer in cash at the counter."),),
        ),
        DemoRefund(
            "concert",
            "under review, due within two days: the sweep reminds its handler",
            RefundType.DUPLICATE_CHARGE,
            "Harbour Concert Hall",
            "1160.00",
            "580.00",
            "Ticket charged twice when the app timed out.",
            (review,),
            due_within_hours=40,
        ),
        DemoRefund(
            "gym",
            "under review and overdue: marked late, the supervisors told",
            RefundType.OTHER,
            "FitLife Gym",
            "2400.00",
            "1200.00",
            "Membership cancelled within the cooling-off period; half the fee is due back.",
            (review,),
            received_days_ago=20,
        ),
    )


def load(demo: Demo) -> None:
    demo.heading("Demo refund cases")
    cast = Cast(
        agent=demo.user("agent"),
        desk=demo.user("refunds"),
        supervisor=demo.user("supervisor"),
        partner=demo.partner,
        payments_key=demo.payments_key,
    )
    write = demo.write
    now = timezone.now()
    for story in demo_refunds():
        case, created = _refund(story, cast, now)
        note = "" if created else "  (already there)"
        complaint = case.complaint
        source = f" (from {complaint.reference}, now {complaint.state})" if complaint else ""
        write(
            f"  {case.reference}  {case.state:<17}  {case.currency} {case.amount_to_pay:>9}  "
            f"{story.title}{source}{note}"
        )
    # A customer with a case of every type, for the customer's page (refunds.demo_customer).
    demo_customer.load(demo)
    # The clock's sweep now rather than at the next beat: reminders and overdue notices
    # are in the outbox when the admin opens.
    done = services.run_clock(timezone.now())
    write(
        f"  sweep: {done['reminders']} reminder(s) before a deadline, "
        f"{done['overdue']} case(s) marked overdue"
    )


def _received_for_deadline_within(refund_type: str, now: dt.datetime, hours: int) -> dt.datetime:
    """When a case must have come in for its deadline to fall within ``hours`` from now,
    counted on its policy's calendar (weekends and holidays included)."""
    policy = clocks.policy_for(case_type=CaseType.REFUND, category=refund_type)
    working = WorkingTime(policy.calendar)
    moment = now
    for _ in range(400):
        due = working.add(moment, policy.resolution_target, policy.resolution_unit)
        if now + dt.timedelta(hours=2) <= due <= now + dt.timedelta(hours=hours):
            return moment
        moment -= dt.timedelta(hours=1)
    return now - dt.timedelta(days=2)


def _refund(demo: DemoRefund, cast: Cast, now: dt.datetime) -> tuple[RefundCase, bool]:
    external_reference = f"{PREFIX}{demo.key}"
    existing = RefundCase.objects.filter(
        Q(external_reference=external_reference) | Q(complaint__external_reference=external_reference)
    ).first()
    if existing is not None:
        return existing, False
    received_at = now - dt.timedelta(days=demo.received_days_ago)
    if demo.due_within_hours:
        received_at = _received_for_deadline_within(demo.refund_type, now, demo.due_within_hours)
    # One transaction per story: a failure leaves nothing half-told, the next run tries again.
    with transaction.atomic():
        if demo.complaint is not None:
            complaint = complaint_services.register_complaint(
                actor=cast.agent,
                external_reference=external_reference,
                received_at=received_at,
                **demo.complaint,
            )
            complaint_services.verify_identity(complaint=complaint, actor=cast.agent, method="sms_code")
            complaint_services.accept_complaint(complaint=complaint, actor=cast.agent)
            case = services.open_refund_case_from_complaint(
                complaint=complaint,
                actor=cast.agent,
                refund_type=demo.refund_type,
                paid_at=received_at - dt.timedelta(days=14),
            )
        else:
            case = services.open_refund_case(
                actor=cast.partner.user if demo.by_partner else cast.agent,
                partner=cast.partner if demo.by_partner else None,
                external_reference=external_reference,
                refund_type=demo.refund_type,
                transaction_reference=f"TXN-DEMO-{demo.key.upper()}",
                merchant=demo.merchant,
                transaction_amount=Decimal(demo.paid),
                currency=demo.currency,
                paid_at=received_at - dt.timedelta(days=5),
                requested_amount=Decimal(demo.asked),
                reason=demo.reason,
                received_at=received_at,
            )
        for step in demo.steps:
            case = step(case, cast)
    return case, True
