"""What the complaint API tests send: the partner door's addresses and a new complaint's
body as a partner sends it."""

from __future__ import annotations

LIST_URL = "/api/v1/complaints/"


def detail_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/"


def withdraw_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/withdraw/"


def payload(**overrides) -> dict:
    body = {
        "category": "transaction",
        "priority": "high",
        "customer_name": "Li Lei",
        "customer_phone": "+86 138 0013 8000",
        "account_number": "6222000011112222",
        "description": "Paid at the merchant, the money left my wallet, the order says unpaid.",
        "transaction_at": "2026-03-02T10:15:00+08:00",
        "amount": "120.50",
        "currency": "CNY",
        "transaction_reference": "TX-88001",
        "merchant": "Happy Noodles",
        "device": "iPhone 15, iOS 19, app 8.2",
        "external_reference": "ACME-1001",
    }
    body.update(overrides)
    return body


def notes_url(reference: str) -> str:
    return f"{LIST_URL}{reference}/notes/"
