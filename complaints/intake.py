"""The complaint add page as an intake form: the call registered, and for a complaint staff
took themselves (``FIRST_CONTACT_CHANNELS``) resolved in the same submit ("Register and
resolve", Zendesk's "Submit as solved") through ``services.register_and_resolve``.

The form parses; the service refuses, naming the field, and its one transaction keeps nothing
when any step is refused. The page fits a laptop's window, buttons first.
"""

from __future__ import annotations

from django import forms, http
from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.forms import text_field
from casework.core.limits import max_length_of

from . import services
from .classification_admin import IntakeClassificationFields
from .forms import REGISTRATION_FIELDS, ComplaintRegistrationForm
from .models import Complaint, ResolutionCode, VerificationMethod
from .related_admin import RelatedCasesAdminMixin

# The button's name in the POST: present, the complaint is registered and resolved.
RESOLVE = "_resolve"
RESOLUTION_FIELDS = (
    "verification_method",
    "code",
    "summary",
    *IntakeClassificationFields.classification_fields,
)
# Whose roles run every step of register_and_resolve; the service checks each step again.
RESOLVING_PERMISSIONS = (
    "complaints.add_complaint",
    "complaints.verify_identity_complaint",
    "complaints.accept_complaint",
    "complaints.resolve_complaint",
)


def _blank_first(choices) -> list[tuple[str, str]]:
    return [("", "---------"), *choices]


class IntakeForm(IntakeClassificationFields, ComplaintRegistrationForm):
    """Registration, and the outcome when the agent solves it on the call. The outcome's
    fields are optional here: whether they are needed is the service's rule."""

    verification_method = forms.ChoiceField(
        label=_("Identity verified by"), choices=_blank_first(VerificationMethod.choices), required=False
    )
    code = forms.ChoiceField(label=_("Outcome"), choices=_blank_first(ResolutionCode.choices), required=False)
    summary = text_field(
        pgettext_lazy("resolution", "Summary for the customer"),
        required=False,
        max_length=max_length_of(Complaint, "resolution_summary"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("description", "summary"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(rows=3, cols=40)

    @property
    def is_resolving(self) -> bool:
        return self.is_bound and RESOLVE in self.data

    def clean(self) -> dict:
        cleaned = super().clean()
        # "Register" keeps the caller's verification but never resolves: an outcome typed
        # and then the wrong button pressed is said, not dropped.
        given = [name for name in RESOLUTION_FIELDS[1:] if str(cleaned.get(name) or "").strip()]
        if not self.is_resolving and given:
            self.add_error(
                "code",
                gettext(
                    "You gave an outcome: press Register and resolve to resolve it now, "
                    "or clear the fields under Resolve on first contact to only register."
                ),
            )
        return cleaned

    def open_case(self, data: dict) -> Complaint:
        if not self.is_resolving:
            return services.register_verified(
                actor=self.actor,
                verification_method=data.get("verification_method", ""),
                **{name: data[name] for name in REGISTRATION_FIELDS},
            )
        return services.register_and_resolve(
            actor=self.actor,
            verification_method=data.get("verification_method", ""),
            code=data.get("code", ""),
            summary=data.get("summary", ""),
            **{name: data.get(name) for name in self.classification_fields},
            **{name: data[name] for name in REGISTRATION_FIELDS},
        )


def may_resolve_on_intake(user) -> bool:
    return all(user.has_perm(permission) for permission in RESOLVING_PERMISSIONS)


class IntakeAdminMixin(RelatedCasesAdminMixin):
    """The add page of ``ComplaintAdmin``: compact, both buttons at the top, the customer's
    related complaints beside them as the details are typed (``related_admin``)."""

    add_form_template = "admin/complaints/complaint/intake_form.html"
    intake_fieldsets = (
        (
            _("The caller"),
            {
                "fields": (
                    "channel",
                    "category",
                    "priority",
                    "customer_name",
                    "customer_phone",
                    "customer_email",
                    "preferred_channel",
                    "customer_language",
                    "account_number",
                )
            },
        ),
        (
            _("What happened"),
            {
                "fields": (
                    "transaction_at",
                    "amount",
                    "currency",
                    "transaction_reference",
                    "merchant",
                    "device",
                    "description",
                    "regime",
                    "regime_condition",
                )
            },
        ),
    )
    resolution_fieldset = (
        _("Resolve on first contact"),
        {"fields": RESOLUTION_FIELDS, "classes": ("intake-resolution",)},
    )

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return super().get_fieldsets(request, obj)
        if may_resolve_on_intake(request.user):
            return (*self.intake_fieldsets, self.resolution_fieldset)
        return self.intake_fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:  # the classification's fields are the form's own, never set on the new row
            fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request))
            kwargs["fields"] = [name for name in fields if name not in IntakeForm.classification_fields]
        return super().get_form(request, obj, change, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_resolve": may_resolve_on_intake(request.user),
            "first_contact_channels": " ".join(services.FIRST_CONTACT_CHANNELS),
        }
        return super().add_view(request, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        if RESOLVE not in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            gettext("%(complaint)s registered and resolved on first contact: %(outcome)s.")
            % {"complaint": obj, "outcome": obj.get_resolution_code_display()},
            messages.SUCCESS,
        )
        return http.HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[obj.pk]))
