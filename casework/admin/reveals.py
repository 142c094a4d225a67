"""Revealing one masked value, and the log of every reveal (see ``casework.privacy.masking``).

The reveal view lives on the log's admin, at
``/admin/casework/reveallog/reveal/<app>/<model>/<pk>/<field>/``: POST only, with the CSRF
token and a reason (``reveal_reason``), by a logged-in staff user. It answers JSON to the
change form's script and a small page otherwise, never cached. Every try is a log row: a
user who may not reveal is refused (403), a missing or invalid reason too (400, the error
named on the field, the page asking again); what was typed is kept as far as it can be
stored (a NUL, which PostgreSQL refuses in text, as U+FFFD).
"""

from __future__ import annotations

from django import forms, http
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext

from casework.admin.base import ReadOnlyAdminMixin
from casework.models import RevealLog
from casework.privacy.masking import may_reveal

REASON_FIELD = "reveal_reason"


class RevealReasonForm(forms.ModelForm):
    """Why the full value is needed: the log field's own rules (required, its length, no NUL)."""

    class Meta:
        model = RevealLog
        fields = ("reason",)


def storable(typed: str) -> str:
    """What a refused try keeps of the reason typed: all that a text column can hold."""
    return typed.replace("\x00", "\N{REPLACEMENT CHARACTER}").strip()[
        : RevealLog._meta.get_field("reason").max_length
    ]


@admin.register(RevealLog)
class RevealLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who revealed what, when and why: read by auditors, written only by the reveal view."""

    list_display = (
        "revealed_at",
        "user",
        "case_reference",
        "content_type",
        "field_name",
        "outcome",
        "reason",
    )
    list_filter = ("outcome", ("user", admin.RelatedOnlyFieldListFilter), "content_type", "field_name")
    list_select_related = ("user", "content_type")
    search_fields = ("case_reference", "user__username", "reason")
    date_hierarchy = "revealed_at"

    def get_urls(self):
        return [
            path(
                "reveal/<str:app_label>/<str:model_name>/<str:object_id>/<str:field>/",
                self.admin_site.admin_view(self.reveal_view),
                name="casework_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request, app_label: str, model_name: str, object_id: str, field: str):
        if request.method != "POST":
            return http.HttpResponseNotAllowed(["POST"])
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            raise http.Http404("No such model.") from None
        model_admin = self.admin_site._registry.get(model)
        spec = getattr(model_admin, "masked_fields", {}).get(field)
        if spec is None:
            raise http.Http404("Nothing masked by that name.")
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None:
            raise http.Http404("No such object.")
        allowed = may_reveal(request.user) and model_admin.has_view_or_change_permission(request, obj)
        typed = request.POST.get(REASON_FIELD, "")
        log = RevealLog(
            user=request.user,
            content_type=ContentType.objects.get_for_model(model),
            object_id=obj.pk,
            case_reference=(getattr(obj, "reference", "") or str(obj))[:40],
            field_name=field,
        )
        form = RevealReasonForm({"reason": typed}, instance=log)
        if not allowed:
            log.outcome, log.reason = RevealLog.Outcome.REFUSED, storable(typed)
            log.save()
            raise PermissionDenied
        if not form.is_valid():
            log.outcome, log.reason = RevealLog.Outcome.NO_REASON, storable(typed)
            log.save()
        else:
            form.save()
        wants_json = "application/json" in request.headers.get("Accept", "")
        change_url = reverse(f"admin:{app_label}_{model._meta.model_name}_change", args=[obj.pk])
        if wants_json and form.errors:
            response = http.JsonResponse({"errors": {REASON_FIELD: form.errors["reason"]}}, status=400)
        elif wants_json:
            value = spec.value_of(obj, field)
            response = http.JsonResponse({"field": field, "value": value, "case": log.case_reference})
        else:
            response = TemplateResponse(
                request,
                "admin/casework/reveal.html",
                {
                    **self.admin_site.each_context(request),
                    "title": gettext("%(value)s of %(case)s")
                    % {"value": spec.label.capitalize(), "case": log.case_reference},
                    "label": spec.label,
                    "value": "" if form.errors else spec.value_of(obj, field),
                    "reason_field": REASON_FIELD,
                    "reason": typed.replace("\x00", ""),
                    "reason_errors": form.errors.get("reason"),
                    "reason_max_length": RevealLog._meta.get_field("reason").max_length,
                    "back_url": change_url,
                    "back_label": log.case_reference,
                },
                status=400 if form.errors else 200,
            )
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response
