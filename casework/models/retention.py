"""How long each kind of record keeps its personal data, and the log of what retention
pseudonymised. The sweep that applies the periods is ``casework.privacy.retention``."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.models.sla import CaseType

# What a pseudonymised value reads: stored data, the same in every language.
PSEUDONYMISED = "[pseudonymised]"


class RecordType(models.TextChoices):
    """What a retention period is set for: each case type, and the erasure request, whose
    record proves the request was answered (``casework.models.ErasureRequest``)."""

    COMPLAINT = CaseType.COMPLAINT.value, CaseType.COMPLAINT.label
    ACCOUNT_REQUEST = CaseType.ACCOUNT_REQUEST.value, CaseType.ACCOUNT_REQUEST.label
    REFUND = CaseType.REFUND.value, CaseType.REFUND.label
    ERASURE_REQUEST = "erasure_request", _("erasure request")


class RetentionPolicy(models.Model):
    """One record type's retention period, counted from the end of the case, and the rule
    it comes from. Edited by supervisors in the admin; every change is in the history."""

    record_type = models.CharField(
        max_length=32, choices=RecordType.choices, unique=True, verbose_name=_("record type")
    )
    period_months = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text=_("How long after the case ended its personal data is kept, in months (60 = 5 years)."),
        verbose_name=_("period (months)"),
    )
    legal_basis = models.TextField(
        help_text=_("The rules that set this period, with their articles."),
        verbose_name=_("legal basis"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("retention period")
        verbose_name_plural = _("retention periods")
        ordering = ["record_type"]
        permissions = [
            (
                "export_customer_data",
                _("Can export everything held on one customer (each export logged)"),
            )
        ]

    def __str__(self) -> str:
        return gettext("%(type)s: %(months)s months") % {
            "type": self.get_record_type_display(),
            "months": self.period_months,
        }

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Cases that ended before this moment have outlived the period."""
        return now - relativedelta(months=self.period_months)


class PseudonymisationLog(models.Model):
    """One case pseudonymised by retention: which rows of which tables, when, under which
    period, and the rows left alone because their seal no longer held (tampered before the
    sweep: reported, never resealed). Written only by the sweep; never edited or deleted."""

    class Outcome(models.TextChoices):
        DONE = "done", _("pseudonymised")
        PARTIAL = "partial", _("pseudonymised, tampered rows left for the audit")

    policy = models.ForeignKey(
        RetentionPolicy, on_delete=models.PROTECT, related_name="+", verbose_name=_("retention period")
    )
    period_months = models.PositiveIntegerField(
        help_text=_("The period as it was when the sweep ran."), verbose_name=_("period (months)")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("case type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("case id"))
    case_reference = models.CharField(max_length=40, db_index=True, verbose_name=_("case reference"))
    ended_at = models.DateTimeField(verbose_name=_("case ended at"))
    rows = models.JSONField(
        default=dict, help_text=_("Rows pseudonymised, by table."), verbose_name=_("rows")
    )
    files = models.JSONField(
        default=list,
        help_text=_("Files deleted: their record, the name they had and the SHA-256 of their content."),
        verbose_name=_("files"),
    )
    tampered = models.JSONField(
        default=list,
        help_text=_("Rows whose seal did not hold before the sweep: left as they were."),
        verbose_name=_("tampered rows"),
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, verbose_name=_("outcome"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the periodic sweep."),
        verbose_name=_("actor"),
    )
    pseudonymised_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("pseudonymised at")
    )

    class Meta:
        verbose_name = _("pseudonymisation")
        verbose_name_plural = _("pseudonymisations")
        ordering = ["-pseudonymised_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return gettext("%(case)s pseudonymised") % {"case": self.case_reference}

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("A pseudonymisation log row is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A pseudonymisation log row is never deleted.")


def pseudonymised_at_field() -> models.DateTimeField:
    """A case model's mark that retention pseudonymised it (``casework.models.kinds.Retention``)."""
    return models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("pseudonymised at"))


def retention_due_index(name: str, *, ended_states, ended_at: str) -> models.Index:
    """The partial index retention's sweep reads a case model's expired cases through: only
    ended cases not yet pseudonymised are in it, by the time they ended."""
    return models.Index(
        fields=[ended_at, "id"],
        condition=models.Q(state__in=list(ended_states), pseudonymised_at__isnull=True),
        name=name,
    )
