"""The staff door's forms for account requests: opening one, and the small forms behind
its transitions and the evidence step. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.forms import CaseOpeningForm, VersionedForm, text_field
from casework.core.evidence import EVIDENCE_EXTENSIONS
from casework.core.limits import max_length_of

from . import services
from .models import (
    AccountRequest,
    AuthenticationEvidence,
    AuthenticationMethod,
    LockReason,
    Outcome,
    WalletAccount,
)

# What staff type to open a request; each goes to open_account_request.
OPENING_FIELDS = ("account_number", "kind", "lock_reason", "customer_statement", "explanation_given")


class AccountRequestOpeningForm(CaseOpeningForm):
    """The admin's add form: opens the request through ``open_account_request``."""

    account_number = forms.CharField(
        label=_("Account number"),
        max_length=max_length_of(WalletAccount, "account_number"),
        help_text=_("The customer's wallet account; it must be on file."),
    )
    lock_reason = forms.ChoiceField(
        label=_("Lock reason"),
        choices=[("", "---------"), *LockReason.choices],
        required=False,
        help_text=_("For a lock only: why to lock it. An unlock takes the account's current lock reason."),
    )

    class Meta:
        model = AccountRequest
        fields = ("kind", "lock_reason", "customer_statement", "explanation_given")

    def open_case(self, data: dict) -> AccountRequest:
        return services.open_account_request(
            actor=self.actor, **{name: data[name] for name in OPENING_FIELDS}
        )


# Transitions (verifying the caller's identity uses the complaint's form: the same check).


class CancelForm(VersionedForm):
    reason = text_field(
        _("Reason"), required=False, help_text=_("Left empty: cancelled at the customer's request.")
    )


# The audited step that keeps the state.


class EvidenceForm(VersionedForm):
    method = forms.ChoiceField(label=_("Method"), choices=AuthenticationMethod.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, widget=forms.RadioSelect)
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=format_lazy(
            _("The scan or photo ({extensions}); required for an ID document or a bank card check."),
            extensions=", ".join(EVIDENCE_EXTENSIONS).upper(),
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=max_length_of(AuthenticationEvidence, "note"),
        required=False,
        help_text=_("What was checked, and how."),
    )
