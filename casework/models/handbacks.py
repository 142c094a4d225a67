"""Hand-backs waiting for the holder: something came back to a case its holder must act on
(findings returned, a partner's message, an unlock executed, a refund settled or failed).

Written in the transaction of the event (``casework.workspace.handbacks.hand_back``); seen
when the holder opens the case or acts on it (:meth:`HandbackQuerySet.mark_seen`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class HandbackKind(models.TextChoices):
    """What came back: the closed list My work's badges and the notice's subject name."""

    FINDINGS_RETURNED = "findings_returned", _("Findings returned")
    PARTNER_MESSAGE = "partner_message", _("Partner's message")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    UNLOCK_EXECUTED = "unlock_executed", _("Unlock executed")
    REFUND_SETTLED = "refund_settled", _("Refund settled")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    LOW_SURVEY_SCORE = "low_survey_score", _("Customer rated it low")


class HandbackQuerySet(models.QuerySet):
    def of_case(self, case: models.Model) -> HandbackQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(case), object_id=case.pk)

    def unseen(self) -> HandbackQuerySet:
        return self.filter(seen_at__isnull=True)

    def mark_seen(self, case: models.Model, holder) -> int:
        """``holder`` opened ``case`` or acted on it: what waited for them there is seen."""
        if holder is None or not getattr(holder, "pk", None):
            return 0
        return self.of_case(case).unseen().filter(holder=holder).update(seen_at=timezone.now())


class Handback(models.Model):
    """One thing that came back to a case for its holder, unseen until they look."""

    # Once per event and person: the same event told again (a retried task) finds its row.
    key = models.CharField(max_length=160, unique=True, verbose_name=_("key"))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, verbose_name=_("case reference"))
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="handbacks",
        verbose_name=_("holder"),
    )
    kind = models.CharField(max_length=30, choices=HandbackKind.choices, verbose_name=_("what came back"))
    # The case it happened on, when that is another one (the refund case a complaint opened).
    source_reference = models.CharField(max_length=40, blank=True, verbose_name=_("from case"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    seen_at = models.DateTimeField(null=True, blank=True, verbose_name=_("seen at"))

    objects = HandbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("hand-back")
        verbose_name_plural = _("hand-backs")
        ordering = ["-created_at", "-id"]
        indexes = [
            # My work and the case page ask for one holder's unseen hand-backs on cases.
            models.Index(
                fields=["holder", "content_type", "object_id"],
                condition=Q(seen_at__isnull=True),
                name="handback_unseen",
            ),
            models.Index(fields=["content_type", "object_id"], name="handback_case"),
        ]

    def __str__(self) -> str:
        what = {"kind": self.get_kind_display(), "case": self.case_reference}
        return gettext("%(kind)s on %(case)s") % what

    @property
    def came_back_just_now(self) -> bool:
        """Under a minute ago: "just now" reads better than "0 minutes ago"."""
        return timezone.now() - self.created_at < dt.timedelta(minutes=1)
