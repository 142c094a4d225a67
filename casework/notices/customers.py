"""Telling the customer: one message per event, written in the event's transaction and
delivered by the outbox.

:func:`tell_customer` is called by a case app's service inside the transaction of the
transition it tells (acceptance, extension, decision, a refund paid, an unlock done). It
asks the case's kind who the customer is (``CaseKind.customer_contact``), picks the channel
(their preferred one; SMS when there is no e-mail address) and their language, and writes
the ``CustomerMessage`` and its outbox ``Notification`` together, under one idempotency key
``customer-<kind>-<case reference>-<event>``: the same event told twice finds the first
message, and the outbox's claim sends it once even when a worker dies mid-send.

- A partner's customer is told by the partner (its webhooks), unless the partner opted in
  to direct notices (``Partner.notifies_customers_directly``): then nothing is written here.
- A channel and address the customer opted out of (``ContactOptOut``) gets the message
  recorded as ``suppressed``, with no outbox row: the case still shows what was due.
- An SMS written in the customer's quiet hours (``CUSTOMER_QUIET_HOURS`` in
  ``CUSTOMER_TIME_ZONE``) is ``held``: its outbox row waits until they end and the outbox's
  retry sweep sends it then. E-mail is not held.
- An e-mail carries the Message-ID of its key, a Reply-To naming its message
  (``replies.reply_address``) and, after the first, In-Reply-To / References to the case's
  first e-mail, so the customer's mail client keeps one thread per case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from casework.models import (
    ContactOptOut,
    CustomerChannel,
    CustomerContact,
    CustomerMessage,
    Notification,
    TransitionRecord,
    kinds,
)
from casework.notices import outbox, replies, texts

# The outbox names a customer notice's kind with this prefix: "customer_acceptance".
KIND_PREFIX = outbox.CUSTOMER_KIND_PREFIX

_labels: dict[str, Promise] = {}


def register_notice(kind: str, label: Promise, outbox_label: Promise) -> str:
    """Name a customer notice's kind for the timeline ("Acceptance notice") and its outbox
    row ("customer acceptance", as in "customer acceptance notice to …"); returns ``kind``."""
    _labels[kind] = label
    outbox.register_kind(KIND_PREFIX + kind, outbox_label)
    return kind


def notice_label(kind: str) -> str:
    label = _labels.get(kind)
    return str(label) if label is not None else kind.replace("_", " ")


ACCEPTANCE = register_notice(
    "acceptance",
    pgettext_lazy("customer notice", "Acceptance notice"),
    pgettext_lazy("notice kind", "customer acceptance"),
)
EXTENSION = register_notice(
    "extension",
    pgettext_lazy("customer notice", "Extension notice"),
    pgettext_lazy("notice kind", "customer extension"),
)
DECISION = register_notice(
    "decision",
    pgettext_lazy("customer notice", "Decision notice"),
    pgettext_lazy("notice kind", "customer decision"),
)
REFUND_SETTLED = register_notice(
    "refund_settled",
    pgettext_lazy("customer notice", "Refund paid notice"),
    pgettext_lazy("notice kind", "customer refund paid"),
)
# Regulation E: the provisional credit made, and taken back (12 CFR 1005.11(c)(2)(iv), (d)(2)).
PROVISIONAL_CREDIT = register_notice(
    "provisional_credit",
    pgettext_lazy("customer notice", "Provisional credit notice"),
    pgettext_lazy("notice kind", "customer provisional credit"),
)
CREDIT_REVERSED = register_notice(
    "credit_reversed",
    pgettext_lazy("customer notice", "Credit reversed notice"),
    pgettext_lazy("notice kind", "customer credit reversed"),
)
UNLOCK_EXECUTED = register_notice(
    "unlock_executed",
    pgettext_lazy("customer notice", "Account unlocked notice"),
    pgettext_lazy("notice kind", "customer account unlocked"),
)


STAFF_REPLY = register_notice(
    "staff_reply",
    pgettext_lazy("customer notice", "Reply"),
    pgettext_lazy("notice kind", "reply to the customer"),
)


def contact_for(case: models.Model) -> CustomerContact | None:
    """Who the customer of ``case`` is, as its kind says; None when it knows nobody."""
    find = kinds.kind_of(type(case)).customer_contact
    return find(case) if find is not None else None


def latest_event(case: models.Model) -> TransitionRecord:
    """The case's last transition record: the event a notice written just after it tells."""
    return (
        TransitionRecord.objects.filter(
            content_type=ContentType.objects.get_for_model(case), object_id=case.pk
        )
        .order_by("-created_at", "-id")
        .first()
    )


def local_date(at: dt.datetime) -> dt.date:
    """A moment as a date in the customer's time zone (a deadline in a notice)."""
    return at.astimezone(ZoneInfo(settings.CUSTOMER_TIME_ZONE)).date()


def quiet_hours_end(now: dt.datetime) -> dt.datetime | None:
    """When the customer's quiet hours around ``now`` end, or None if ``now`` is not in them."""
    if not settings.CUSTOMER_QUIET_HOURS:
        return None
    start_text, _, end_text = settings.CUSTOMER_QUIET_HOURS.partition("-")
    start, end = dt.time.fromisoformat(start_text), dt.time.fromisoformat(end_text)
    zone = ZoneInfo(settings.CUSTOMER_TIME_ZONE)
    local = now.astimezone(zone)
    at = local.time()
    quiet = (start <= at < end) if start <= end else (at >= start or at < end)
    if not quiet or start == end:
        return None
    ends = dt.datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends += dt.timedelta(days=1)
    return ends


def _thread_root(case: models.Model) -> str:
    """The Message-ID of the case's first e-mail to the customer, or ""."""
    return (
        CustomerMessage.objects.filter(
            content_type=ContentType.objects.get_for_model(case),
            object_id=case.pk,
            direction=CustomerMessage.Direction.OUTGOING,
            channel=CustomerChannel.EMAIL,
        )
        .exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
        .first()
        or ""
    )


def tell_customer(
    *,
    case: models.Model,
    kind: str,
    event: TransitionRecord | str | None = None,
    channel: str | None = None,
    language: str | None = None,
    actor=None,
    context: dict[str, Any] | None = None,
    subject: str = "",
    text: str = "",
    html: str = "",
    sms: str = "",
    contact: CustomerContact | None = None,
) -> CustomerMessage | None:
    """Write the message telling the customer of ``case`` about ``event``, once.

    Call inside the event's transaction. ``event`` is the transition record it tells (by
    default the case's latest), or any string naming the event uniquely on the case. The
    words come from ``subject``/``text``/``html``/``sms`` if given (a staff reply), else from
    the notice ``kind``'s templates rendered with ``context`` (``texts.render_notice``).
    Returns None when the case has no customer to write to, or its partner tells them.
    ``contact``: whom to write to, for a case that is no kind's (an erasure request names
    its own address); by default the case's kind says.
    """
    contact = contact or contact_for(case)
    if contact is None or not contact.is_told_directly:
        return None
    if event is None:
        event = latest_event(case)
    event_id = event if isinstance(event, str) else str(event.pk)
    key = f"customer-{kind}-{case.reference}-{event_id}"
    existing = CustomerMessage.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing

    channel = channel or contact.channel
    if channel == CustomerChannel.EMAIL and not contact.email:
        channel = CustomerChannel.SMS
    language = language or contact.language
    address = contact.address(channel)
    template_code = ""
    author = actor if getattr(actor, "is_staff", False) else None  # a staff reply's writer
    if not (text or sms):
        author = None  # the system's notice, whoever's step called for it
        rendered = texts.render_notice(kind, {"case": case, "contact": contact, **(context or {})}, language)
        subject, text, html, sms, template_code = (
            rendered.subject,
            rendered.text,
            rendered.html,
            rendered.sms,
            kind,
        )
    message = CustomerMessage(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        case_reference=case.reference,
        direction=CustomerMessage.Direction.OUTGOING,
        channel=channel,
        kind=kind,
        address=address,
        language=language,
        subject=subject[:200],
        body_text=(text if channel == CustomerChannel.EMAIL else (sms or text)),
        body_html=html if channel == CustomerChannel.EMAIL else "",
        template_code=template_code,
        idempotency_key=key,
        author=author,
    )
    if ContactOptOut.objects.filter(channel=channel, address=address).exists():
        message.status = CustomerMessage.Status.SUPPRESSED
        message.save()
        return message

    held_until = None
    if channel == CustomerChannel.EMAIL:
        message.message_id = replies.notice_message_id(key)
        message.in_reply_to = _thread_root(case)
    else:
        held_until = quiet_hours_end(timezone.now())
    message.notification = outbox.enqueue(
        idempotency_key=key,
        kind=KIND_PREFIX + kind,
        channel=Notification.Channel.EMAIL if channel == CustomerChannel.EMAIL else Notification.Channel.SMS,
        recipient=address,
        subject=message.subject,
        body=message.body_text,
        case=case,
        not_before=held_until,
    )
    message.status = CustomerMessage.Status.HELD if held_until else CustomerMessage.Status.QUEUED
    message.save()
    return message
