"""Retention in the admin: the periods (supervisors edit them, with their legal basis; a
change saved over someone else's newer one is refused), the log of pseudonymisations (read
only), and the subject-access export of one customer (``casework.privacy.access``), at
``/admin/casework/retentionpolicy/subject-access/``: supervisors only, each export (and each
refused try) logged as a reveal with its reason."""

from __future__ import annotations

from django import forms, http
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin, ReadOnlyAdminMixin
from casework.customers.identity import customer_for
from casework.models import REVEAL_REASON_MAX_LENGTH, Customer, PseudonymisationLog, RetentionPolicy
from casework.privacy import access

EXPORT_PERMISSION = "casework.export_customer_data"


class RetentionPolicyForm(forms.ModelForm):
    # What the editor read: a save over a newer change is refused, never silently applied.
    seen = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = RetentionPolicy
        fields = ("record_type", "period_months", "legal_basis")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["seen"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = (
                RetentionPolicy.objects.filter(pk=self.instance.pk)
                .values_list("updated_at", flat=True)
                .first()
            )
            if current is not None and cleaned.get("seen") != current.isoformat():
                raise ValidationError(
                    gettext("Someone else changed this period after you opened it; reload and try again.")
                )
        return cleaned


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(AppendOnlyHistoryAdmin):
    form = RetentionPolicyForm
    list_display = ("record_type", "period_months", "updated_at")
    fields = ("record_type", "period_months", "legal_basis", "seen")
    change_list_template = "admin/casework/retentionpolicy/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        return ("record_type",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a record type without a period would keep its data for ever

    def get_urls(self):
        return [
            path(
                "subject-access/",
                self.admin_site.admin_view(self.subject_access_view),
                name="casework_subject_access",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_export": request.user.has_perm(EXPORT_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def subject_access_view(self, request):
        form = SubjectAccessForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            customer = form.cleaned_data["customer"]
            reason = form.cleaned_data["reason"]
            if not request.user.has_perm(EXPORT_PERMISSION):
                access.log_refused(customer=customer, actor=request.user, reason=reason)
                raise PermissionDenied
            try:
                document = access.export_customer(customer=customer, actor=request.user, reason=reason)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    form.add_error("reason" if field == "reason" else None, messages)
            else:
                response = http.HttpResponse(document, content_type="application/json; charset=utf-8")
                response["Content-Disposition"] = (
                    f'attachment; filename="customer-{customer.pk}-subject-access.json"'
                )
                add_never_cache_headers(response)
                patch_cache_control(response, no_store=True, private=True)
                return response
        elif not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/casework/subject_access.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Subject-access export"),
                "form": form,
                "opts": self.model._meta,
                "back_url": reverse("admin:casework_retentionpolicy_changelist"),
            },
            status=400 if form.errors else 200,
        )


class CustomerLookupForm(forms.Form):
    """Whose data: the customer record, or the account or phone that finds it."""

    customer_id = forms.IntegerField(required=False, min_value=1, label=_("customer number"))
    account_number = forms.CharField(required=False, max_length=32, label=_("account number"))
    phone = forms.CharField(
        required=False, max_length=20, label=_("phone"), help_text=_("In E.164, e.g. +8613800138000.")
    )

    def clean(self):
        cleaned = super().clean()
        customer = None
        if cleaned.get("customer_id"):
            customer = Customer.objects.filter(pk=cleaned["customer_id"]).first()
            if customer is None:
                self.add_error("customer_id", gettext("No customer has this number."))
                return cleaned
        elif cleaned.get("account_number") or cleaned.get("phone"):
            customer = customer_for(
                account_number=cleaned.get("account_number", ""), phone=cleaned.get("phone", "")
            )
            if customer is None:
                self.add_error("account_number", gettext("No customer has this account number or phone."))
                return cleaned
        else:
            self.add_error("customer_id", gettext("Give the customer's number, account number or phone."))
            return cleaned
        cleaned["customer"] = customer
        return cleaned


class SubjectAccessForm(CustomerLookupForm):
    """Whose data, and why."""

    reason = forms.CharField(
        max_length=REVEAL_REASON_MAX_LENGTH,
        label=_("reason"),
        help_text=_("Why the export is made (the customer's request and its date). Logged with your name."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@admin.register(PseudonymisationLog)
class PseudonymisationLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What retention pseudonymised: read by supervisors and auditors, written by the sweep."""

    list_display = (
        "pseudonymised_at",
        "case_reference",
        "content_type",
        "ended_at",
        "period_months",
        "outcome",
    )
    list_filter = ("outcome", "content_type")
    list_select_related = ("content_type",)
    search_fields = ("case_reference",)
    date_hierarchy = "pseudonymised_at"
