"""The money side of a refund: the customer's original payment, which refunds count
against, and the instructions that pay a refund, one per attempt."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.core.indexes import trigram_index
from casework.core.limits import REASON_MAX_LENGTH, bounded_text
from casework.core.money import CURRENCY_MESSAGE, AmountField, validate_currency, validate_payment_time

from ..money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, format_money


def money_field(**options) -> models.DecimalField:
    return AmountField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **options)


class PaymentTransaction(models.Model):
    """The customer's original payment, as the wallet recorded it; refunds count against it."""

    reference = models.CharField(max_length=64, unique=True, verbose_name=_("reference"))
    # Indexed for the refund cases' search by any part of a merchant's name (trigram, below).
    merchant = models.CharField(max_length=120, db_index=True, verbose_name=_("merchant"))
    amount = money_field(verbose_name=_("amount"))
    currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        validators=[validate_currency],
        error_messages={"invalid_choice": CURRENCY_MESSAGE},
        verbose_name=_("currency"),
    )
    paid_at = models.DateTimeField(validators=[validate_payment_time], verbose_name=_("paid at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("payment transaction")
        verbose_name_plural = _("payment transactions")
        ordering = ["-paid_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="transaction_amount_positive",
                violation_error_message=_("The amount must be more than zero."),
            )
        ]
        indexes = [trigram_index("merchant", name="payment_merchant_trgm")]

    def __str__(self) -> str:
        return gettext("%(reference)s (%(amount)s at %(merchant)s)") % {
            "reference": self.reference,
            "amount": format_money(self.amount, self.currency),
            "merchant": self.merchant,
        }


class InstructionStatus(models.TextChoices):
    SENT = "sent", _("sent, awaiting the report")
    SETTLED = "settled", _("settled")
    # "failed" alone is another app's verification outcome: this one is the payment's.
    FAILED = "failed", pgettext_lazy("payment", "failed")


class PaymentInstruction(models.Model):
    """One order to the payments system to pay a refund; one per attempt, never two.

    The idempotency key travels with it; the payments system pays each key once and
    reports back on the API under the same key.
    """

    case = models.ForeignKey(
        "refunds.RefundCase", on_delete=models.PROTECT, related_name="instructions", verbose_name=_("case")
    )
    attempt = models.PositiveSmallIntegerField(verbose_name=_("attempt"))
    idempotency_key = models.CharField(max_length=80, unique=True, verbose_name=_("idempotency key"))
    amount = money_field(verbose_name=_("amount"))
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, verbose_name=_("currency"))
    status = models.CharField(
        max_length=10,
        choices=InstructionStatus.choices,
        default=InstructionStatus.SENT,
        verbose_name=_("status"),
    )
    processor_reference = models.CharField(max_length=64, blank=True, verbose_name=_("processor reference"))
    failure_reason = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("failure reason"))
    reported_at = models.DateTimeField(null=True, blank=True, verbose_name=_("reported at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("payment instruction")
        verbose_name_plural = _("payment instructions")
        ordering = ["case", "attempt"]
        permissions = [("report_settlement", "Can report the settlement of payment instructions")]
        constraints = [
            models.UniqueConstraint(fields=["case", "attempt"], name="one_instruction_per_attempt"),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="instruction_amount_positive",
                violation_error_message=_("The amount must be more than zero."),
            ),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
