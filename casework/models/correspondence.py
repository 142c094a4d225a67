"""Correspondence with the customer: every message sent to them and every reply they sent.

An outgoing message is written in the transaction of the event it tells (acceptance,
extension, decision, a staff reply) and delivered through the outbox: its
``notification`` is the outbox row, so it has the outbox's guarantees (nothing lost when
the broker is down, nothing sent twice). What was sent is kept exactly as sent. An
incoming message is a reply that came back by e-mail or SMS and was filed on its case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.indexes import trigram_index


class CustomerChannel(models.TextChoices):
    """How the customer is written to, and how their replies come back."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class CustomerLanguage(models.TextChoices):
    """The language the customer is written to in; Chinese unless they asked for English."""

    ZH_HANS = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


@dataclass(frozen=True)
class CustomerContact:
    """Who the customer of a case is and how to reach them, as the case's kind says
    (``CaseKind.customer_contact``): a complaint's own fields, or those of the complaint a
    case was opened from. ``partner`` is the partner that filed it, if any: a partner's
    customers are told through the partner unless it opted in to direct notices."""

    name: str
    phone: str  # E.164, or "" for a complaint by e-mail still waiting for it
    email: str = ""
    language: str = CustomerLanguage.ZH_HANS
    preferred_channel: str = CustomerChannel.SMS
    partner: Any = None  # a ``Partner`` or None

    @property
    def channel(self) -> str:
        """The preferred channel, or SMS when there is no e-mail address to write to."""
        if self.preferred_channel == CustomerChannel.EMAIL and self.email:
            return CustomerChannel.EMAIL
        return CustomerChannel.SMS

    def address(self, channel: str) -> str:
        return self.email.strip().lower() if channel == CustomerChannel.EMAIL else self.phone

    @property
    def is_told_directly(self) -> bool:
        """Staff cases always; a partner's only when it asked us to tell its customers."""
        return self.partner is None or bool(getattr(self.partner, "notifies_customers_directly", False))


# What a person wrote: the customer's replies and the staff's; not the notices the system
# writes from its templates, which read the same on every case (a search for "退款" would
# find every case told of its refund). The full-text search reads these only.
WRITTEN_BY_A_PERSON = Q(direction="in") | Q(author__isnull=False)


class CustomerMessage(models.Model):
    """One message to or from the customer of a case (a complaint, or a case opened from one)."""

    class Direction(models.TextChoices):
        OUTGOING = "out", _("to the customer")
        INCOMING = "in", _("from the customer")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        HELD = "held", _("held for quiet hours")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SUPPRESSED = "suppressed", _("not sent: the customer opted out")
        RECEIVED = "received", _("received")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, db_index=True, verbose_name=_("case reference"))

    direction = models.CharField(max_length=3, choices=Direction.choices, verbose_name=_("direction"))
    channel = models.CharField(max_length=10, choices=CustomerChannel.choices, verbose_name=_("channel"))
    kind = models.CharField(
        max_length=40,
        help_text=_("acceptance, extension, decision, staff_reply, customer_reply..."),
        verbose_name=_("kind"),
    )
    # A phone number in E.164 or an e-mail address: personal data, masked where shown.
    address = models.CharField(max_length=254, verbose_name=_("address"))
    language = models.CharField(
        max_length=10,
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.ZH_HANS,
        verbose_name=_("language"),
    )
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    body_text = models.TextField(verbose_name=_("text"))
    body_html = models.TextField(blank=True, verbose_name=_("HTML"))
    template_code = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("The template it was written from, if any."),
        verbose_name=_("template"),
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status")
    )
    # Outgoing: the outbox row that delivers it. Incoming: none.
    notification = models.OneToOneField(
        "casework.Notification",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customer_message",
        verbose_name=_("notification"),
    )
    # E-mail threading: ours for an outgoing message, the sender's for an incoming one.
    message_id = models.CharField(max_length=255, blank=True, db_index=True, verbose_name=_("Message-ID"))
    in_reply_to = models.CharField(max_length=255, blank=True, verbose_name=_("In-Reply-To"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who wrote a staff reply; blank for the system's notices and for replies."),
        verbose_name=_("author"),
    )
    # Outgoing: the event it tells, once (the outbox row's key; kept also when none is written).
    idempotency_key = models.CharField(max_length=120, blank=True, verbose_name=_("idempotency key"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent or received at"))

    class Meta:
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        ordering = ["created_at", "id"]
        indexes = [
            # A case's correspondence on its timeline.
            models.Index(fields=["content_type", "object_id", "created_at"], name="custmsg_case_time"),
            # The full-text search of a case type's correspondence: what a person wrote.
            trigram_index("body_text", name="custmsg_text_trgm", condition=WRITTEN_BY_A_PERSON),
            trigram_index("subject", name="custmsg_subject_trgm", condition=WRITTEN_BY_A_PERSON),
        ]
        constraints = [
            # One message per event told: a repeat of the event finds it.
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="custmsg_idempotency_key_once",
            ),
            # The same e-mail fetched twice from the mailbox is filed once.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=Q(direction="in") & ~Q(message_id=""),
                name="custmsg_incoming_message_id_once",
            ),
            models.CheckConstraint(
                condition=Q(direction="in") | ~Q(status="received"),
                name="custmsg_only_incoming_is_received",
            ),
        ]

    def __str__(self) -> str:
        template = (
            gettext("%(kind)s to the customer of %(case)s")
            if self.direction == self.Direction.OUTGOING
            else gettext("%(kind)s from the customer of %(case)s")
        )
        return template % {"kind": self.kind, "case": self.case_reference}


class ContactOptOut(models.Model):
    """A customer who asked not to be written to on a channel (an SMS "TD", or in a call).

    Notices the rules require are still recorded on the case, marked as not sent."""

    channel = models.CharField(max_length=10, choices=CustomerChannel.choices, verbose_name=_("channel"))
    # E.164 for SMS, lower-cased for e-mail: the same form the messages are addressed to.
    address = models.CharField(max_length=254, verbose_name=_("address"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("contact opt-out")
        verbose_name_plural = _("contact opt-outs")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="contact_optout_once"),
        ]

    def __str__(self) -> str:
        return gettext("No %(channel)s to %(address)s") % {
            "channel": self.get_channel_display(),
            "address": self.address,
        }
