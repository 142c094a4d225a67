"""The project's 403 (``handler403``): in the admin, the refusal page has the admin's own
header, with the user's tools (language, log out) and their site's links, as any admin
page has; elsewhere Django's own answer (the API shapes its errors in its middleware)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template import loader
from django.urls import reverse
from django.views import defaults


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    if not request.path.startswith(reverse("admin:index")) or not (user and user.is_active and user.is_staff):
        return defaults.permission_denied(request, exception)
    context = {**admin.site.each_context(request), "exception": str(exception or "")}
    return HttpResponseForbidden(loader.get_template("403.html").render(context, request))
