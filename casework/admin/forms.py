"""Forms every case type's staff door shares: acting on a case as the user saw it.

A case carries a ``version`` that each change bumps (see ``casework.cases.transitions.claim``);
these forms carry the version the page was opened with, so input made on a stale page
is refused instead of overwriting what someone else did meanwhile.
"""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.cases.opening import CHANGE_REASON, check_details_change
from casework.core.errors import CaseworkError
from casework.core.limits import REASON_MAX_LENGTH, max_length_of
from casework.models import TransitionRecord


def stale_message(case: models.Model) -> str:
    return gettext("%(case)s was changed by someone else after you opened it; reload and try again.") % {
        "case": case
    }


def text_field(
    label: str, *, required: bool = True, help_text: str = "", max_length: int = REASON_MAX_LENGTH
) -> forms.CharField:
    """A transition's or step's text: as long as a reason may be, or as the model field it
    fills (``casework.core.limits.max_length_of``)."""
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


class CaseOpeningForm(forms.ModelForm):
    """An add form whose last validation step opens the case through its service.

    Opening inside validation is what lets the service's refusals land on the form's
    fields with nothing saved. The admin sets ``actor`` on the form class per request
    (see ``CaseAdmin.get_form``); a subclass says how to open in :meth:`open_case`.
    """

    actor = None

    def open_case(self, data: dict) -> models.Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        super()._post_clean()  # the model's own validation first
        if self._errors:
            return
        try:
            self.instance = self.open_case(self.cleaned_data)
        except CaseworkError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)


class VersionedForm(forms.Form):
    """A transition's or step's form, acting on one case as the user saw it."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, case: models.Model | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if case is not None:
            self.fields["version"].initial = case.version


class VersionedChangeForm(forms.ModelForm):
    """Editing a case's plain details; ``version`` is what the editor saw when the page opened,
    and a change of any detail says why (``change_reason``, kept in the trail)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    change_reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=max_length_of(TransitionRecord, "reason"),
        help_text=_(
            "Needed when you change any detail above: why it is corrected (e.g. the customer "
            "gave a new phone number). Kept in the trail with the fields changed."
        ),
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version

    def changed_details(self) -> list[str]:
        """The case's own fields the editor changed (neither the version nor the reason)."""
        return [name for name in self.changed_data if name not in ("version", CHANGE_REASON)]

    def clean(self) -> dict:
        cleaned = super().clean()
        # The admin claims the row by version when it saves; checking here too keeps
        # the editor's input on screen when the answer is already known.
        if cleaned.get("version") is not None and cleaned["version"] != self.instance.version:
            raise forms.ValidationError(stale_message(self.instance), code="stale")
        try:
            check_details_change(self.changed_details(), cleaned.get(CHANGE_REASON, ""))
        except CaseworkError as refusal:
            self.add_error(refusal.field, refusal.message)
        return cleaned


class ConfirmTransitionForm(VersionedForm):
    """For transitions that need no input: confirm, optionally with a remark."""

    reason = text_field(_("Remark"), required=False, help_text=_("Kept with the transition in the timeline."))


class ReasonForm(VersionedForm):
    reason = text_field(_("Reason"))
