"""My work's door: the page, and *Take next* (``casework.workspace.queues``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from casework.core.errors import CaseworkError
from casework.workspace import queues


def my_work(request: HttpRequest) -> HttpResponse:
    if not queues.has_my_work(request.user):
        raise PermissionDenied
    # The lists need the width, as a case list does (casework.admin.columns): no sidebar.
    context = {**admin.site.each_context(request), "title": _("My work"), "is_nav_sidebar_enabled": False}
    return TemplateResponse(request, "admin/casework/my_work_page.html", context)


@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    if not queues.has_my_work(request.user):
        raise PermissionDenied
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("admin-my-work")
    try:
        case = queues.take_next(actor=request.user)
    except CaseworkError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(back)
    if case is None:
        messages.info(request, _("Your team's queue is empty: there is nothing to take."))
        return HttpResponseRedirect(back)
    messages.success(request, _("%(case)s is yours now.") % {"case": case})
    meta = case._meta
    return HttpResponseRedirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[case.pk]))


urls = [
    ("admin/my-work/", admin.site.admin_view(my_work), "admin-my-work"),
    ("admin/my-work/take-next/", admin.site.admin_view(take_next), "admin-take-next"),
]
