"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE): the admin's login
page saying for how long, in the staff's language, with status 429."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib import admin
from django.template.response import TemplateResponse


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "cooloff_minutes": max(1, round(cool_off.total_seconds() / 60)) if cool_off else None,
    }
    response = TemplateResponse(request, "admin/lockout.html", context, status=429)
    return response.render()
