"""A provisional credit (Regulation E, 12 CFR 1005.11(c)(2)): the disputed amount credited
to the customer while the error is investigated, by a deadline the complaint's regime sets,
and reversed (with notice) if no error is found, or made final when it is.

::

    due --credit(processor reference)--> credited --reverse(reason)[four eyes]--> reversed
                                          credited --make_final--> final

A credit made after ``due_at`` is allowed (the customer still gets the money) but stays
marked late (``late_at``), and the complaint's 45 (90) day extension is then refused
(``refunds.services.provisional.provisional_credit_refusal``). Reversing debits the
customer: nobody reverses a credit they opened or credited themselves, so the person who
decided to credit and the one who decides there was no error are two people.

The services that run it are ``refunds.services.provisional``'s; a complaint's Reg E
extension asks ``provisional_credit_refusal`` there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, bounded_text

from ..money import format_money
from .cases import RefundCase
from .payments import money_field


class CreditState(models.TextChoices):
    DUE = "due", _("due")
    CREDITED = "credited", _("credited")
    REVERSED = "reversed", _("reversed")
    FINAL = "final", _("made final")


def reversal_refusal(credit: ProvisionalCredit, user) -> str | None:
    """Why ``user`` may not reverse ``credit``, or ``None``: the permission, and four eyes
    (not the person who opened it, nor the one who recorded it credited)."""
    if not user.has_perm("refunds.reverse_provisionalcredit"):
        return gettext("You do not have permission to reverse provisional credits.")
    if user.pk in {credit.opened_by_id, credit.credited_by_id}:
        return gettext(
            "Four eyes: you opened or credited this provisional credit, so someone else from the "
            "refunds desk or a supervisor must reverse it."
        )
    return None


def may_reverse(credit: ProvisionalCredit, user) -> bool:
    return reversal_refusal(credit, user) is None


may_reverse.refusal = reversal_refusal


class ProvisionalCredit(ConcurrentTransitionMixin, models.Model):
    """The disputed amount credited for the time of the investigation: one per refund case."""

    # Not a case of its own: each of its steps is recorded on its refund case's trail.
    trail_case_field = "refund_case"

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
    # The key of the instruction to credit sent to the payments system, which credits each
    # key once and reports back under it (``refunds.api.provisional``).
    idempotency_key = models.CharField(
        max_length=80, unique=True, null=True, editable=False, verbose_name=_("idempotency key")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    due_at = models.DateTimeField(
        help_text=_("Credited by then, or the longer investigation limit is not open."),
        verbose_name=_("due at"),
    )
    # Kept by the sweep (never edited): when the desk was warned, and when it became late.
    warn_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("warn at"))
    warned_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("warned at"))
    late_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Not credited by its deadline: stays marked late, also once credited."),
        verbose_name=_("late since"),
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
    honoured_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("After a reversal, payments to third parties are honoured until then (5 business days)."),
        verbose_name=_("honoured until"),
    )
    finalised_at = models.DateTimeField(null=True, blank=True, verbose_name=_("made final at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = ChainedHistoricalRecords(excluded_fields=["version", "warned_at"])

    class Meta:
        verbose_name = _("provisional credit")
        verbose_name_plural = _("provisional credits")
        ordering = ["-created_at"]
        permissions = [
            ("credit_provisionalcredit", "Can record a provisional credit as made"),
            (
                "reverse_provisionalcredit",
                "Can reverse a provisional credit (not one they opened or credited)",
            ),
            ("finalise_provisionalcredit", "Can make a provisional credit final"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="provisional_credit_amount_positive",
                violation_error_message=_("The amount must be more than zero."),
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["credited", "reversed", "final"])
                | (Q(credited_at__isnull=False) & ~Q(processor_reference="")),
                name="provisional_credit_credited_with_reference",
            ),
            models.CheckConstraint(
                condition=~Q(state="reversed") | (Q(reversed_at__isnull=False) & ~Q(reversal_reason="")),
                name="provisional_credit_reversed_with_reason",
            ),
        ]
        indexes = [
            # The sweep reads the due credits by their warning time and by their deadline.
            models.Index(
                fields=["warn_at"],
                condition=Q(state="due", warned_at__isnull=True, late_at__isnull=True),
                name="provisional_credit_warn",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(state="due", late_at__isnull=True),
                name="provisional_credit_due",
            ),
        ]

    def __str__(self) -> str:
        return gettext("provisional credit %(amount)s on %(case)s") % {
            "amount": self.amount_display,
            "case": self.refund_case.reference,
        }

    def save(self, *args, **kwargs) -> None:
        # The sweep writes ``warned_at`` with UPDATE: a save from a copy read before it must
        # not put the old value back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "warned_at"
            ]
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        """The refund case's: the credit is that case's action, told under its reference."""
        return self.refund_case.reference

    @property
    def amount_display(self) -> str:
        return format_money(self.amount, self.currency)

    @property
    def is_late(self) -> bool:
        return self.late_at is not None

    @property
    def is_standing(self) -> bool:
        return self.state in (CreditState.CREDITED, CreditState.FINAL)

    @transition(
        field=state,
        source=CreditState.DUE,
        target=CreditState.CREDITED,
        permission="refunds.credit_provisionalcredit",
        custom={"label": _("Record the credit")},
    )
    def credit(self, *, processor_reference: str, by, at) -> None:
        self.processor_reference = processor_reference
        self.credited_by = by
        self.credited_at = at
        if at > self.due_at and self.late_at is None:
            self.late_at = self.due_at

    @transition(
        field=state,
        source=CreditState.CREDITED,
        target=CreditState.REVERSED,
        permission=may_reverse,
        custom={"label": _("Reverse the credit")},
    )
    def reverse(self, *, reason: str, by, at, honoured_until) -> None:
        self.reversal_reason = reason
        self.reversed_by = by
        self.reversed_at = at
        self.honoured_until = honoured_until

    @transition(
        field=state,
        source=CreditState.CREDITED,
        target=CreditState.FINAL,
        permission="refunds.finalise_provisionalcredit",
        custom={"label": _("Make the credit final")},
    )
    def make_final(self, *, at) -> None:
        self.finalised_at = at
