"""Resolved demo complaints with their classification (upheld, partly upheld; the codes,
some redress), so the returns have something to count; part of ``complaints.demo``'s
stories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from .demo import DemoComplaint, accept, resolve, start, verify


def resolved_stories(ago: Callable[..., dt.datetime]) -> tuple[DemoComplaint, ...]:
    return (
        DemoComplaint(
            "marketing-sms",
            "resolved, partly upheld: marketing texts after opting out",
            {
                "channel": "website",
                "category": "privacy",
                "customer_name": "Xu Jing",
                "customer_phone": "13633445566",
                "description": (
                    "Keeps receiving promotional SMS about credit payment a month after switching "
                    "marketing messages off in the app."
                ),
            },
            (
                verify("sms_code"),
                accept,
                start,
                resolve(
                    "corrected",
                    "The opt-out reached the app but not the SMS platform; it is fixed and the number "
                    "removed. The credit-payment texts were service notices, which continue.",
                    cause="C05",
                    product="P05",
                    root_cause="R01",
                    outcome="partly_upheld",
                ),
            ),
            received_days_ago=6,
        ),
        DemoComplaint(
            "qr-double-charge",
            "resolved, upheld: a QR payment charged twice, refunded at once",
            {
                "channel": "chat",
                "category": "transaction",
                "customer_name": "He Lei",
                "customer_phone": "13822446688",
                "account_number": "WLT-7710-2290",
                "description": "Scanned a QR code at a noodle shop once and was charged 42.00 CNY twice.",
                "transaction_at": ago(days=4, hours=2),
                "amount": Decimal("42.00"),
                "transaction_reference": "QR20261129121502",
                "merchant": "Lanzhou Noodles Xuhui",
                "device": "iPhone 15, iOS 18, wallet app 10.5.9",
            },
            (
                verify("sms_code"),
                accept,
                start,
                resolve(
                    "refunded",
                    "The second charge was a duplicate from a retried QR session; 42.00 CNY went back "
                    "to the balance.",
                    product="P03",
                    root_cause="R01",
                    outcome="upheld",
                    redress_amount=Decimal("42.00"),
                ),
            ),
            received_days_ago=4,
        ),
    )
