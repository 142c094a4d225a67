"""The staff door to merging a duplicate complaint (``services.merging``): the *Merge* step
offers the likely duplicates (``complaints.duplicates``) the complaint may be merged into,
masked as the list shows them, or takes a reference typed; the reason is required. The
service's refusal lands on the field the agent used. A merged complaint's header says
"Merged into" its survivor, a survivor's "Merged from" each duplicate, as links
(``merge_facts``, asked by the admin's ``header_facts``)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.cases import Step, StepDone
from casework.admin.columns import short_text
from casework.admin.forms import VersionedForm, text_field
from casework.core.errors import InvalidInput
from casework.privacy.masking import mask_phone

from .models import MERGE_PERMISSION, Complaint
from .services import merging


def choice_label(complaint: Complaint) -> str:
    """One duplicate as the form offers it: what tells it apart, the phone masked."""
    facts = gettext("%(state)s: %(category)s, registered %(at)s by %(channel)s, %(phone)s") % {
        "state": complaint.get_state_display(),
        "category": complaint.get_category_display(),
        "at": f"{timezone.localtime(complaint.created_at):%Y-%m-%d %H:%M}",
        "channel": complaint.get_channel_display(),
        "phone": mask_phone(complaint.customer_phone) or gettext("no phone yet"),
    }
    return format_html(
        '<strong>{}</strong> {}<span class="merge-choice__what">{}</span>',
        complaint.reference,
        facts,
        short_text(complaint.description),
    )


class MergeForm(VersionedForm):
    into = forms.ChoiceField(
        label=_("Merge into"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "The same customer's open complaints on the same transaction, or of the same category "
            "in the same days."
        ),
    )
    reference = forms.CharField(
        label=_("Or its reference"),
        required=False,
        max_length=30,
        help_text=_("Another open complaint of the same customer, e.g. CMP-20261203-000042."),
    )
    reason = text_field(_("Reason"), help_text=_("Why they are the same complaint; kept in both trails."))

    class Media:
        css = {"all": ["complaints/merge.css"]}

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["reason"].error_messages["required"] = merging.REASON_NEEDED
        offered = merging.merge_choices(case) if case is not None else []
        self.fields["into"].choices = [(str(found.pk), choice_label(found)) for found in offered]
        if not offered:
            self.fields["into"].widget = forms.HiddenInput()
            self.fields["reference"].label = _("Reference of the complaint it duplicates")
            self.fields["reference"].help_text = _(
                "No likely duplicate was found (same customer, same transaction or category in the "
                "same days): type the reference of another open complaint of the same customer."
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen, typed = cleaned.get("into"), (cleaned.get("reference") or "").strip()
        if chosen and typed:
            self.add_error("reference", gettext("Choose a complaint above or type a reference, not both."))
        elif not chosen and not typed:
            field = "into" if self.fields["into"].choices else "reference"
            self.add_error(field, gettext("Choose the complaint this one duplicates."))
        return cleaned


def _merge(complaint: Complaint, actor, data: dict) -> Complaint:
    typed = (data.get("reference") or "").strip()
    field = "reference" if typed else "into"
    if typed:
        into = Complaint.objects.filter(reference=typed.upper()).first()
        if into is None:
            raise InvalidInput(
                gettext("No complaint has the reference %(reference)s.") % {"reference": typed}, field=field
            )
    else:
        into = Complaint.objects.filter(pk=data["into"]).first()
    try:
        merging.merge_complaint(complaint=complaint, into=into, actor=actor, reason=data["reason"])
    except InvalidInput as refusal:
        if refusal.field == "into":  # the survivor: on the field the agent gave it with
            raise InvalidInput(refusal.message, field=field) from refusal
        raise
    return complaint


def _merged(complaint: Complaint, merged: Complaint) -> StepDone:
    survivor = merged.merged_into
    return StepDone(
        reverse("admin:complaints_complaint_change", args=[survivor.pk]),
        gettext(
            "%(merged)s merged into %(survivor)s: its notes, attachments, messages and linked cases "
            "are here now; %(merged)s is closed as merged."
        )
        % {"merged": merged, "survivor": survivor},
    )


MERGE_STEP = Step(
    slug="merge",
    label=_("Merge"),
    permission=MERGE_PERMISSION,
    form=MergeForm,
    run=_merge,
    is_offered=lambda complaint: complaint.is_open,
    help_text=_(
        "Closes this complaint as a duplicate of another open complaint of the same customer: its "
        "notes, attachments, messages and linked cases move there, and both trails keep the merge."
    ),
    done=_merged,
)


def _link(complaint: Complaint) -> str:
    return format_html(
        '<a href="{}">{}</a> ({})',
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        complaint.reference,
        complaint.get_state_display(),
    )


def merge_facts(complaint: Complaint) -> list[tuple[str, str]]:
    """The header's line on a merge: a merged complaint's survivor, a survivor's duplicates."""
    facts = []
    if complaint.merged_into_id:
        facts.append((gettext("Merged into:"), _link(complaint.merged_into)))
    merged_from = list(complaint.merged_from.order_by("created_at", "pk"))
    if merged_from:
        facts.append(
            (gettext("Merged from:"), format_html_join(", ", "{}", ((_link(m),) for m in merged_from)))
        )
    return facts


def merged_next_step(complaint: Complaint) -> str:
    return gettext("Nothing more to do here: the work goes on in %(survivor)s.") % {
        "survivor": complaint.merged_into
    }
