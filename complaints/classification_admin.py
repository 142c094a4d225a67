"""The staff door to the classification (``complaints.services.classification``): the codes'
own admin, and on the complaint page its Classification section, the resolve step's form
that asks for the codes, the outcome and the redress, and the Classify step.

The selects offer the active codes of their dimension and post the code string; whether a
code may be recorded is the service's rule (``code_for``), so a refusal reads the same
here as in the API and lands next to its field. Registered by importing this module
(``complaints.admin`` does)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.actions import Step
from casework.admin.base import AppendOnlyHistoryAdmin
from casework.admin.forms import VersionedForm, text_field
from casework.core.money import AmountFormField

from . import forms as complaint_forms
from .models import Category, Channel, ClassificationCode, Complaint, Dimension, Outcome
from .services import classification

CODE_NAMES = tuple(str(dimension) for dimension in classification.CODE_FIELDS)


class CodeField(forms.ChoiceField):
    """A select of the active codes of one dimension, posting the code (``"B01"``)."""

    def __init__(self, dimension: str, **kwargs) -> None:
        self.dimension = dimension
        super().__init__(
            choices=lambda: [
                ("", "---------"),
                *((code.code, str(code)) for code in classification.active_codes(dimension)),
            ],
            required=False,
            label=capfirst(Dimension(dimension).label),
            **kwargs,
        )

    def valid_value(self, value) -> bool:
        return True  # the service judges it (classification.code_for), next to the field


def _code_fields() -> dict[str, CodeField]:
    help_texts = {
        Dimension.BUSINESS_TYPE: _("What the complaint is about, as a regulator counts it."),
        Dimension.CAUSE: _("Why the customer complained."),
        Dimension.PRODUCT: _("The product it concerns."),
        Dimension.ROOT_CAUSE: _("What caused it, as found."),
    }
    return {str(dimension): CodeField(dimension, help_text=text) for dimension, text in help_texts.items()}


def _outcome_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=pgettext_lazy("upheld or not", "Outcome"),
        choices=[("", "---------"), *Outcome.choices],
        required=False,
        help_text=_("Whether the complaint was upheld, as the returns count it."),
    )


def _redress_field() -> AmountFormField:
    return AmountFormField(
        label=_("Redress paid"),
        required=False,
        help_text=_(
            "In the complaint's currency; needed when the customer was refunded or compensated, "
            "empty if nothing was paid."
        ),
    )


def _prefill(form: forms.Form, complaint: Complaint | None) -> None:
    """The complaint's codes as it has them now: the category's, or what someone chose."""
    if complaint is None:
        return
    for dimension in classification.CODE_FIELDS:
        code = getattr(complaint, dimension)
        if dimension in form.fields and code is not None:
            form.fields[dimension].initial = code.code
    if "outcome" in form.fields:
        form.fields["outcome"].initial = complaint.outcome
    if "redress_amount" in form.fields:
        form.fields["redress_amount"].initial = complaint.redress_amount


class ResolveForm(complaint_forms.ResolveForm):
    """Resolving: the resolution told to the customer, and what a regulator counts of it."""

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["code"].label = _("Resolution")
        self.fields["outcome"] = _outcome_field()
        self.fields["redress_amount"] = _redress_field()
        self.fields.update(_code_fields())
        self.order_fields(
            ["version", "code", "summary", "outcome", "redress_amount", *CODE_NAMES, "is_first_contact"]
        )
        _prefill(self, case)


class ClassifyForm(VersionedForm):
    reason = text_field(
        _("Why"),
        help_text=_(
            "Kept in the trail with the codes from and to, e.g. the caller was asking about a refund."
        ),
    )

    def __init__(self, *args, case: Complaint | None = None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields.update(_code_fields())
        self.order_fields(["version", *CODE_NAMES, "reason"])
        _prefill(self, case)


class IntakeClassificationFields:
    """On the intake form (``complaints.intake``): what "Register and resolve" records
    beside the resolution; a business type or cause left empty is the category's."""

    # In the order the resolution's fieldset shows them, after the resolution code and summary.
    classification_fields = ("outcome", "redress_amount", *CODE_NAMES)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Resolution")
        self.fields["outcome"] = _outcome_field()
        self.fields["redress_amount"] = _redress_field()
        for name, field in _code_fields().items():
            if name in classification.MAPPED_FIELDS:
                field.choices = [("", gettext("the category's")), *list(field.choices)[1:]]
            self.fields[name] = field


CLASSIFY_STEP = Step(
    slug="classify",
    label=_("Classify"),
    permission=classification.CLASSIFY_PERMISSION,
    form=ClassifyForm,
    run=lambda complaint, actor, data: classification.classify_complaint(
        complaint=complaint, actor=actor, **data
    ),
    is_offered=lambda complaint: complaint.state in classification.CLASSIFIED_STATES,
    help_text=_(
        "The codes the returns count it by: its business type and cause (its category's until "
        "someone chooses), the product and the root cause."
    ),
)

CLASSIFICATION_FIELDSET = (
    _("Classification"),
    {
        "fields": (
            "business_type",
            "cause",
            "channel_code",
            "product",
            "root_cause",
            "outcome",
            "redress_amount",
        )
    },
)


@admin.display(description=_("channel code"))
def channel_code(model_admin, complaint: Complaint) -> str:
    """The Classification section's channel code (a method of ``ComplaintAdmin``): read
    from the channel, never stored."""
    code = classification.channel_code(complaint)
    return str(code) if code is not None else "—"


# The codes' own admin.


def _use_count(field: str):
    rows = (
        Complaint.objects.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


@admin.register(ClassificationCode)
class ClassificationCodeAdmin(AppendOnlyHistoryAdmin):
    """Editable taxonomy: a code in use is retired (is active off), never deleted; its
    dimension and code stay as the trail and the returns name them."""

    list_display = (
        "code",
        "name",
        "name_zh",
        "dimension",
        "maps_from_shown",
        "is_active",
        "complaints_counted",
    )
    list_display_links = ("code", "name")
    list_filter = ("dimension", "is_active")
    search_fields = ("code", "name", "name_zh")
    ordering = ("dimension", "position", "code")
    list_per_page = 100
    fields = ("dimension", "code", "name", "name_zh", "parent", "maps_from", "position", "is_active")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.annotate(
            counted_business_type=_use_count("business_type"),
            counted_cause=_use_count("cause"),
            counted_product=_use_count("product"),
            counted_root_cause=_use_count("root_cause"),
        )

    def get_readonly_fields(self, request, obj=None):
        return ("dimension", "code") if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        # A code no complaint carries yet (a typo) may go; one in use is retired instead.
        # Never from the list: there it would be judged only by the protecting keys.
        allowed = admin.ModelAdmin.has_delete_permission(self, request, obj)
        return allowed and obj is not None and uses(obj) == 0

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("maps from"), ordering="maps_from")
    def maps_from_shown(self, code: ClassificationCode) -> str:
        if not code.maps_from:
            return "—"
        labels = dict(Channel.choices if code.dimension == Dimension.CHANNEL else Category.choices)
        return str(labels.get(code.maps_from, code.maps_from))

    @admin.display(description=_("complaints"))
    def complaints_counted(self, code: ClassificationCode) -> int:
        return uses(code)


def uses(code: ClassificationCode) -> int:
    """How many complaints a code counts: those that carry it, or for a channel code those
    of the channel it maps from."""
    if code.dimension == Dimension.CHANNEL:
        if not code.maps_from:
            return 0
        return Complaint.objects.filter(channel=code.maps_from).count()
    counted = getattr(code, f"counted_{code.dimension}", None)  # the list's annotation
    if counted is not None:
        return counted
    return Complaint.objects.filter(**{code.dimension: code}).count()
