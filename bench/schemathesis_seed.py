"""Seed the database a schemathesis run attacks, and write the run's schemathesis.toml.

Called by bench/schemathesis_all.sh after ``migrate``, with the environment the server will
run under (DATABASE_URL, ...). Makes, as casework/tests/test_contract.py does in-process: a
partner with an unthrottled key and real cases of each type in several states, and the
payments system with its key and two instructions to read and report on. The config file
sends the partner's key everywhere but the payments system's operations, and names one of
the real cases in half the requests that name a case (the rest keep the generated
reference, a 404), so reads and actions reach real cases.

    .venv/bin/python bench/schemathesis_seed.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import AccountStatus, LockReason, WalletAccount  # noqa: E402
from accounts.tests.factories import serve, wallet_account  # noqa: E402
from casework import roles  # noqa: E402
from casework.models import Partner  # noqa: E402
from casework.tests.api import key_for  # noqa: E402
from complaints.tests.factories import complaint_in_state  # noqa: E402
from refunds.models import RefundCase  # noqa: E402
from refunds.tests.conftest import PAYMENTS_SYSTEM  # noqa: E402
from refunds.tests.factories import advance  # noqa: E402

UNTHROTTLED = "1000000/minute"
EXAMPLE_ACCOUNT_NUMBER = "WLT-6201-7788"  # the schema's example: locked, so sending it succeeds


def make_user(username: str, role: str) -> User:
    """A user in ``role`` with no password: nobody logs in as the run's users."""
    # Partners and the payments system are machine callers on the API, never staff logins.
    is_staff = role not in (roles.PARTNER, PAYMENTS_SYSTEM)
    user = User.objects.create_user(username=username, password=None, is_staff=is_staff)
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def seed() -> dict:
    run = uuid.uuid4().hex[:8]  # a database used before keeps its rows; this run's are its own
    partner = Partner.objects.create(
        code=f"st-{run}",
        name="Schemathesis Pay",
        user=make_user(f"partner-st-{run}", roles.PARTNER),
        rate_limit=UNTHROTTLED,
    )
    payments_user = make_user(f"payments-st-{run}", PAYMENTS_SYSTEM)
    payments = Partner.objects.create(
        code=f"pay-{run}", name="Payments system", user=payments_user, rate_limit=UNTHROTTLED
    )
    agent = make_user(f"agent.st-{run}", roles.AGENT)
    desk = make_user(f"refunds.st-{run}", roles.REFUNDS_DESK)
    second = make_user(f"refunds2.st-{run}", roles.REFUNDS_DESK)
    partner_key, payments_key = key_for(partner), key_for(payments)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {partner_key}")

    def created(path: str, body: dict) -> str:
        response = client.post(path, body, format="json", HTTP_HOST="127.0.0.1", secure=True)
        assert response.status_code == 201, response.content
        return response.json()["reference"]

    complaint = {
        "category": "transaction",
        "customer_name": "Li Wei",
        "customer_phone": "+86 138 0013 8000",
        "description": "Paid twice for one order.",
        "transaction_at": "2026-01-20T10:00:00+08:00",
        "amount": "88.00",
        "transaction_reference": f"TX-ST-{run}",
    }
    complaints = [created("/api/v1/complaints/", complaint) for _ in range(2)]
    complaints.append(complaint_in_state("resolved", agent=agent, partner=partner).reference)

    if not _exists(EXAMPLE_ACCOUNT_NUMBER):
        wallet_account(account_number=EXAMPLE_ACCOUNT_NUMBER)
    # A partner asks only for the accounts the wallet company linked to it.
    serve(partner, WalletAccount.objects.get(account_number=EXAMPLE_ACCOUNT_NUMBER))
    # Numbers of this run's own: a database used before has the factory's numbers already.
    digits = f"{int(run, 16) % 10**8:08d}"
    locked = wallet_account(account_number=f"62229{digits}1", served_by=partner)
    frozen = wallet_account(
        account_number=f"62229{digits}2",
        status=AccountStatus.FROZEN,
        lock_reason=LockReason.JUDICIAL_FREEZE,
        served_by=partner,
    )
    account_requests = [
        created("/api/v1/account-requests/", {"account_number": account.account_number})
        for account in (locked, frozen)
    ]

    def refund(number: int) -> str:
        return created(
            "/api/v1/refund-cases/",
            {
                "refund_type": "not_received",
                "transaction_reference": f"TXN-ST-{run}-{number}",
                "merchant": "Hangzhou Tea House",
                "transaction_amount": "800.00",
                "currency": "CNY",
                "paid_at": "2026-01-20T10:00:00+08:00",
                "requested_amount": "300.00",
                "reason": "Order cancelled by the merchant.",
            },
        )

    refunds = [refund(number) for number in range(1, 4)]
    instructions = []
    for reference, steps in [
        (refunds[1], ("start_review", "approve", "submit")),
        (refunds[2], ("start_review", "approve", "submit", "fail")),
    ]:
        case = advance(
            RefundCase.objects.get(reference=reference),
            *steps,
            desk=desk,
            second=second,
            payments=payments_user,
        )
        instructions.extend(case.instructions.values_list("idempotency_key", flat=True))
    return {
        "partner_key": partner_key,
        "payments_key": payments_key,
        "complaints": complaints,
        "account-requests": account_requests,
        "refund-cases": refunds,
        "payment-instructions": instructions,
    }


def _exists(account_number: str) -> bool:
    from accounts.models import WalletAccount

    return WalletAccount.objects.filter(account_number=account_number).exists()


# Each collection whose operations name one of its members, and the path parameter that does.
COLLECTIONS = {
    "complaints": "reference",
    "account-requests": "reference",
    "refund-cases": "reference",
    "payment-instructions": "key",
}


def config_toml(seeded: dict) -> str:
    """schemathesis.toml: the partner's key by default, the payments system's on its own
    operations; half the requests naming a case name a real one."""
    # As the load balancer forwards a request after TLS: https, so none is redirected.
    forwarded = '"X-Forwarded-Proto" = "https"'
    lines = [f'headers = {{ Authorization = "Bearer {seeded["partner_key"]}", {forwarded} }}', ""]
    for collection in COLLECTIONS:
        lines += [
            f"[dictionaries.{collection.replace('-', '_')}]",
            f"values = {json.dumps(seeded[collection])}",
            "",
        ]
    for collection, parameter in COLLECTIONS.items():
        name = collection.replace("-", "_")
        lines += [
            "[[operations]]",
            f'include-path-regex = "^/api/v1/{collection}/\\\\{{{parameter}\\\\}}/"',
            f'parameters = {{ "path.{parameter}" = {{ dictionary = "{name}", probability = 0.5 }} }}',
        ]
        if collection == "payment-instructions":
            lines.append(f'headers = {{ Authorization = "Bearer {seeded["payments_key"]}", {forwarded} }}')
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    seeded = seed()
    (out / "schemathesis.toml").write_text(config_toml(seeded))
    (out / "seeded.json").write_text(json.dumps(seeded, indent=2))
    print(f"seeded: {sum(len(v) for k, v in seeded.items() if isinstance(v, list))} cases and instructions")
