"""Registering a complaint and resolving it in the same contact (Zendesk's "Submit as solved").

The agent on the phone registers the call, verifies the caller, accepts and resolves in one
go. Each step is the ordinary service, with its own checks and its own record in the trail;
this one only runs them in one transaction, so a refusal at any step keeps nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from casework.core.actors import Actor
from casework.core.errors import CaseworkError, InvalidInput
from complaints.models import Channel, Complaint

from .cases import accept_complaint, register_complaint, resolve_complaint, verify_identity

# Where staff talk to the customer themselves; a partner's or a regulator's complaint
# comes to us in writing and is worked, not solved on the spot.
FIRST_CONTACT_CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.EMAIL, Channel.APP)

# The steps' own names for what the caller of register_and_resolve names otherwise.
_CALLERS_FIELD = {"method": "verification_method"}


def register_and_resolve(
    *,
    actor: Actor,
    channel: str,
    category: str,
    customer_name: str,
    customer_phone: str,
    description: str,
    verification_method: str,
    code: str,
    summary: str,
    priority: str = "normal",
    account_number: str = "",
    transaction_at: dt.datetime | None = None,
    amount: Decimal | None = None,
    currency: str = "CNY",
    transaction_reference: str = "",
    merchant: str = "",
    device: str = "",
) -> Complaint:
    """Register a complaint taken by staff, record the caller's identity verification, accept
    it and resolve it on first contact, in one transaction: every step or none.

    Only for the channels where staff speak with the customer (``FIRST_CONTACT_CHANNELS``). A
    refusal names the field as the caller sent it (``verification_method``, ``code``, ``summary``).
    """
    try:
        with transaction.atomic():
            complaint = register_complaint(
                actor=actor,
                channel=channel,
                category=category,
                priority=priority,
                customer_name=customer_name,
                customer_phone=customer_phone,
                account_number=account_number,
                description=description,
                transaction_at=transaction_at,
                amount=amount,
                currency=currency,
                transaction_reference=transaction_reference,
                merchant=merchant,
                device=device,
            )
            # Asked of the registered complaint: who may not register, or sent no valid
            # channel, is told so first.
            if complaint.channel not in FIRST_CONTACT_CHANNELS:
                raise InvalidInput(
                    _(
                        "Only a complaint taken by phone, online chat, e-mail or in the app can be "
                        "resolved on first contact: register it, then work it."
                    ),
                    field="channel",
                )
            verify_identity(complaint=complaint, actor=actor, method=verification_method)
            accept_complaint(complaint=complaint, actor=actor)
            resolve_complaint(
                complaint=complaint, actor=actor, code=code, summary=summary, is_first_contact=True
            )
    except CaseworkError as refusal:
        if refusal.field in _CALLERS_FIELD:
            raise type(refusal)(refusal.message, field=_CALLERS_FIELD[refusal.field]) from refusal
        raise
    return complaint
