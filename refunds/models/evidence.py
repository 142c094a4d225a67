"""What the customer or staff send for a refund: evidence files."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.core.evidence import EvidenceFileField, unguessable_path

from .cases import RefundCase


class EvidenceKind(models.TextChoices):
    PAYMENT_VOUCHER = "payment_voucher", _("payment voucher")
    PROOF_OF_GOODS = "proof_of_goods", _("proof of goods or delivery")
    CHAT_SCREENSHOT = "chat_screenshot", _("chat screenshot")
    OTHER = "other", _("other")


def evidence_path(instance: RefundEvidence, filename: str) -> str:
    return unguessable_path(f"refunds/{instance.case.reference}", filename)


class RefundEvidence(models.Model):
    """One file the customer or staff sent for the refund."""

    case = models.ForeignKey(
        RefundCase, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("case")
    )
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices, verbose_name=_("kind"))
    file = EvidenceFileField(
        upload_to=evidence_path,
        help_text=_("Scan, photo or screenshot (PDF, JPEG, PNG)."),
        verbose_name=_("file"),
    )
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("refund evidence")
        verbose_name_plural = _("refund evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return gettext("%(kind)s: %(file)s") % {
            "kind": self.get_kind_display(),
            "file": self.file.name.rpartition("/")[2],
        }
