"""Downloading an uploaded file, and the log of every download (see ``casework.core.evidence``).

The download view lives on the log's admin, at
``/admin/casework/filedownload/download/<app>/<model>/<pk>/``, the address every stored
file's link gives (``EvidenceFieldFile.url``): a logged-in staff user who may see both the
case and its files gets the file as an attachment, never cached, never sniffed; anyone
else with a staff login gets a 403, logged as refused; without one, the login page.
"""

from __future__ import annotations

from django import http
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_ipv46_address
from django.utils.cache import add_never_cache_headers, patch_cache_control

from casework.admin.base import ReadOnlyAdminMixin
from casework.core import evidence
from casework.models import FileDownload


def _address(request) -> str | None:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        validate_ipv46_address(address)
    except Exception:
        return None
    return address


@admin.register(FileDownload)
class FileDownloadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who downloaded which file of which case, when, from where: read by auditors and
    supervisors, written only by the download view."""

    list_display = (
        "downloaded_at",
        "user",
        "case_reference",
        "content_type",
        "file_name",
        "address",
        "outcome",
    )
    list_filter = ("outcome", ("user", admin.RelatedOnlyFieldListFilter), "content_type")
    list_select_related = ("user", "content_type")
    search_fields = ("case_reference", "user__username", "file_name")
    date_hierarchy = "downloaded_at"

    def get_urls(self):
        from django.urls import path

        return [
            path(
                "download/<str:app_label>/<str:model_name>/<int:object_id>/",
                self.admin_site.admin_view(self.download_view),
                name="casework_filedownload_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request, app_label: str, model_name: str, object_id: int):
        if request.method != "GET":
            return http.HttpResponseNotAllowed(["GET"])
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            raise http.Http404("No such kind of file.") from None
        case_field = evidence.case_field_of(model)
        if case_field is None:
            raise http.Http404("No such kind of file.")
        record = model._default_manager.select_related(case_field).filter(pk=object_id).first()
        if record is None or not record.file:
            raise http.Http404("No such file.")
        case = getattr(record, case_field)
        case_admin = self.admin_site._registry.get(type(case))
        meta = record._meta
        allowed = (
            case_admin is not None
            and case_admin.has_view_or_change_permission(request, case)
            and request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
        )
        log = FileDownload(
            user=request.user,
            content_type=ContentType.objects.get_for_model(case),
            object_id=case.pk,
            case_reference=(getattr(case, "reference", "") or str(case))[:40],
            file_type=ContentType.objects.get_for_model(model),
            file_id=record.pk,
            file_name=record.file.name[:255],
            address=_address(request),
        )
        if not allowed:
            log.outcome = FileDownload.Outcome.REFUSED
            log.save()
            raise PermissionDenied
        try:
            opened = record.file.storage.open(record.file.name, "rb")
        except FileNotFoundError:
            raise http.Http404("The file is missing from storage.") from None
        log.save()
        name = record.file.name.rpartition("/")[2]
        response = http.FileResponse(opened, content_type=evidence.stored_content_type(name))
        response["Content-Disposition"] = evidence.attachment_disposition(name)
        response["X-Content-Type-Options"] = "nosniff"
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response
