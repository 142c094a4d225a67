"""The notification outbox: each notice, and each try at delivering it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """Outbox row: written with the transition, delivered by a task, never twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("signed HTTP POST")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (gave up)")

    idempotency_key = models.CharField(max_length=120, unique=True, verbose_name=_("idempotency key"))
    kind = models.CharField(
        max_length=40,
        help_text=_("escalation, due_soon, breach, payment_instruction..."),
        verbose_name=_("kind"),
    )
    channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL, verbose_name=_("channel")
    )
    recipient = models.CharField(
        max_length=254,
        help_text=_("An e-mail address, a phone number (SMS), or a webhook's URL."),
        verbose_name=_("recipient"),
    )
    subject = models.CharField(
        max_length=200,
        help_text=_("The e-mail's subject, or a webhook's short label."),
        verbose_name=_("subject"),
    )
    body = models.TextField(
        help_text=_("The e-mail's text, or a webhook's JSON payload, sent exactly as stored."),
        verbose_name=_("body"),
    )
    signing_key = models.CharField(
        max_length=60,
        blank=True,
        help_text=_(
            "Webhooks: the name of the secret that signs it (e.g. payments), never the secret itself."
        ),
        verbose_name=_("signing key"),
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(
        max_length=40, blank=True, db_index=True, verbose_name=_("case reference")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="webhook") | ~Q(signing_key=""),
                name="webhook_notice_names_its_signing_key",
                violation_error_message=_("A webhook notice names the secret that signs it."),
            )
        ]

    def __str__(self) -> str:
        # By its case, where it has one: a customer's phone or e-mail address stays out of
        # page titles and breadcrumbs (the recipient column masks it).
        if self.case_reference:
            return gettext("%(kind)s on %(case)s (%(status)s)") % {
                "kind": self.kind,
                "case": self.case_reference,
                "status": self.status,
            }
        return gettext("%(kind)s to %(recipient)s (%(status)s)") % {
            "kind": self.kind,
            "recipient": self.recipient,
            "status": self.status,
        }


class DeliveryAttempt(models.Model):
    """One try at sending a notice: when, how it went, what the other side answered."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
        verbose_name=_("notification"),
    )
    attempted_at = models.DateTimeField(default=timezone.now, verbose_name=_("attempted at"))
    succeeded = models.BooleanField(verbose_name=_("succeeded"))
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("response status")
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    duration_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("duration ms"))
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who re-sent it from the admin; blank for the worker and the retry sweep."),
        verbose_name=_("triggered by"),
    )

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        template = (
            gettext("%(notice)s delivered at %(at)s")
            if self.succeeded
            else gettext("%(notice)s failed at %(at)s")
        )
        return template % {"notice": self.notification_id, "at": f"{self.attempted_at:%Y-%m-%d %H:%M:%S}"}
