"""The staff door's forms for refund cases: opening one, and the small forms behind its
transitions and audited steps. They parse input; the services decide."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from casework.evidence import EVIDENCE_EXTENSIONS
from casework.forms import CaseOpeningForm, VersionedForm, text_field

from . import services
from .models import EvidenceKind, RefundCase
from .money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, MINOR_UNITS, format_money


def money_input(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    # As many places as any currency has: the service refuses more than the case's currency has.
    return forms.DecimalField(
        label=label,
        required=required,
        help_text=help_text,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
    )


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``300.000`` as stored, ``300.00`` as a CNY amount is written."""
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)))


# Opening a case.

# What staff type to open a case; each goes to open_refund_case.
OPENING_FIELDS = (
    "refund_type",
    "transaction_reference",
    "merchant",
    "transaction_amount",
    "currency",
    "paid_at",
    "requested_amount",
    "reason",
)


class RefundCaseOpeningForm(CaseOpeningForm):
    """The admin's add form: opens the case through ``open_refund_case``.

    A transaction already on file needs only its reference; a new one its merchant,
    amount, currency and time of payment as well.
    """

    transaction_reference = forms.CharField(
        max_length=64, help_text="The original payment's reference in the wallet."
    )
    merchant = forms.CharField(
        max_length=120, required=False, help_text="Only for a transaction not yet on file."
    )
    transaction_amount = money_input(
        "Amount paid", required=False, help_text="Only for a transaction not yet on file."
    )
    currency = forms.ChoiceField(
        choices=[("", "---------"), *CURRENCY_CHOICES],
        required=False,
        help_text="Only for a transaction not yet on file.",
    )
    paid_at = forms.DateTimeField(
        label="Paid at",
        required=False,
        help_text="Only for a transaction not yet on file; local time, e.g. 2026-11-24 14:30.",
    )

    class Meta:
        model = RefundCase
        fields = ("refund_type", "requested_amount", "reason")

    def open_case(self, data: dict) -> RefundCase:
        return services.open_refund_case(actor=self.actor, **{name: data[name] for name in OPENING_FIELDS})


# Transitions.


class RequestEvidenceForm(VersionedForm):
    what = text_field(
        "What the customer must send",
        help_text="Told to the customer; the refund deadline pauses until it arrives.",
    )


class ApproveForm(VersionedForm):
    """The amount to refund, at most what was asked; a second approval confirms the first."""

    amount = money_input("Amount", required=False)
    reason = text_field("Reason", required=False, help_text="Kept with the approval in the timeline.")

    def __init__(self, *args, case: RefundCase | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case is None:
            return
        currency = case.currency
        proposed = in_minor_units(case.approved_amount or case.requested_amount, currency)
        self.fields["amount"].initial = proposed
        self.fields["amount"].label = f"Amount ({currency})"
        if case.first_approved_by_id is not None:
            self.fields[
                "amount"
            ].help_text = f"The second approval confirms the first: {format_money(proposed, currency)}."
        else:
            self.fields["amount"].help_text = (
                f"Left empty: what the customer asked for, {format_money(proposed, currency)}. "
                "A partial refund is a smaller amount."
            )


class CancelForm(VersionedForm):
    reason = text_field(
        "Reason", required=False, help_text="Left empty: cancelled at the customer's request."
    )


# Audited steps that keep the state.


def _refund_handlers():
    """Active staff who may review refunds: the refunds desk and supervisors."""
    permission = Permission.objects.filter(codename="review_refundcase", content_type__app_label="refunds")
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(groups__permissions__in=permission) | Q(user_permissions__in=permission) | Q(is_superuser=True)
        )
        .distinct()
        .order_by("username")
    )


class AssignHandlerForm(VersionedForm):
    handler = forms.ModelChoiceField(queryset=_refund_handlers(), help_text="Someone on the refunds desk.")
    reason = text_field("Reason", required=False)


class EvidenceForm(VersionedForm):
    kind = forms.ChoiceField(choices=EvidenceKind.choices)
    file = forms.FileField(
        help_text=f"The scan, photo or screenshot ({', '.join(EVIDENCE_EXTENSIONS).upper()}).",
    )
    note = forms.CharField(max_length=300, required=False, help_text="What the file shows.")
