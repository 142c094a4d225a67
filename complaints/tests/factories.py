"""Complaints for tests, made through the services so they are what production makes."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from casework.models import Team
from complaints import services
from complaints.models import Complaint, State

_sequence = itertools.count(1)

# What a resolution records beside its code and summary (complaints.services.classification):
# a failed transaction's codes, upheld; a resolution that paid the customer adds what it paid.
CLASSIFIED = {
    "business_type": "B01",
    "cause": "C03",
    "product": "P01",
    "root_cause": "R01",
    "outcome": "upheld",
}
REFUNDED = {**CLASSIFIED, "redress_amount": Decimal("88.00")}


def register(actor, **overrides) -> Complaint:
    """A transaction complaint registered by ``actor``, with every detail it needs."""
    number = next(_sequence)
    values = {
        "channel": "phone",
        "category": "transaction",
        "customer_name": "Li Wei",
        "customer_phone": f"1380013{number:04d}",
        "account_number": f"622200001111{number:04d}",
        "description": "Paid 88 yuan at a convenience store; payment failed but the money left my balance.",
        "transaction_at": timezone.now() - dt.timedelta(hours=3),
        "amount": Decimal("88.00"),
        "transaction_reference": f"TX20261124{number:06d}",
        "merchant": "Lawson Xujiahui",
        "device": "Huawei Mate 60, HarmonyOS 4, app 10.5.3",
    }
    values.update(overrides)
    return services.register_complaint(actor=actor, **values)


# The steps from a fresh complaint to each state.
PATHS: dict[str, tuple[str, ...]] = {
    State.RECEIVED: (),
    State.ACCEPTED: ("verify", "accept"),
    State.IN_PROGRESS: ("verify", "accept", "start"),
    State.ESCALATED: ("verify", "accept", "start", "escalate"),
    State.AWAITING_CUSTOMER: ("verify", "accept", "start", "wait_for_customer"),
    State.RESOLVED: ("verify", "accept", "start", "resolve"),
    State.CLOSED: ("verify", "accept", "start", "resolve", "close"),
    State.REJECTED: ("reject",),
    State.WITHDRAWN: ("withdraw",),
}


def complaint_in_state(
    state: str,
    *,
    agent,
    technician=None,
    via_escalation: bool = False,
    team: Team | None = None,
    **overrides,
) -> Complaint:
    """A complaint registered by ``agent`` and driven through the services to ``state``.

    With ``via_escalation``, work on it goes through the technical team first (escalate,
    then ``technician`` returns findings), so it counts as escalated.
    """
    complaint = register(agent, **overrides)
    steps = list(PATHS[state])
    if via_escalation:
        if technician is None:
            raise ValueError("via_escalation needs the technician who returns the findings")
        if "start" not in steps:
            raise ValueError(f"A complaint cannot reach {state} through an escalation")
        at = steps.index("start") + 1
        steps[at:at] = ["escalate", "return_findings"]
    team = team or Team.objects.get(code="technical")
    for step in steps:
        complaint = _run(step, complaint, agent=agent, technician=technician, team=team)
    assert complaint.state == state, (complaint.state, state)
    return complaint


def _run(step: str, complaint: Complaint, *, agent, technician, team: Team) -> Complaint:
    match step:
        case "verify":
            return services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
        case "accept":
            # The state, not the customer's correspondence: the suites that count notices
            # (escalations through a dead broker, the sweep's) count theirs alone, at any
            # hour. The acceptance notice has its own tests (test_customer_notices).
            return services.accept_complaint(complaint=complaint, actor=agent, tell_customer=False)
        case "start":
            return services.start_complaint(complaint=complaint, actor=agent)
        case "escalate":
            return services.escalate_complaint(
                complaint=complaint, actor=agent, team=team, reason="Debit without a credit in the ledger"
            )
        case "return_findings":
            return services.return_findings(
                complaint=complaint, actor=technician, findings="Duplicate debit; reversal posted"
            )
        case "wait_for_customer":
            return services.wait_for_customer(
                complaint=complaint, actor=agent, reason="Asked for the bank statement"
            )
        case "resolve":
            return services.resolve_complaint(
                **REFUNDED, complaint=complaint, actor=agent, code="refunded", summary="Refunded 88.00 CNY"
            )
        case "close":
            return services.close_complaint(complaint=complaint, actor=agent)
        case "reject":
            return services.reject_complaint(complaint=complaint, actor=agent, reason="Not a wallet matter")
        case "withdraw":
            return services.withdraw_complaint(complaint=complaint, actor=agent)
    raise ValueError(f"Unknown step {step!r}")


def file_complaint(partner, **overrides) -> Complaint:
    """A complaint the partner filed, straight through the service."""
    details = {
        "category": "other",
        "customer_name": "Han Meimei",
        "customer_phone": "13900001111",
        "description": "The app is slow.",
    }
    details.update(overrides)
    return services.register_complaint(actor=partner.user, partner=partner, channel="partner_api", **details)
