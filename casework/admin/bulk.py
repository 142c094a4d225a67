"""Bulk reassignment: the "Assign to…" action on a case list.

The action asks for the new holder and a reason on a page of its own (the selected cases
listed as the list shows them, errors next to their field, Cancel back to the list), then
assigns each case through the case type's own service, in its own transaction: each is
recorded in the trail with the reason. A case that cannot be assigned (finished, changed
by someone after the page was opened, refused to this user) is reported by its reference
and the others still go. A target the service refuses for every case alike (not someone
who may hold such cases) is shown on the holder field, nothing assigned.

A case admin wires it with :class:`BulkAssignMixin`: the permission to assign, the form's
holder field and its choices, and ``assign_case`` calling the service. Only users with the
permission are offered the action (and a POST naming it without is a 403,
``casework.admin.base.RefusedWritesForbidden``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from casework.admin.forms import text_field
from casework.cases.transitions import require_version
from casework.core.errors import CaseworkError
from casework.models import kinds
from casework.supervision.filters import OpenCasesFilter

# More than this at once is a job for a script, not for one page listing them all.
MOST_CASES = 100
APPLY = "_assign"  # the page's own submit: the action runs
VERSION = "version-%s"  # the version each case was shown at, by its pk


class BulkAssignForm(forms.Form):
    """The new holder (``holder``, added by the mixin with the kind's choices) and why."""

    reason = text_field(_("Reason"), help_text=_("Recorded in each case's trail."))


class BulkAssignMixin:
    """``CaseAdmin``'s "Assign to…": set ``assign_permission``, ``assign_label`` (the
    holder field's label), ``assign_choices(request)`` (who may be chosen) and
    ``assign_case(case, actor, holder, reason)`` (the service), and list ``"assign_to"``
    in ``actions``."""

    assign_permission = ""
    assign_label = _("Assign to")
    bulk_assign_template = "admin/casework/case/bulk_assign.html"

    def assign_choices(self, request) -> models.QuerySet:
        raise NotImplementedError

    def assign_case(self, case: models.Model, actor, holder, reason: str) -> Any:
        raise NotImplementedError

    def has_assign_permission(self, request) -> bool:
        return request.user.has_perm(self.assign_permission)

    def assign_form(self, request, data=None) -> BulkAssignForm:
        form = BulkAssignForm(data)
        holder = forms.ModelChoiceField(queryset=self.assign_choices(request), label=self.assign_label)
        form.fields = {"holder": holder, **form.fields}
        return form

    @admin.action(description=_("Assign to…"), permissions=["assign"])
    def assign_to(self, request, queryset):
        cases = list(queryset.order_by("pk")[: MOST_CASES + 1])
        if len(cases) > MOST_CASES:
            self.message_user(
                request,
                gettext("Select at most %(count)s cases to assign at once.") % {"count": MOST_CASES},
                messages.WARNING,
            )
            return None
        back = self._list_back(request)
        if APPLY not in request.POST:
            return self._assign_page(request, cases, self.assign_form(request), back)
        form = self.assign_form(request, request.POST)
        if not form.is_valid():
            return self._assign_page(request, cases, form, back)
        holder, reason = form.cleaned_data["holder"], form.cleaned_data["reason"]
        assigned, refused = self._assign_each(request, cases, holder, reason)
        if not assigned and refused and self._same_holder_refusal(refused):
            form.add_error("holder", refused[0][1].message)
            return self._assign_page(request, cases, form, back)
        if assigned:
            self.message_user(
                request,
                ngettext(
                    "%(count)s case assigned to %(holder)s: %(references)s.",
                    "%(count)s cases assigned to %(holder)s: %(references)s.",
                    len(assigned),
                )
                % {
                    "count": len(assigned),
                    "holder": holder.get_full_name() or holder.get_username(),
                    "references": ", ".join(str(case) for case in assigned),
                },
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext("Not assigned: %(cases)s", "Not assigned (%(count)s): %(cases)s", len(refused))
                % {
                    "count": len(refused),
                    "cases": "; ".join(self._refused_line(case, refusal) for case, refusal in refused),
                },
                messages.WARNING,
            )
        return HttpResponseRedirect(back)

    def _assign_each(self, request, cases, holder, reason):
        assigned, refused = [], []
        for case in cases:
            shown = request.POST.get(VERSION % case.pk, "")
            try:
                # As the supervisor saw it: a case changed since the page was opened is refused.
                require_version(case, int(shown) if shown.isdigit() else -1)
                self.assign_case(case, request.user, holder, reason)
            except CaseworkError as refusal:
                refused.append((case, refusal))
            else:
                assigned.append(case)
        return assigned, refused

    @staticmethod
    def _refused_line(case: models.Model, refusal: CaseworkError) -> str:
        # Most refusals name their case already ("CMP-… is resolved: …").
        return refusal.message if str(case) in refusal.message else f"{case}: {refusal.message}"

    def _same_holder_refusal(self, refused: Sequence[tuple[models.Model, CaseworkError]]) -> bool:
        fields = {self.kind_holder_field, "holder"}
        return len({refusal.message for _case, refusal in refused}) == 1 and refused[0][1].field in fields

    @property
    def kind_holder_field(self) -> str:
        return kinds.kind_of(self.model).holder_field

    def _list_back(self, request) -> str:
        back = request.POST.get("next") or request.get_full_path()
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return back

    def _assign_page(self, request, cases, form, back):
        list_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        rows = [
            {
                "case": case,
                "url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[case.pk]),
                "state": self.state_badge(case),
                "deadline": self.next_deadline(case),
                "holder": self.holder(case),
                "lines": [getattr(self, name)(case) for name in self.summary_columns],
                "version_name": VERSION % case.pk,
                "version": request.POST.get(VERSION % case.pk) if APPLY in request.POST else case.version,
            }
            for case in cases
        ]
        adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": ngettext("Assign %(count)s %(cases)s", "Assign %(count)s %(cases)s", len(cases))
            % {
                "count": len(cases),
                "cases": self.opts.verbose_name if len(cases) == 1 else self.opts.verbose_name_plural,
            },
            "rows": rows,
            "form": form,
            "adminform": adminform,
            "top_errors": form.non_field_errors(),
            # Every case by its pk, whatever list it was picked from: one finished
            # meanwhile is reported as such, not silently dropped by the list's filter.
            "action_url": f"{list_url}?{OpenCasesFilter.parameter_name}={OpenCasesFilter.ANY}",
            "back": back,
            "apply": APPLY,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
            "is_nav_sidebar_enabled": False,
        }
        return TemplateResponse(request, self.bulk_assign_template, context)
