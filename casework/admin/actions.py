"""The page of one transition or step of a case (``CaseAdmin``'s "Accept", "Add note"...):
one heading naming the action and the case, a summary of the case (reference, state,
whose turn, the next deadline, the customer masked, a short description), the form in
the admin's own markup (errors next to their field), a button worded as the action and
Cancel back to the case.

The views only parse the form and call the step's or transition's service; a refusal of
who acts is a 403 (``casework.admin.base.forbid``), one of the case's state goes back to
the case with its reason, one that names a field lands on that field, and a stale page
(someone changed the case meanwhile) is shown again with the input kept and the case as
it is now, to be sent again or cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms, http
from django.contrib import messages
from django.contrib.admin.helpers import AdminForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.text import capfirst
from django.utils.translation import gettext

from casework.admin.base import forbid
from casework.admin.forms import VersionedForm
from casework.cases.transitions import check_permission, check_transition, permission_refusal, require_version
from casework.core.errors import CaseworkError, ConcurrentChange


@dataclass(frozen=True)
class StepDone:
    """Where a step sends the user afterwards, and what it tells them."""

    url: str
    message: str
    level: int = messages.SUCCESS


@dataclass(frozen=True)
class Step:
    """An audited change that keeps the state, offered as a button on the change form."""

    slug: str
    label: str
    permission: str
    form: type[forms.Form]
    run: Callable[[Any, Any, dict[str, Any]], Any]  # (case, user, the form's data) -> result
    is_offered: Callable[[Any], bool]
    # Or ``help_text(case)``, for a step that says what it would do on this case.
    help_text: str | Callable[[Any], str] = ""
    # From the case and what ``run`` returned; by default back to the case, "<label> done".
    done: Callable[[Any, Any], StepDone] | None = None
    # (case, user) -> may this user take it on this case, where the permission alone does
    # not say (the service's own gate: "a supervisor, or the holder before acceptance").
    may_take: Callable[[Any, Any], bool] | None = None
    # (case, user, the page's query) -> what the form opens with ("start from template 3").
    initial: Callable[[Any, Any, Any], dict[str, Any]] | None = None

    def help_for(self, case: Any) -> str:
        return self.help_text(case) if callable(self.help_text) else self.help_text

    def is_allowed(self, case: Any, user: Any) -> bool:
        """Whether ``user`` may take this step on ``case`` at all (its state aside)."""
        return user.has_perm(self.permission) and (self.may_take is None or self.may_take(case, user))


@dataclass(frozen=True)
class SummaryLine:
    label: str
    value: str


class ActionFormsMixin:
    """The transition and step pages of ``CaseAdmin``.

    ``summary_columns`` names the list's columns (methods of the admin) the summary box
    shows under the reference: who the customer is, masked as in the list, and what the
    case is about; a case type without a customer names what identifies it instead."""

    fsm_transition_form_template = "admin/casework/case/action_form.html"
    summary_columns: tuple[str, ...] = ("customer_column", "summary")
    steps: tuple[Step, ...] = ()
    transition_checks: dict[str, Callable[[models.Model, Any], None]] = {}

    def get_urls(self):
        return [
            path(
                "<path:object_id>/step/<slug:slug>/",
                self.admin_site.admin_view(self.step_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_step",
            ),
            *super().get_urls(),
        ]

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        """One transition's form (or confirmation), run through its service."""
        case = self._case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if transition_name not in self.transition_services:
            raise http.Http404(f"No transition {transition_name!r}.")
        # Who may not run it gets a 403 whatever the case's state: no form, and a POST
        # never reaches the service.
        try:
            check_permission(case, transition_name, request.user)
        except CaseworkError as refusal:
            forbid(refusal)
        label, help_text = self.transition_wording(case, transition_name)
        form_class = self.get_transition_form_class(transition_name)
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, case=case)
            if form.is_valid():
                refusal = self._run_transition(request, case, transition_name, form.cleaned_data)
                if refusal is None:
                    self._report_transition(request, case, transition_name)
                    return redirect(self._admin_url("change", case.pk))
                return self._refused(request, case, refusal, form, label=label, help_text=help_text)
        else:
            check = self.transition_checks.get(transition_name)
            try:
                if check is not None:
                    check(case, request.user)
                else:
                    check_transition(case, transition_name, request.user)
            except CaseworkError as refusal:
                return self._refused(request, case, refusal)
            form = form_class(case=case)
        return self._render_action_form(request, case, label=label, form=form, help_text=help_text)

    def transition_wording(self, case: models.Model, name: str) -> tuple[str, str]:
        return self._transition_label(name), ""

    def step_view(self, request, object_id, slug):
        case = self._case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        step = next((step for step in self.steps if step.slug == slug), None)
        if step is None:
            raise http.Http404(f"No step {slug!r}.")
        if not step.is_allowed(case, request.user):
            # As a transition's page does: no form for who may not run it, a 403 for its POST.
            raise PermissionDenied(permission_refusal(step.label.lower(), case))
        form_kwargs = {"case": case} if issubclass(step.form, VersionedForm) else {}
        if request.method == "POST":
            form = step.form(request.POST, request.FILES, **form_kwargs)
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    require_version(case, data.pop("version", None))
                    result = step.run(case, request.user, data)
                except CaseworkError as refusal:
                    return self._refused(
                        request, case, refusal, form, label=step.label, help_text=step.help_for(case)
                    )
                done = step.done(case, result) if step.done else None
                done = done or StepDone(
                    self._admin_url("change", case.pk),
                    gettext("%(case)s: %(action)s done.") % {"case": case, "action": step.label.lower()},
                )
                self.message_user(request, done.message, done.level)
                return redirect(done.url)
        else:
            initial = step.initial(case, request.user, request.GET) if step.initial else None
            form = step.form(initial=initial, **form_kwargs)
        return self._render_action_form(
            request, case, label=step.label, form=form, help_text=step.help_for(case)
        )

    def _refused(self, request, case: models.Model, refusal: CaseworkError, form=None, **wording):
        """The page after a refusal: a 403 for who acts; the form again with the error on
        the field it names; the form again, input kept, on the case as it is now when
        someone changed it meanwhile (sent again, it acts on what is shown); otherwise the
        case's page, saying why (its state does not allow it)."""
        forbid(refusal)
        if form is not None and isinstance(refusal, ConcurrentChange):
            case = self.get_object(request, case.pk) or case
            data = form.data.copy()
            if "version" in form.fields:
                data[form.add_prefix("version")] = case.version
            kwargs = {"case": case} if isinstance(form, VersionedForm) else {}
            form = type(form)(data, form.files, **kwargs)
            form.full_clean()
            form.add_error(None, refusal.message)
            form.add_error(
                None, gettext("Above is the case as it is now: check it, then send the form again or cancel.")
            )
            return self._render_action_form(request, case, form=form, **wording)
        if form is not None and refusal.field in form.fields and not form[refusal.field].is_hidden:
            form.add_error(refusal.field, refusal.message)
            return self._render_action_form(request, case, form=form, **wording)
        self.message_user(request, refusal.message, messages.ERROR)
        return redirect(self._admin_url("change", case.pk))

    def _case_or_none(self, request, object_id) -> models.Model | None:
        case = self.get_object(request, unquote(object_id))
        if case is not None and not self.has_view_or_change_permission(request, case):
            raise PermissionDenied
        return case

    def case_summary(self, request, case: models.Model) -> dict:
        """The header's pieces an action form repeats, and the lines ``summary_columns`` name."""
        summary = self.case_header(request, case)
        lines = []
        for name in self.summary_columns:
            column = getattr(self, name)
            label = getattr(column, "short_description", name.replace("_", " "))
            lines.append(SummaryLine(capfirst(label), column(case)))
        return {**summary, "lines": lines}

    def _render_action_form(self, request, case: models.Model, *, label: str, form, help_text: str = ""):
        visible = [name for name, field in form.fields.items() if not field.widget.is_hidden]
        hidden = [name for name in form.fields if name not in visible]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": case,
            "title": gettext("%(action)s — %(case)s") % {"action": label, "case": case},
            "transition": {"label": label, "help_text": help_text},
            "transition_form": form,
            "adminform": AdminForm(form, [(None, {"fields": visible})], {}, model_admin=self),
            "hidden_fields": [form[name] for name in hidden],
            # What belongs to no field the user sees: above the form; the rest beside its field.
            "top_errors": [
                *form.non_field_errors(),
                *(error for name in hidden for error in form[name].errors),
            ],
            "summary": self.case_summary(request, case),
            "change_url": self._admin_url("change", case.pk),
            "has_view_permission": self.has_view_permission(request, case),
            "media": self.media + form.media,
            "is_nav_sidebar_enabled": False,  # the form and the summary need the width
        }
        return render(request, self.fsm_transition_form_template, context)
