"""The staff door's forms: registering and editing a complaint, and the small forms
behind each transition and audited step. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.forms import CaseOpeningForm, VersionedChangeForm, VersionedForm, text_field
from casework.core.limits import STATEMENT_MAX_LENGTH, max_length_of
from casework.core.money import AmountFormField, validate_payment_time
from casework.models import CustomerChannel, Regime, RegimeCondition, Team
from casework.notices.message_templates import reply_templates

from . import services
from .models import Category, Channel, Complaint, ComplaintNote, Priority, ResolutionCode, VerificationMethod
from .services import customer_notices, customer_replies, regimes

# What staff type when they register a complaint; each goes to register_complaint.
REGISTRATION_FIELDS = (
    "channel",
    "category",
    "priority",
    "customer_name",
    "customer_phone",
    "customer_email",
    "preferred_channel",
    "customer_language",
    "account_number",
    "description",
    "transaction_at",
    "amount",
    "currency",
    "transaction_reference",
    "merchant",
    "device",
    "regime",
    "regime_condition",
)

# What staff may correct after registration. Category, channel and priority choose the
# SLA policy, and the rest moves only through transitions and audited steps.
EDITABLE_DETAILS = (
    "customer_name",
    "customer_phone",
    "customer_email",
    "preferred_channel",
    "customer_language",
    "account_number",
    "description",
    "transaction_at",
    "amount",
    "currency",
    "transaction_reference",
    "merchant",
    "device",
)


class ComplaintRegistrationForm(CaseOpeningForm):
    """The admin's add form: model validation checks the category's required details,
    then the last validation step registers through the service."""

    # The regime a case names by its code (the newest version); the deployment's preselected.
    regime = forms.ModelChoiceField(
        label=_("Regulatory regime"),
        queryset=Regime.objects.none(),  # read per form: no query at import
        to_field_name="code",
        required=False,
        empty_label=None,
        help_text=_("The deployment's, unless the customer falls under another jurisdiction."),
    )

    class Meta:
        model = Complaint
        fields = REGISTRATION_FIELDS

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "regime" in self.fields:
            self.fields["regime"].queryset = regimes.offered_regimes()
            if not self.is_bound:
                self.initial.setdefault("regime", regimes.default_regime_code())

    def open_case(self, data: dict) -> Complaint:
        return services.register_complaint(
            actor=self.actor, **{name: data[name] for name in REGISTRATION_FIELDS}
        )


class ComplaintChangeForm(VersionedChangeForm):
    class Meta:
        model = Complaint
        fields = EDITABLE_DETAILS


# Transitions.


class WaitForCustomerForm(VersionedForm):
    reason = text_field(
        _("What the customer has been asked for"), help_text=_("The SLA clock pauses until they reply.")
    )


class EscalateForm(VersionedForm):
    team = forms.ModelChoiceField(
        queryset=Team.objects.exclude(code=services.FRONTLINE_TEAM),
        label=_("Team"),
        help_text=_("The team's mailbox receives an escalation notice."),
    )
    reason = text_field(
        _("Reason"),
        help_text=_("What the team should look at."),
        max_length=max_length_of(Complaint, "escalation_reason"),
    )


class ReturnFindingsForm(VersionedForm):
    findings = text_field(
        _("Findings"),
        help_text=_("What the agent should act on."),
        max_length=max_length_of(Complaint, "findings"),
    )


class ResolveForm(VersionedForm):
    code = forms.ChoiceField(label=_("Outcome"), choices=ResolutionCode.choices)
    summary = text_field(
        pgettext_lazy("resolution", "Summary"),
        help_text=_("The resolution as the customer was told it."),
        max_length=max_length_of(Complaint, "resolution_summary"),
    )
    is_first_contact = forms.BooleanField(
        label=_("Resolved on first contact"),
        required=False,
        help_text=_("Only the registering agent, before any escalation or hold."),
    )


# Audited steps that keep the state.


class VerifyIdentityForm(VersionedForm):
    method = forms.ChoiceField(label=_("Method"), choices=VerificationMethod.choices)
    note = text_field(
        _("Note"), required=False, help_text=_("What was checked, e.g. the last four ID digits matched.")
    )
    # Only on a complaint that does not know the customer's phone yet (an e-mail complaint).
    customer_phone = Complaint._meta.get_field("customer_phone").formfield(
        required=False,
        label=_("Customer's phone"),
        help_text=_("Not on file yet: ask the caller for it; it is recorded with the verification."),
    )

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        # The accounts' verification shares this form: only a complaint keeps a phone.
        if getattr(case, "has_phone", True):
            del self.fields["customer_phone"]


class CorrectionForm(VersionedForm):
    """The category, priority and channel as they are, to change; the service judges."""

    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        help_text=_("Chooses the SLA policy and the details the complaint must have."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        help_text=_("An urgent complaint runs on shorter deadlines."),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Channel.choices, help_text=_("How the customer reached us.")
    )
    regime = forms.ModelChoiceField(
        label=_("Regulatory regime"),
        queryset=Regime.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=None,
        help_text=_("Its limits set the deadlines; an extension in force must exist in it too."),
    )
    regime_condition = forms.ChoiceField(
        label=_("Regime condition"),
        choices=RegimeCondition.choices,
        required=False,
        help_text=_("What narrows the regime's limits for this case (Reg E's new account)."),
    )
    reason = text_field(
        _("Why it is corrected"),
        help_text=_(
            "Kept in the trail with the old and new values, e.g. the caller asked about a refund, "
            "not a failed payment."
        ),
    )

    def clean_regime_condition(self) -> str | None:
        # Not sent (a form from before regimes): unchanged, not "every case".
        return self.cleaned_data["regime_condition"] if "regime_condition" in self.data else None

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["regime"].queryset = regimes.offered_regimes()
        if case is not None:
            for name in ("category", "priority", "channel", "regime_condition"):
                self.fields[name].initial = getattr(case, name)
            self.fields["regime"].initial = case.regime.code if case.regime else regimes.default_regime_code()


def assignable_staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class ReassignForm(VersionedForm):
    assigned_to = forms.ModelChoiceField(queryset=assignable_staff(), required=False, label=_("Agent"))
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False, label=_("Team"))
    reason = text_field(_("Reason"), required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("assigned_to") and not cleaned.get("team"):
            raise forms.ValidationError(gettext("Choose an agent or a team."))
        return cleaned


class NoteForm(forms.Form):
    body = text_field(
        _("Note"),
        help_text=_("Internal: never shown to the customer or the partner."),
        max_length=max_length_of(ComplaintNote, "body"),
    )


class OpenUnlockRequestForm(forms.Form):
    """Nothing to type: the request takes the complaint's account, story and verification."""


def _refund_types() -> list[tuple[str, str]]:
    # Imported when the form is drawn: refunds builds on complaints, not the other way round.
    from refunds.models import RefundType

    return RefundType.choices


class OpenRefundCaseForm(forms.Form):
    """The transaction, merchant and amount come from the complaint; staff say what kind of refund."""

    refund_type = forms.ChoiceField(label=_("Refund type"), choices=_refund_types)
    requested_amount = AmountFormField(
        label=_("Amount to refund"),
        required=False,
        help_text=_("Left empty: the complaint's amount. A partial refund is a smaller amount."),
    )
    paid_at = forms.DateTimeField(
        label=_("Paid at"),
        required=False,
        validators=[validate_payment_time],
        help_text=_(
            "Only if the complaint has no transaction time and the transaction is not on file; "
            "local time, e.g. 2026-11-24 14:30."
        ),
    )
    reason = text_field(
        _("Reason"),
        required=False,
        help_text=_("Left empty: the complaint's description."),
        max_length=STATEMENT_MAX_LENGTH,  # a refund case's reason
    )


class ReplyForm(VersionedForm):
    """A reply to the customer: from a reply template or blank, edited, then sent as shown."""

    channel = forms.ChoiceField(label=_("Send by"), choices=CustomerChannel.choices, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject (e-mail)"), required=False, max_length=200)
    text = text_field(_("Message to the customer"), max_length=customer_replies.EMAIL_REPLY_MAX_LENGTH)
    template_code = forms.CharField(widget=forms.HiddenInput, required=False, max_length=60)

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["text"].widget.attrs.update(rows=8, cols=70)
        if case is None:
            return
        self.fields["channel"].initial = customer_notices.customer_contact(case).channel
        templates = reply_templates(
            language=case.customer_language, case_type="complaint", category=case.category
        )
        links = format_html_join(
            " · ", '<a href="?template={}">{}</a>', ((template.pk, template.title) for template in templates)
        )
        self.fields["text"].help_text = (
            format_html("{} {}", gettext("Start from a reply template:"), links)
            if links
            else gettext("No reply template for this category and language yet: supervisors write them.")
        )
