"""The transition record: who moved which case from where to where, when and why."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.core.limits import DESCRIPTION_MAX_LENGTH, bounded_text


class TransitionRecord(models.Model):
    """Who moved which case from where to where, when and why.

    Written in the same transaction as the transition and its save. Rows are never
    edited or deleted; each carries the hash of its predecessor so tampering shows.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, db_index=True, verbose_name=_("case reference"))
    transition = models.CharField(max_length=60, verbose_name=_("transition"))
    source_state = models.CharField(max_length=40, verbose_name=_("source state"))
    target_state = models.CharField(max_length=40, verbose_name=_("target state"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        max_length=150, help_text=_("User name, partner or the SLA clock."), verbose_name=_("actor label")
    )
    # As long as the longest text a service copies in (a complaint's description).
    reason = bounded_text(DESCRIPTION_MAX_LENGTH, blank=True, verbose_name=_("reason"))
    # A reason the system wrote, as its code and parameters (casework.trail.reasons), shown in
    # each reader's language; ``reason`` then holds its English words. Empty: a person's words.
    reason_code = models.CharField(max_length=80, blank=True, verbose_name=_("reason code"))
    reason_params = models.JSONField(default=dict, blank=True, verbose_name=_("reason parameters"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))
    previous_hash = models.CharField(max_length=64, blank=True, verbose_name=_("previous hash"))
    record_hash = models.CharField(max_length=64, blank=True, verbose_name=_("record hash"))
    # Set only by retention's pseudonymisation (casework.privacy.retention): an HMAC over the
    # record's content now and its ``record_hash``, which stays what the next record links to.
    redaction_hash = models.CharField(max_length=64, blank=True, verbose_name=_("redaction hash"))

    class Meta:
        verbose_name = _("transition record")
        verbose_name_plural = _("transition records")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_reference}: {self.source_state} → {self.target_state} ({self.transition})"
