"""The transition record, read only, with the export of a period of it as CSV."""

from __future__ import annotations

from django import http
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import ReadOnlyAdminMixin
from casework.admin.cases import CaseTypeListFilter
from casework.cases.transitions import (
    action_words,
)
from casework.models import (
    TransitionRecord,
)
from casework.supervision.exports import EXPORT_PERMISSION, TrailExportForm, state_label, stream_trail
from casework.trail import reasons


@admin.register(TransitionRecord)
class TransitionRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "case_reference",
        "content_type",
        "shown_transition",
        "shown_source_state",
        "shown_target_state",
        "actor_label",
        "shown_reason",
    )
    list_filter = ("transition", "actor_label", ("content_type", CaseTypeListFilter))
    list_select_related = ("content_type",)
    search_fields = ("case_reference",)
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    change_list_template = "admin/casework/transitionrecord/change_list.html"

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm(EXPORT_PERMISSION)

    # The stored names and states stay as they are (the hash covers them); the list says them
    # in the reader's words.

    @admin.display(description=_("transition"), ordering="transition")
    def shown_transition(self, record: TransitionRecord) -> str:
        return action_words(record.transition)

    @admin.display(description=_("source state"), ordering="source_state")
    def shown_source_state(self, record: TransitionRecord) -> str:
        return state_label(record, record.source_state)

    @admin.display(description=_("target state"), ordering="target_state")
    def shown_target_state(self, record: TransitionRecord) -> str:
        return state_label(record, record.target_state)

    @admin.display(description=_("reason"))
    def shown_reason(self, record: TransitionRecord) -> str:
        return reasons.shown_reason(record)

    @admin.action(description=_("Export selected records as CSV"), permissions=["export"])
    def export_csv(self, request, queryset: QuerySet[TransitionRecord]) -> http.StreamingHttpResponse:
        return stream_trail(queryset, f"transitions-{timezone.localtime():%Y%m%d-%H%M}.csv")

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_export": self.has_export_permission(request)}
        return super().changelist_view(request, extra_context)

    def export_view(self, request) -> http.HttpResponse:
        """The trail of a period, narrowed by case type, user and partner, as streamed CSV.

        A GET: the export reads and writes nothing. Bad input shows the form again with
        its errors and what was typed.
        """
        if not self.has_export_permission(request):
            raise PermissionDenied
        if request.method != "GET":
            return http.HttpResponseNotAllowed(["GET"])
        form = TrailExportForm(request.GET or None)
        if form.is_bound and form.is_valid():
            return stream_trail(form.records(), form.file_name())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Export the audit trail"),
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/casework/transitionrecord/export.html", context)
