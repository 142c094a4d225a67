"""Webhooks to partners: each state change of a partner's case, POSTed signed to its URL.

A transition of a case filed by a partner that has a ``webhook_url`` writes one outbox
notice in the transition's own transaction, so a rolled-back transition announces
nothing and a committed one is delivered (and retried) by the outbox. The payload says
what a partner may know: the case, the transition, the states and when. Never the
reason, the actor or notes: those are the back office's own.

The notice names its secret ``partner:<code>``; it is looked up at send time, so a
rotation is seen at once. Until the previous secret's overlap passes, every webhook
carries a signature by each secret, and the partner can switch over without a gap.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import pgettext_lazy

from casework.models import Notification, Partner, TransitionRecord
from casework.notices import outbox, webhooks

KIND = outbox.register_kind("partner_event", pgettext_lazy("notice kind", "partner webhook"))
SIGNING_PREFIX = "partner"
DEFAULT_OVERLAP = dt.timedelta(hours=24)


def rotate_webhook_secret(partner: Partner, *, actor, overlap: dt.timedelta = DEFAULT_OVERLAP) -> str:
    """Give ``partner`` a new webhook secret and return it (shown once, never again).

    The old one keeps signing alongside it until ``overlap`` has passed; a zero overlap
    drops it at once (a leaked secret). The history row names who rotated, not the keys.
    """
    now = timezone.now()
    new_secret = webhooks.new_secret()
    with transaction.atomic():
        # Two rotations at once would each keep a secret the other just replaced.
        current = Partner.objects.select_for_update().get(pk=partner.pk)
        if current.webhook_secret and overlap > dt.timedelta(0):
            partner.previous_webhook_secret = current.webhook_secret
            partner.previous_webhook_secret_expires_at = now + overlap
        else:
            partner.previous_webhook_secret = ""
            partner.previous_webhook_secret_expires_at = None
        partner.webhook_secret = new_secret
        partner._history_user = actor
        partner._change_reason = "Webhook secret rotated"
        partner.save(
            update_fields=["webhook_secret", "previous_webhook_secret", "previous_webhook_secret_expires_at"]
        )
    return new_secret


def secrets_for_partner(partner: Partner, now: dt.datetime | None = None) -> list[str]:
    """The secrets that sign ``partner``'s webhooks now: current first, then the previous
    one while its overlap lasts."""
    now = now or timezone.now()
    found = [partner.webhook_secret] if partner.webhook_secret else []
    expires_at = partner.previous_webhook_secret_expires_at
    if partner.previous_webhook_secret and expires_at is not None and expires_at > now:
        found.append(partner.previous_webhook_secret)
    return found


def signing_key(partner: Partner) -> str:
    return f"{SIGNING_PREFIX}:{partner.code}"


def secrets_for_code(code: str) -> list[str]:
    """The signing lookup behind ``partner:<code>`` (registered in ``casework.apps``)."""
    partner = Partner.objects.filter(code=code).first()
    return secrets_for_partner(partner) if partner is not None else []


def event_type(case: models.Model) -> str:
    """``complaint``, ``account_request``, ``refund_case``: the model's name in snake case."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(case).__name__).lower()


def case_api_path(case: models.Model) -> str:
    """The partner API's address of the case, e.g. /api/v1/complaints/CMP-…/."""
    route = f"{event_type(case).replace('_', '-')}-detail"
    try:
        return reverse(route, kwargs={"reference": case.reference})
    except NoReverseMatch:
        return ""


def event_payload(case: models.Model, record: TransitionRecord, *, event_id: str) -> dict:
    """What the partner is told of one transition. Nothing internal: no reason, no actor.
    A case type adds what its partner may know of one of its transitions with a
    ``partner_event_details(record)`` method (a merged complaint names its survivor)."""
    details = getattr(case, "partner_event_details", None)
    return {
        "type": f"{event_type(case)}.state_changed",
        "id": event_id,
        "timestamp": timezone.now().isoformat(),
        "data": {
            "reference": record.case_reference,
            "transition": record.transition,
            "from_state": record.source_state,
            "to_state": record.target_state,
            "occurred_at": record.created_at.isoformat(),
            "url": case_api_path(case),
            **(details(record) if details else {}),
        },
    }


def announce_transition(case: models.Model, record: TransitionRecord) -> Notification | None:
    """Queue the webhook of one transition for the case's partner, if it asked for them.

    Call inside the transaction that records the transition. Free for a staff case (no
    query) and one partner read at most otherwise (none when the partner is loaded).
    """
    if getattr(case, "partner_id", None) is None:
        return None
    partner = case.partner
    if not partner.webhook_url or not partner.is_active:
        return None
    # The record's hash is unique per record and stable: a repeat would dedupe, and the
    # id does not tell the partner how many transitions the back office runs.
    event_id = f"evt_{record.record_hash[:32]}"
    payload = event_payload(case, record, event_id=event_id)
    return outbox.enqueue(
        idempotency_key=event_id,
        kind=KIND,
        channel=Notification.Channel.WEBHOOK,
        recipient=partner.webhook_url,
        signing_key=signing_key(partner),
        subject=f"{payload['type']} {record.case_reference}: {record.source_state} → {record.target_state}",
        body=json.dumps(payload, ensure_ascii=False),
        case=case,
    )
