"""Revealing one masked value, and the log of every reveal (see ``casework.masking``).

The reveal view lives on the log's admin, at
``/admin/casework/reveallog/reveal/<app>/<model>/<pk>/<field>/``: POST only, with the CSRF
token, by a logged-in staff user. It answers JSON to the change form's script and a small
page otherwise, never cached.
"""

from __future__ import annotations

from django import http
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext

from .admin import ReadOnlyAdminMixin
from .masking import may_reveal
from .models import RevealLog

REASON_FIELD = "reveal_reason"


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
        log = RevealLog(
            user=request.user,
            content_type=ContentType.objects.get_for_model(model),
            object_id=obj.pk,
            case_reference=(getattr(obj, "reference", "") or str(obj))[:40],
            field_name=field,
            reason=request.POST.get(REASON_FIELD, "").strip()[:300],
        )
        if not allowed:
            log.outcome = RevealLog.Outcome.REFUSED
            log.save()
            raise PermissionDenied
        log.save()
        value = spec.value_of(obj, field)
        change_url = reverse(f"admin:{app_label}_{model._meta.model_name}_change", args=[obj.pk])
        if "application/json" in request.headers.get("Accept", ""):
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
                    "value": value,
                    "back_url": change_url,
                    "back_label": log.case_reference,
                },
            )
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response
