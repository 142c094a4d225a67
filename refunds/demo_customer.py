"""One demo customer with a case of every type, for the customer's page (Customer 360,
``casework.admin.customers``): Tang Wen, known by her phone and her wallet account. A
complaint resolved a month ago (its acceptance and decision notices); today, a complaint
about her locked wallet and the unlock request opened from it; a complaint about a refund
that never came and the refund case opened from it, and the same question asked again on
the website, merged into it; her SMS asking for a call back; and her request, on the
call, that we erase her data, recorded by the agent and waiting for a supervisor (it will
wait for her running cases too: ``casework.erasure``).

Part of ``refunds.demo``'s stories (the last kind told, so every type is there to link);
told once: each complaint carries its ``demo-`` reference.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse

from accounts import services as account_services
from accounts.models import AccountStatus, LockReason, WalletAccount
from casework.demo import DEMO_REFERENCE_PREFIX, Demo
from casework.erasure import services as erasure
from casework.intake.texts import file_customer_sms
from casework.models import CustomerMessage, ErasureRequest
from complaints import demo as complaint_demo
from complaints import services as complaint_services
from complaints.demo import DemoComplaint, accept, resolve, start, verify
from complaints.models import Complaint

from . import services
from .models import RefundType

PHONE = "13588990077"
ACCOUNT = "WLT-3600-0360"
NAME = "Tang Wen"
ERASURE_TEXT = "Once this is sorted out, delete everything you hold about me."
SMS_REPLY = "Still locked out of my wallet and the refund is not back. Please call me after 6 pm."


def stories(now: dt.datetime) -> tuple[DemoComplaint, ...]:
    def ago(**delta) -> dt.datetime:
        return now - dt.timedelta(**delta)

    who = {"customer_name": NAME, "customer_phone": PHONE, "account_number": ACCOUNT}
    return (
        DemoComplaint(
            "360-earlier",
            "resolved a month ago: a bus fare charged twice",
            {
                **who,
                "channel": "phone",
                "category": "transaction",
                "description": "The metro gate charged the QR fare twice for one ride.",
                "transaction_at": ago(days=31, hours=3),
                "amount": Decimal("6.00"),
                "transaction_reference": "QR20261101083015",
                "merchant": "Shenzhen Metro Line 1",
            },
            (
                verify("sms_code"),
                accept,
                start,
                resolve(
                    "refunded",
                    "The second fare was a duplicate from the gate's retry; 6.00 CNY went back.",
                    product="P03",
                    root_cause="R01",
                    outcome="upheld",
                    redress_amount=Decimal("6.00"),
                ),
            ),
            received_days_ago=30,
        ),
        DemoComplaint(
            "360-locked",
            "open: her wallet locked after wrong passwords; an unlock request opened from it",
            {
                **who,
                "channel": "phone",
                "category": "account_locked",
                "description": "Locked out after typing an old password five times on a new phone.",
            },
            (verify("sms_code"), accept),
            received_days_ago=0.2,
        ),
        DemoComplaint(
            "360-refund",
            "open: a returned parcel never refunded; a refund case opened from it",
            {
                **who,
                "channel": "app",
                "category": "refund",
                "description": "Returned a kettle to the shop ten days ago; the 129.00 CNY is not back.",
                "transaction_reference": "TXN-360-20261120-0042",
                "amount": Decimal("129.00"),
                "merchant": "Homeware Direct",
            },
            (verify("sms_code"), accept),
            received_days_ago=1,
        ),
        DemoComplaint(
            "360-duplicate",
            "merged: the same refund asked again on the website, merged into the complaint above",
            {
                **who,
                "channel": "website",
                "category": "refund",
                "description": "Where is my kettle refund? 129.00 CNY, returned ten days ago.",
                "transaction_reference": "TXN-360-20261120-0042",
                "amount": Decimal("129.00"),
                "merchant": "Homeware Direct",
            },
            (),
            received_days_ago=0.5,
        ),
    )


def load(demo: Demo) -> None:
    demo.heading("Demo customer with a case of every type (the customer's page)")
    cast = complaint_demo.cast_for(demo)
    WalletAccount.objects.get_or_create(
        account_number=ACCOUNT,
        defaults={
            "holder_name": NAME,
            "phone_masked": "135****0077",
            "status": AccountStatus.LOCKED,
            "lock_reason": LockReason.WRONG_PASSWORDS,
            "failed_attempts": 5,
            "locked_at": demo.now - dt.timedelta(hours=6),
        },
    )
    told = {story.key: complaint_demo.tell(story, cast, demo.now)[0] for story in stories(demo.now)}
    with transaction.atomic():
        locked = told["360-locked"]
        if not locked.account_requests.exists():
            account_services.open_unlock_request_from_complaint(complaint=locked, actor=cast.agent)
        refund = told["360-refund"]
        duplicate = told["360-duplicate"]
        if duplicate.is_open:  # the agent sees the likely duplicate and merges it (docs/merging.md)
            complaint_services.merge_complaint(
                complaint=duplicate,
                into=refund,
                actor=cast.agent,
                reason="The same kettle refund, asked again on the website.",
            )
        if not refund.refund_cases.exists():
            services.open_refund_case_from_complaint(
                complaint=refund,
                actor=cast.agent,
                refund_type=RefundType.RETURNED,
                paid_at=demo.now - dt.timedelta(days=12),
            )
    customer = Complaint.objects.get(pk=locked.pk).customer
    replied = CustomerMessage.objects.filter(
        direction=CustomerMessage.Direction.INCOMING, address__endswith=PHONE[-8:]
    ).exists()
    if not replied:
        file_customer_sms(PHONE, SMS_REPLY, received_at=demo.now - dt.timedelta(minutes=20))
    if not ErasureRequest.objects.filter(customer=customer).exists():
        erasure.record_request(
            customer=customer,
            received_via="hotline",
            request_text=ERASURE_TEXT,
            identity_verified=True,
            reply_channel="sms",
            reply_address=PHONE,
            language="zh-hans",
            actor=cast.agent,
            received_at=demo.now - dt.timedelta(hours=2),
        )
    complaint_demo.send_customer_notices(demo, [complaint.reference for complaint in told.values()])
    references = Complaint.objects.filter(external_reference__startswith=f"{DEMO_REFERENCE_PREFIX}360-")
    demo.write(
        f"  {NAME}: {references.count()} complaints, an unlock request, a refund case and an erasure "
        "request waiting for a supervisor; her page: "
        f"{reverse('admin-customer', args=[customer.pk])}"
    )
