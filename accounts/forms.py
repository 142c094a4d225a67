"""The staff door's forms for account requests: opening one, and the small forms behind
its transitions and the evidence step. They parse input; the services decide."""

from __future__ import annotations

from django import forms

from casework.evidence import EVIDENCE_EXTENSIONS
from casework.forms import CaseOpeningForm, VersionedForm, text_field

from . import services
from .models import AccountRequest, AuthenticationMethod, LockReason, Outcome

# What staff type to open a request; each goes to open_account_request.
OPENING_FIELDS = ("account_number", "kind", "lock_reason", "customer_statement", "explanation_given")


class AccountRequestOpeningForm(CaseOpeningForm):
    """The admin's add form: opens the request through ``open_account_request``."""

    account_number = forms.CharField(
        max_length=32, help_text="The customer's wallet account; it must be on file."
    )
    lock_reason = forms.ChoiceField(
        choices=[("", "---------"), *LockReason.choices],
        required=False,
        help_text="For a lock only: why to lock it. An unlock takes the account's current lock reason.",
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
        "Reason", required=False, help_text="Left empty: cancelled at the customer's request."
    )


# The audited step that keeps the state.


class EvidenceForm(VersionedForm):
    method = forms.ChoiceField(choices=AuthenticationMethod.choices)
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect)
    file = forms.FileField(
        required=False,
        help_text=f"The scan or photo ({', '.join(EVIDENCE_EXTENSIONS).upper()}); required for an ID "
        "document or a bank card check.",
    )
    note = forms.CharField(max_length=300, required=False, help_text="What was checked, and how.")
