"""A provisional credit (Regulation E, 12 CFR 1005.11(c)(2)): the disputed amount credited
to the customer while the error is investigated, by a deadline the complaint's regime sets,
and reversed (with notice) if no error is found, or made final when it is.

The state machine and the services that run it are ``refunds.services.provisional``'s;
a complaint's Reg E extension asks ``provisional_credit_refusal`` there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField

from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, bounded_text

from .cases import RefundCase
from .payments import money_field


class CreditState(models.TextChoices):
    DUE = "due", _("due")
    CREDITED = "credited", _("credited")
    REVERSED = "reversed", _("reversed")
    FINAL = "final", _("made final")


class ProvisionalCredit(ConcurrentTransitionMixin, models.Model):
    """The disputed amount credited for the time of the investigation: one per refund case."""

    refund_case = models.OneToOneField(
        RefundCase, on_delete=models.PROTECT, related_name="provisional_credit", verbose_name=_("refund case")
    )
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    state = FSMField(
        default=CreditState.DUE,
        choices=CreditState.choices,
        protected=True,
        db_index=True,
        verbose_name=_("state"),
    )
    amount = money_field(verbose_name=_("amount"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    due_at = models.DateTimeField(
        help_text=_("Credited by then, or the longer investigation limit is not open."),
        verbose_name=_("due at"),
    )
    credited_at = models.DateTimeField(null=True, blank=True, verbose_name=_("credited at"))
    credited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("credited by"),
    )
    processor_reference = models.CharField(max_length=64, blank=True, verbose_name=_("processor reference"))
    reversed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reversed at"))
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversal_reason = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("reversal reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("provisional credit")
        verbose_name_plural = _("provisional credits")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.refund_case.reference}: {self.amount} {self.currency} ({self.get_state_display()})"
