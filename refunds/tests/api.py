"""What the refund API tests send: the refund doors' addresses, a new case's body as a
partner sends it, a case a partner sent, and an evidence file."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from refunds.models import RefundCase
from refunds.tests.factories import PNG, open_refund

LIST_URL = "/api/v1/refund-cases/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def cancel_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/cancel/"


def evidence_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/evidence/"


def instruction_url(key: str) -> str:
    return f"/api/v1/payment-instructions/{key}/"


def report_url(key: str) -> str:
    return f"/api/v1/payment-instructions/{key}/report/"


_numbers = iter(range(1, 100000))


def payload(**overrides) -> dict:
    body = {
        "refund_type": "not_received",
        "transaction_reference": f"TXN-API-{next(_numbers):06d}",
        "merchant": "Hangzhou Tea House",
        "transaction_amount": "800.00",
        "currency": "CNY",
        "paid_at": (timezone.now() - dt.timedelta(days=3)).isoformat(),
        "requested_amount": "300.00",
        "reason": "Order cancelled by the merchant; money not returned.",
        "external_reference": "ACME-R-1",
    }
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def send_refund(partner, **overrides) -> RefundCase:
    """A refund case the partner sent, straight through the service."""
    return open_refund(partner.user, partner=partner, **overrides)


def png(name: str = "voucher.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")
