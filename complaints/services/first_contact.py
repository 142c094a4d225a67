"""Registering a complaint and resolving it in the same contact (Zendesk's "Submit as solved").

The agent on the phone registers the call, verifies the caller, accepts and resolves in one
go. Each step is the ordinary service, with its own checks and its own record in the trail;
this one only runs them in one transaction, so a refusal at any step keeps nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from casework.core.actors import Actor
from casework.core.errors import CaseworkError, InvalidInput
from complaints.models import Channel, Complaint

from .cases import accept_complaint, register_complaint, resolve_complaint, verify_identity
from .classification import CodeValue

# Where staff talk to the customer themselves; a partner's or a regulator's complaint
# comes to us in writing and is worked, not solved on the spot.
FIRST_CONTACT_CHANNELS = (Channel.PHONE, Channel.CHAT, Channel.EMAIL, Channel.APP)

# The steps' own names for what the caller of register_and_resolve names otherwise.
_CALLERS_FIELD = {"method": "verification_method"}


def register_verified(*, actor: Actor, verification_method: str, **registration: Any) -> Complaint:
    """Register a complaint and record how the caller's identity was verified, in one
    transaction; without a method it only registers. A refusal of the verification names
    ``verification_method`` and keeps nothing."""
    if not verification_method:
        return register_complaint(actor=actor, **registration)
    try:
        with transaction.atomic():
            complaint = register_complaint(actor=actor, **registration)
            verify_identity(complaint=complaint, actor=actor, method=verification_method)
    except CaseworkError as refusal:
        if refusal.field in _CALLERS_FIELD:
            raise type(refusal)(refusal.message, field=_CALLERS_FIELD[refusal.field]) from refusal
        raise
    return complaint


def register_and_resolve(
    *,
    actor: Actor,
    verification_method: str,
    code: str,
    summary: str,
    business_type: CodeValue = None,
    cause: CodeValue = None,
    product: CodeValue = None,
    root_cause: CodeValue = None,
    outcome: str = "",
    redress_amount=None,
    **registration: Any,
) -> Complaint:
    """Register a complaint taken by staff, record the caller's identity verification, accept
    it and resolve it on first contact, in one transaction: every step or none.

    ``registration`` is what ``register_complaint`` takes (channel, category, customer,
    transaction...), passed to it as it is. Only for the channels where staff speak with the
    customer (``FIRST_CONTACT_CHANNELS``). The classification is the resolution's
    (``resolve_complaint``): a business type or cause not given is the one the category
    maps to, as registered. A refusal names the field as the caller sent it
    (``verification_method``, ``code``, ``summary``, ``product``...).
    """
    try:
        with transaction.atomic():
            complaint = register_complaint(actor=actor, **registration)
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
            # One notice, the decision: an acceptance SMS a second before it says nothing new.
            accept_complaint(complaint=complaint, actor=actor, tell_customer=False)
            resolve_complaint(
                complaint=complaint,
                actor=actor,
                code=code,
                summary=summary,
                is_first_contact=True,
                business_type=business_type or complaint.business_type,
                cause=cause or complaint.cause,
                product=product,
                root_cause=root_cause,
                outcome=outcome,
                redress_amount=redress_amount,
            )
    except CaseworkError as refusal:
        if refusal.field in _CALLERS_FIELD:
            raise type(refusal)(refusal.message, field=_CALLERS_FIELD[refusal.field]) from refusal
        raise
    return complaint
