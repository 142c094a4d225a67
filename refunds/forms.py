"""The staff door's forms for refund cases: opening one, and the small forms behind its
transitions and audited steps. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.forms import CaseOpeningForm, VersionedForm, text_field
from casework.core.evidence import EVIDENCE_EXTENSIONS
from casework.core.limits import max_length_of
from casework.core.money import CURRENCY_MESSAGE, AmountFormField, validate_amount, validate_payment_time

from . import services
from .models import EvidenceKind, PaymentTransaction, RefundCase, RefundEvidence
from .money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, format_money, in_minor_units


def money_input(label: str, *, required: bool = True, help_text: str = "") -> forms.DecimalField:
    # As many places as any currency has: the service refuses more than the case's currency has.
    return AmountFormField(
        label=label,
        required=required,
        help_text=help_text,
        max_digits=MAX_DIGITS,
        decimal_places=DECIMAL_PLACES,
        validators=[validate_amount],
    )


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
        label=_("Transaction reference"),
        max_length=max_length_of(PaymentTransaction, "reference"),
        help_text=_("The original payment's reference in the wallet."),
    )
    merchant = forms.CharField(
        label=_("Merchant"),
        max_length=max_length_of(PaymentTransaction, "merchant"),
        required=False,
        help_text=_("Only for a transaction not yet on file."),
    )
    transaction_amount = money_input(
        _("Amount paid"), required=False, help_text=_("Only for a transaction not yet on file.")
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=[("", "---------"), *CURRENCY_CHOICES],
        required=False,
        error_messages={"invalid_choice": CURRENCY_MESSAGE},
        help_text=_("Only for a transaction not yet on file."),
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"),
        required=False,
        help_text=_("Only for a transaction not yet on file; local time, e.g. 2026-11-24 14:30."),
        validators=[validate_payment_time],
    )

    class Meta:
        model = RefundCase
        fields = ("refund_type", "requested_amount", "reason")

    def open_case(self, data: dict) -> RefundCase:
        return services.open_refund_case(actor=self.actor, **{name: data[name] for name in OPENING_FIELDS})


# Transitions.


class RequestEvidenceForm(VersionedForm):
    what = text_field(
        _("What the customer must send"),
        help_text=_("Told to the customer; the refund deadline pauses until it arrives."),
        max_length=max_length_of(RefundCase, "evidence_requested"),
    )


class ApproveForm(VersionedForm):
    """The amount to refund, at most what was asked; a second approval confirms the first."""

    amount = money_input(_("Amount"), required=False)
    reason = text_field(_("Reason"), required=False, help_text=_("Kept with the approval in the timeline."))

    def __init__(self, *args, case: RefundCase | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        if case is None:
            return
        currency = case.currency
        proposed = in_minor_units(case.approved_amount or case.requested_amount, currency)
        self.fields["amount"].initial = proposed
        self.fields["amount"].label = gettext("Amount (%(currency)s)") % {"currency": currency}
        money = format_money(proposed, currency)
        if case.first_approved_by_id is not None:
            self.fields["amount"].help_text = gettext(
                "The second approval confirms the first: %(money)s."
            ) % {"money": money}
        else:
            self.fields["amount"].help_text = gettext(
                "Left empty: what the customer asked for, %(money)s. A partial refund is a smaller amount."
            ) % {"money": money}


class CancelForm(VersionedForm):
    reason = text_field(
        _("Reason"), required=False, help_text=_("Left empty: cancelled at the customer's request.")
    )


# Audited steps that keep the state.


def refund_handlers():
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
    handler = forms.ModelChoiceField(
        label=_("Handler"), queryset=refund_handlers(), help_text=_("Someone on the refunds desk.")
    )
    reason = text_field(_("Reason"), required=False)


class EvidenceForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=EvidenceKind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=format_lazy(
            _("The scan, photo or screenshot ({extensions})."),
            extensions=", ".join(EVIDENCE_EXTENSIONS).upper(),
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=max_length_of(RefundEvidence, "note"),
        required=False,
        help_text=_("What the file shows."),
    )
