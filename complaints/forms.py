"""The staff door's forms: registering and editing a complaint, and the small forms
behind each transition and audited step. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from casework.errors import CaseworkError
from casework.models import Team

from . import services
from .models import Complaint, ResolutionCode, VerificationMethod

# What staff type when they register a complaint; each goes to register_complaint.
REGISTRATION_FIELDS = (
    "channel",
    "category",
    "priority",
    "customer_name",
    "customer_phone",
    "account_number",
    "description",
    "transaction_at",
    "amount",
    "currency",
    "transaction_reference",
    "merchant",
    "device",
)

# What staff may correct after registration. Category, channel and priority choose the
# SLA policy, and the rest moves only through transitions and audited steps.
EDITABLE_DETAILS = (
    "customer_name",
    "customer_phone",
    "account_number",
    "description",
    "transaction_at",
    "amount",
    "currency",
    "transaction_reference",
    "merchant",
    "device",
)

STALE_MESSAGE = "{complaint} was changed by someone else after you opened it; reload and try again."


class ComplaintRegistrationForm(forms.ModelForm):
    """The admin's add form: its last validation step registers through the service.

    Registering inside validation is what lets the service's refusals land on the
    form's fields with nothing saved. The admin sets ``actor`` on the form class per
    request (see ``ComplaintAdmin.get_form``).
    """

    actor = None

    class Meta:
        model = Complaint
        fields = REGISTRATION_FIELDS

    def _post_clean(self) -> None:
        super()._post_clean()  # model validation: the category's required details
        if self._errors:
            return
        try:
            self.instance = services.register_complaint(
                actor=self.actor, **{name: self.cleaned_data[name] for name in REGISTRATION_FIELDS}
            )
        except CaseworkError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)


class ComplaintChangeForm(forms.ModelForm):
    """Editing plain details; ``version`` is what the editor saw when the page opened."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Complaint
        fields = EDITABLE_DETAILS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def clean(self) -> dict:
        cleaned = super().clean()
        # The admin claims the row by version when it saves; checking here too keeps
        # the editor's input on screen when the answer is already known.
        if cleaned.get("version") is not None and cleaned["version"] != self.instance.version:
            raise forms.ValidationError(STALE_MESSAGE.format(complaint=self.instance), code="stale")
        return cleaned


class VersionedForm(forms.Form):
    """A form acting on one complaint as the user saw it: stale input is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, complaint: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if complaint is not None:
            self.fields["version"].initial = complaint.version


def _text(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


# Transitions.


class ConfirmTransitionForm(VersionedForm):
    """For transitions that need no input: confirm, optionally with a remark."""

    reason = _text("Remark", required=False, help_text="Kept with the transition in the timeline.")


class ReasonForm(VersionedForm):
    reason = _text("Reason")


class WaitForCustomerForm(VersionedForm):
    reason = _text("What the customer has been asked for", help_text="The SLA clock pauses until they reply.")


class EscalateForm(VersionedForm):
    team = forms.ModelChoiceField(
        queryset=Team.objects.exclude(code=services.FRONTLINE_TEAM),
        help_text="The team's mailbox receives an escalation notice.",
    )
    reason = _text("Reason", help_text="What the team should look at.")


class ReturnFindingsForm(VersionedForm):
    findings = _text("Findings", help_text="What the agent should act on.")


class ResolveForm(VersionedForm):
    code = forms.ChoiceField(label="Outcome", choices=ResolutionCode.choices)
    summary = _text("Summary", help_text="The resolution as the customer was told it.")
    is_first_contact = forms.BooleanField(
        label="Resolved on first contact",
        required=False,
        help_text="Only the registering agent, before any escalation or hold.",
    )


# Audited steps that keep the state.


class VerifyIdentityForm(VersionedForm):
    method = forms.ChoiceField(choices=VerificationMethod.choices)
    note = _text("Note", required=False, help_text="What was checked, e.g. the last four ID digits matched.")


class HoldingResponseForm(VersionedForm):
    holding_response = _text(
        "Holding response",
        help_text="Why the answer needs longer, as told to the customer; the deadline moves to its "
        "extended limit.",
    )


def _assignable_staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class ReassignForm(VersionedForm):
    assigned_to = forms.ModelChoiceField(queryset=_assignable_staff(), required=False, label="Agent")
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)
    reason = _text("Reason", required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("assigned_to") and not cleaned.get("team"):
            raise forms.ValidationError("Choose an agent or a team.")
        return cleaned


class NoteForm(forms.Form):
    body = _text("Note", help_text="Internal: never shown to the customer or the partner.")
