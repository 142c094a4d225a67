"""What is kept on a complaint beside its fields: internal notes, the messages the partner
reads, and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.core.evidence import EvidenceFileField, unguessable_path
from casework.core.indexes import trigram_index
from casework.core.limits import DESCRIPTION_MAX_LENGTH, STATEMENT_MAX_LENGTH, bounded_text
from complaints.models.complaint import OPEN_STATES, Complaint, State


class ComplaintNote(models.Model):
    """An internal note; never shown to the customer or the partner."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="notes", verbose_name=_("complaint")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = bounded_text(DESCRIPTION_MAX_LENGTH, verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("complaint note")
        verbose_name_plural = _("complaint notes")
        ordering = ["created_at", "id"]
        # The full-text search (complaints.search).
        indexes = [trigram_index("body", name="complaintnote_body_trgm")]

    def __str__(self) -> str:
        return gettext("Note by %(author)s on %(at)s") % {
            "author": self.author,
            "at": f"{self.created_at:%Y-%m-%d %H:%M}",
        }


# A partner may write on its complaint until it has ended; a resolved one may still be
# reopened, so the customer's answer to the resolution is taken too.
MESSAGE_STATES = (*OPEN_STATES, State.RESOLVED)
MESSAGE_MAX_LENGTH = STATEMENT_MAX_LENGTH


class PartnerMessage(models.Model):
    """A message on a partner's complaint that the partner reads: its own (the customer sent
    more details) or a reply staff chose to share. Unlike a ``ComplaintNote``, never internal."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="partner_messages", verbose_name=_("complaint")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    is_from_partner = models.BooleanField(
        help_text=_("Written by the partner; otherwise a reply by staff."), verbose_name=_("is from partner")
    )
    body = bounded_text(MESSAGE_MAX_LENGTH, verbose_name=_("body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("partner message")
        verbose_name_plural = _("partner messages")
        ordering = ["created_at", "id"]
        indexes = [
            # The partner's page of one complaint's messages, in the API's cursor order.
            models.Index(fields=["complaint", "created_at", "id"], name="partnermessage_complaint_time"),
            # The full-text search (complaints.search).
            trigram_index("body", name="partnermessage_body_trgm"),
        ]

    def __str__(self) -> str:
        at = f"{self.created_at:%Y-%m-%d %H:%M}"
        if self.is_from_partner:
            return gettext("Message from the partner on %(at)s") % {"at": at}
        return gettext("Message from the back office on %(at)s") % {"at": at}


def attachment_path(instance: ComplaintAttachment, filename: str) -> str:
    return unguessable_path(f"complaints/{instance.complaint.reference}", filename)


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("complaint")
    )
    file = EvidenceFileField(
        upload_to=attachment_path,
        help_text=_("A scan, photo or document (PDF, JPEG, PNG)."),
        verbose_name=_("file"),
    )
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.description or self.file.name
