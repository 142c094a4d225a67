"""The way back from a refused write (templates/403.html): the page of the case (or the list)
whose transition, step, form or action was refused, so a clerk told "no" is one click from
where they were, not sent to the admin's home.

The address is derived from the refused address itself, resolved against the admin's own
routes and rebuilt with ``reverse``: never taken from the Referer or the query string, so it
cannot point anywhere else (no open redirect). It is offered only when the user may see that
page, and never when that page is the one refused (a GET of a change page or a list).
"""

from __future__ import annotations

from django import template
from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.urls import Resolver404, resolve, reverse

register = template.Library()

# The admin views of one case whose way back is the case's own change page.
CASE_VIEWS = ("change", "transition", "step", "history", "delete")


def _admin_of(url_name: str):
    """(model, its model admin, its URL names' prefix, the view) for one of the admin's URL names."""
    for model, model_admin in admin.site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if url_name.startswith(prefix):
            return model, model_admin, prefix, url_name[len(prefix) :]
    return None


@register.simple_tag(takes_context=True)
def way_back(context) -> dict | None:
    """Where a "Back" link on the 403 page goes: ``{"url", "case"}`` (the case gone back to),
    ``{"url", "case": None, "cases"}`` (its list, named), or None: no such page to offer."""
    request = context.get("request")
    if request is None or not getattr(request, "user", None):
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    if match.namespace != admin.site.name or not match.url_name:
        return None
    found = _admin_of(match.url_name)
    if found is None:
        return None
    model, model_admin, prefix, view = found
    if request.method == "GET" and view in ("change", "changelist"):
        return None  # the page to go back to is the one refused
    object_id = match.kwargs.get("object_id")
    if view in CASE_VIEWS and object_id is not None:
        case = model_admin.get_object(request, unquote(object_id))
        if case is None or not model_admin.has_view_or_change_permission(request, case):
            return None
        return {"url": reverse(f"{admin.site.name}:{prefix}change", args=[quote(case.pk)]), "case": case}
    if view == "changelist" and model_admin.has_view_or_change_permission(request):  # a refused action
        return {
            "url": reverse(f"{admin.site.name}:{prefix}changelist"),
            "case": None,
            "cases": model._meta.verbose_name_plural,
        }
    return None
