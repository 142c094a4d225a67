"""The staff door to what every case type shares: desks, partners and their API tokens,
calendars, SLA policies, and read-only views of clocks, the transition record and the
notification outbox; and :class:`CaseAdmin`, the base of each case type's admin."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms, http
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import capfirst, slugify, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition
from simple_history.admin import SimpleHistoryAdmin

from . import case_timeline, outbox
from .audit import case_models, trail, trail_rows
from .cases import CHANGE_REASON, edit_details
from .errors import CaseworkError, ConcurrentChange, PermissionRefused
from .forms import ConfirmTransitionForm, VersionedChangeForm, VersionedForm
from .masking import mask, masked_in_text
from .models import (
    BusinessCalendar,
    CalendarOverride,
    DeliveryAttempt,
    Notification,
    Partner,
    SlaClock,
    SlaPolicy,
    SlaStatus,
    Team,
    TransitionRecord,
)
from .paginators import CaseListPaginator
from .selectors import with_sla_status
from .transitions import (
    action_words,
    check_permission,
    check_transition,
    condition_refusal,
    permission_refusal,
    require_version,
)


class RefusedWritesForbidden:
    """A write the user may not make is a 403, as Django answers a change or delete POST by
    someone without the permission: an action not offered to the user, named in a POST to
    the list, is refused as such, not shown back as "No action selected" or ignored."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            offered = self.get_actions(request)
            if any(name and name not in offered for name in request.POST.getlist("action")):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)


def forbid(refusal: CaseworkError) -> None:
    """A refusal of who acts (a permission, four eyes), not of what they asked, is a 403
    whatever the door: Django's page, with the refusal's words. Other refusals return."""
    if isinstance(refusal, PermissionRefused):
        raise PermissionDenied(refusal.message) from refusal


class AppendOnlyHistoryAdmin(RefusedWritesForbidden, SimpleHistoryAdmin):
    """History to read, never to write back.

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides the revert button: simple-history's
    historical form view still saves a POST. Refuse it, so an old version (an old state,
    past the state machine) cannot be written back by hand.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return http.HttpResponseNotAllowed(["GET"])
        self._refuse_malformed_key(self.model, object_id)
        self._refuse_malformed_key(self.model.history.model, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    @staticmethod
    def _refuse_malformed_key(model, value: str) -> None:
        """A key in the URL that cannot be one of ``model``'s: no such page (404), where
        simple-history's own query would fail with a 500."""
        try:
            model._meta.pk.to_python(unquote(value))
        except ValidationError:
            raise http.Http404 from None

    def has_delete_permission(self, request, obj=None) -> bool:
        # What keeps a history is retired (inactive, revoked, closed), never deleted: a
        # deleted row would take what points at it (a partner's keys) out of the record.
        return False

    # The History page reads as the change form's field changes do: field and choice
    # labels, a foreign key by its name, "—" for nothing, local time, who and why.
    object_history_list_template = "admin/casework/history_list.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)  # newest first: each row against the one before
        # The page's oldest row against the one before it, on the next page (one query).
        older = [*records[1:], records[-1].prev_record] if records else []
        deltas = [
            (row, row.diff_against(before, foreign_keys_are_objs=False).changes)
            for row, before in zip(records, older, strict=True)
            if before is not None
        ]
        columns = [name for name in self.get_history_list_display(request) if self._is_field(name)]
        column_changes = [
            case_timeline.FieldChangeValue(name, getattr(row, self.model._meta.get_field(name).attname))
            for row in records
            for name in columns
        ]
        related = case_timeline.related_objects(
            self.model, [*(change for _, changes in deltas for change in changes), *column_changes]
        )
        for row, changes in deltas:
            row.history_delta_changes = [
                self.shown_field_change(request, case_timeline.field_change(self.model, change, related))
                for change in changes
            ]
        for row in records:
            row.shown_time = case_timeline.local_time(row.history_date)
            row.shown_actor = case_timeline.history_actor(row)
            row.shown_columns = [
                self.shown_column(request, row, name, related)
                for name in self.get_history_list_display(request)
            ]

    def _is_field(self, name: str) -> bool:
        try:
            self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return True

    def shown_column(self, request, row, name: str, related: dict) -> str:
        """A ``history_list_display`` column of one history row, as the changes show values."""
        if not self._is_field(name):
            return str(getattr(row, name, ""))
        model_field = self.model._meta.get_field(name)
        value = getattr(row, model_field.attname)
        change = case_timeline.FieldChange(str(model_field.verbose_name), name, "—", "—")
        shown = case_timeline.shown_value(self.model, name, value, related)
        return self.shown_field_change(request, dataclasses.replace(change, new=shown)).new

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_malformed_key(self.model, object_id)
        labels = [
            capfirst(self.model._meta.get_field(name).verbose_name) if self._is_field(name) else name
            for name in self.get_history_list_display(request)
        ]
        extra_context = {**(extra_context or {}), "history_column_labels": labels}
        return super().history_view(request, object_id, extra_context)

    def shown_field_change(self, request, change: case_timeline.FieldChange) -> case_timeline.FieldChange:
        """One changed field as this user may read it: personal data stays masked."""
        spec = getattr(self, "masked_fields", {}).get(change.name)
        if spec is None or spec.path(change.name) != change.name:
            return change

        def masked(value: str) -> str:
            return value if value == "—" else mask(spec.kind, value)

        return dataclasses.replace(change, old=masked(change.old), new=masked(change.new))


class ReadOnlyAdminMixin(RefusedWritesForbidden):
    """Rows written by the system: staff read them, nobody edits or deletes them here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Each case type's admin.


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
    help_text: str = ""
    # From the case and what ``run`` returned; by default back to the case, "<label> done".
    done: Callable[[Any, Any], StepDone] | None = None


@dataclass(frozen=True)
class TransitionButton:
    """What the change form needs to draw one transition."""

    name: str
    label: str
    help_text: str
    url: str
    has_form: bool


class StaffListFilter(admin.RelatedFieldListFilter):
    """A user column's filter listing staff, the people who can hold a case. Django's
    ``RelatedOnlyFieldListFilter`` lists only users holding one, found by a DISTINCT over
    every case: a full scan of the table on each page at a million cases."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"is_staff": True})


class CaseTypeListFilter(admin.RelatedFieldListFilter):
    """The case types (the models with a case admin), not every content type there is."""

    def field_choices(self, field, request, model_admin):
        case_models = [
            model
            for model, admin_ in model_admin.admin_site._registry.items()
            if isinstance(admin_, CaseAdmin)
        ]
        types = ContentType.objects.get_for_models(*case_models).values()
        return sorted(
            ((t.pk, capfirst(t.model_class()._meta.verbose_name)) for t in types), key=lambda c: str(c[1])
        )


class SlaStatusFilter(admin.SimpleListFilter):
    """On track / due soon / breached, for any case with an ``sla_clock``."""

    title = _("SLA status")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return SlaStatus.choices

    def queryset(self, request, queryset):
        if self.value() in SlaStatus.values:
            return with_sla_status(queryset, self.value(), timezone.now())
        return queryset


def case_links(cases: Iterable[models.Model]) -> str:
    """Each case as a link to its change page, with its state: for linked cases."""
    links = format_html_join(
        "",
        '<div><a href="{}">{}</a> ({})</div>',
        (
            (
                reverse(f"admin:{case._meta.app_label}_{case._meta.model_name}_change", args=[case.pk]),
                case,
                case.get_state_display(),
            )
            for case in cases
        ),
    )
    return links or "—"


# A search term matching more related rows than this (a merchant's name prefix) matches
# the cases of the first ones only; identifiers match one or a few.
SEARCH_RELATED_LIMIT = 1000


class CaseAdmin(FSMAdminMixin, AppendOnlyHistoryAdmin):
    """The staff door to one case type: thin by design.

    Every transition button, every audited step and the add form call the case type's
    services, which check the permission, the state and the row's version; the admin
    only parses input and shows the service's refusal (a ``CaseworkError``) as a message
    or on the field it names. Nothing is deleted; history is read, never written back.

    A subclass names its services and forms:

    - ``transition_services``: transition name -> service, called as
      ``service(<case_argument>=case, actor=user, **form data)``;
    - ``fsm_forms``: transition name -> its form (a ``VersionedForm``); the others
      get a confirmation with an optional remark;
    - ``transition_checks``: transition name -> ``check(case, user)`` raising the refusal,
      where the service's own gate differs from the model transition's (default:
      ``check_transition``), so the form page refuses exactly what the service would;
    - ``transition_wording(case, name)``: the form page's label and help text;
    - ``steps``: audited changes that keep the state, each a button and a form;
    - ``add_form`` (registers through its service in validation, with ``actor`` set),
      ``change_form``, ``add_fieldsets``, ``change_fieldsets`` and ``editable_fields``
      (every other field on the change form is read-only).
    """

    change_form_template = "admin/casework/case/change_form.html"
    # Lists stay quick at a million cases: an estimated or capped count (worded as such),
    # never a second count of the whole table beside a search's.
    change_list_template = "admin/casework/case/change_list.html"
    paginator = CaseListPaginator
    show_full_result_count = False
    fsm_transition_form_template = "admin/casework/case/action_form.html"
    fsm_fields = ["state"]
    transition_services: dict[str, Callable[..., Any]] = {}
    transition_checks: dict[str, Callable[[models.Model, Any], None]] = {}
    case_argument = "case"
    transition_block_label = _("Move the case")
    # What the change form's timeline merges (see casework.case_timeline); a case type
    # adds its notes, evidence and linked cases.
    timeline_sources: tuple[case_timeline.TimelineSource, ...] = (
        case_timeline.transitions,
        case_timeline.notices,
    )
    steps: tuple[Step, ...] = ()
    add_form: type[forms.ModelForm] | None = None
    change_form: type[forms.ModelForm] = VersionedChangeForm
    add_fieldsets: tuple = ()
    change_fieldsets: tuple = ()
    editable_fields: tuple[str, ...] = ()

    # Listing.

    def changelist_view(self, request, extra_context=None):
        """A page of a case list without PostgreSQL's parallel workers.

        On a big table the planner may read the newest cases with parallel workers when a
        filter (SLA breached, say) is selective: starting them costs more than reading the
        page, and it is most of the page's time at a million cases. A page is a handful of
        rows found by walking an index; one process does it best. The page is rendered
        inside the same transaction, as its rows are read while rendering."""
        using = router.db_for_read(self.model)
        if request.method != "GET" or connections[using].vendor != "postgresql":
            return super().changelist_view(request, extra_context)
        with transaction.atomic(using=using):
            with connections[using].cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render"):
                response.render()
        return response

    # Searching.

    def get_search_results(self, request, queryset, search_term):
        """Each search field read through its own index, so a search costs the same at a
        million cases: ``^field`` is a prefix, ``=field`` the whole value (both ignoring
        case), ``field__exact`` the value as stored. A related row's field
        (``account__account_number__exact``) is looked up in its own table first and
        matched by id: one OR over one table stays a union of index scans, where Django's
        join would scan every case.

        The box holds one value, spaces and all ("Zhang Wei", "Shenzhen Bike"): every field
        is an identifier or a beginning, so words are not searched apart."""
        fields = self.get_search_fields(request)
        term = search_term.strip()
        if term[:1] in ('"', "'") and term[0] == term[-1] and len(term) > 1:
            term = unescape_string_literal(term)
        if not (term and fields):
            return queryset, False
        arms = (self._search_arm(field, term) for field in fields)
        return queryset.filter(functools.reduce(operator.or_, arms)), False

    def _search_arm(self, field: str, term: str) -> models.Q:
        if field.startswith("^"):
            lookup = f"{field[1:]}__istartswith"
        elif field.startswith("="):
            lookup = f"{field[1:]}__iexact"
        elif "__" in field and field.rsplit("__", 1)[1] in ("exact", "iexact", "startswith", "istartswith"):
            lookup = field
        else:
            lookup = f"{field}__icontains"
        name, _sep, rest = lookup.partition("__")
        relation = self.model._meta.get_field(name)
        if not (relation.many_to_one or relation.one_to_one) or not rest.count("__"):
            return models.Q(**{lookup: term})
        matching = relation.related_model._default_manager.filter(**{rest: term})
        return models.Q(**{f"{name}__in": list(matching.values_list("pk", flat=True)[:SEARCH_RELATED_LIMIT])})

    # Columns and read-only fields.

    @admin.display(description=_("SLA status"))
    def sla_status(self, case: models.Model) -> str:
        return SlaStatus(case.sla_clock.status()).label

    @admin.display(description=_("resolution due"), ordering="sla_clock__resolution_due_at")
    def resolution_due_at(self, case: models.Model) -> str:
        # Read-only fields print a callable's value as it is: show the local time ourselves.
        clock = case.sla_clock
        due = f"{timezone.localtime(clock.resolution_due_at):%Y-%m-%d %H:%M}"
        if clock.is_paused:
            return gettext("%(due)s (paused: waiting on the customer)") % {"due": due}
        if clock.is_extended:
            return gettext("%(due)s (extended by a holding response)") % {"due": due}
        return due

    @admin.display(description=_("Timeline"))
    def timeline(self, case: models.Model) -> str:
        """Transitions, notes, evidence, notices and linked cases in one list, oldest first."""
        entries = case_timeline.timeline(case, self.timeline_sources)
        return render_to_string("admin/casework/case/timeline.html", {"entries": entries})

    def field_changes(self, request, case: models.Model) -> list[case_timeline.HistoryEntry]:
        entries = case_timeline.field_changes(case)
        for entry in entries:
            entry.changes = [self.shown_field_change(request, change) for change in entry.changes]
        return entries

    # Forms.

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if self.editable_fields and self.has_change_permission(request, obj):
            # Under the details, before the timeline: why they are corrected, if they are.
            reason = (_("Reason for the change"), {"fields": (CHANGE_REASON,)})
            fieldsets = list(self.change_fieldsets)
            at = next(
                (i for i, (_title, options) in enumerate(fieldsets) if "timeline" in options["fields"]),
                len(fieldsets),
            )
            return (*fieldsets[:at], reason, *fieldsets[at:])
        return self.change_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        fields = [
            name
            for _, options in self.get_fieldsets(request, obj)
            for line in options["fields"]
            for name in (line if isinstance(line, tuple) else (line,))
        ]
        return tuple(name for name in fields if name not in (*self.editable_fields, CHANGE_REASON))

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = (self.change_form if obj is not None else self.add_form) or self.form
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.actor = request.user  # a fresh class per request: open the case as this user
        return form

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()  # notes, evidence: only on an opened case

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Saving.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CaseworkError as error:
            # Raised inside the admin's transaction, which rolled back: nothing was saved.
            forbid(error)
            self.message_user(request, error.message, messages.ERROR)
            return http.HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if not change:
            return  # the add form opened it through the service
        # What the editor saw: a transition run from this form is claimed against it too.
        obj.version = form.cleaned_data["version"]
        # Nothing changed: no save, no empty history row. Otherwise claimed (a stale form is
        # refused, never overwriting), saved and recorded with its reason in the trail.
        edit_details(
            case=obj,
            actor=request.user,
            changed=form.changed_details(),
            reason=form.cleaned_data.get(CHANGE_REASON, ""),
        )

    # Transitions: every button runs a service.

    def _admin_url(self, name: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def _run_transition(
        self, request, case: models.Model, name: str, arguments: dict[str, Any] | None = None
    ) -> CaseworkError | None:
        """Run ``name`` through its service as the user; return the refusal, if any."""
        service = self.transition_services.get(name)
        if service is None:
            return CaseworkError(self._not_a_transition(name))
        arguments = dict(arguments or {})
        try:
            require_version(case, arguments.pop("version", None))
            service(**{self.case_argument: case}, actor=request.user, **arguments)
        except CaseworkError as error:
            return error
        return None

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        refusal = self._run_transition(request, obj, transition_name, kwargs)
        if refusal is not None:
            forbid(refusal)  # inside the change form's transaction: the details roll back too
            self.message_user(request, refusal.message, messages.ERROR)
            return False
        self._report_transition(request, obj, transition_name)
        return True

    def _report_transition(self, request, case: models.Model, name: str) -> None:
        label = self._transition_label(name)
        self.message_user(
            request,
            gettext("%(case)s: %(action)s done; it is now %(state)s.")
            % {"case": case, "action": label.lower(), "state": case.get_state_display()},
        )

    def _not_a_transition(self, name: str) -> str:
        return gettext("'%(name)s' is not a %(case_type)s transition.") % {
            "name": name,
            "case_type": self.opts.verbose_name,
        }

    def _transition_label(self, name: str) -> str:
        transition = getattr(self.model, name)._django_fsm.transitions
        first = next(iter(transition.values())) if isinstance(transition, dict) else transition[0]
        return first.custom.get("label", name.replace("_", " "))

    def response_change(self, request, obj):
        name = request.POST.get(self.fsm_post_param)
        if name and name not in self.transition_services:
            self.message_user(request, self._not_a_transition(name), messages.ERROR)
            return http.HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_transition_form_class(self, name: str) -> type[VersionedForm]:
        return self.fsm_forms.get(name) or ConfirmTransitionForm

    def _get_fsm_extra_context(self, *, request, obj) -> Iterator[FSMObjectTransition]:
        """Buttons for the transitions from this state the user may run.

        A transition whose condition is unmet is still offered: pressing it shows why
        it is refused (e.g. the identity is not verified yet), which a hidden button
        would not.
        """
        if obj is None:
            return
        buttons = []
        for name in self.transition_services:
            transition = getattr(self.model, name)._django_fsm.get_transition(obj.state)
            if transition is None or not transition.has_perm(obj, request.user):
                continue
            unmet = [
                condition_refusal(check, obj) if hasattr(check, "refusal") else ""
                for check in transition.conditions
                if not check(obj)
            ]
            buttons.append(
                TransitionButton(
                    name=name,
                    label=self.get_fsm_label(transition),
                    help_text=unmet[0] if unmet else (self.get_help_text(transition) or ""),
                    url=self._admin_url("transition", obj.pk, name),
                    has_form=name in self.fsm_forms,
                )
            )
        if buttons:
            yield FSMObjectTransition(
                fsm_field="state", block_label=self.transition_block_label, available_transitions=buttons
            )

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
        except PermissionRefused as refusal:
            forbid(refusal)
        change_url = self._admin_url("change", case.pk)
        form_class = self.get_transition_form_class(transition_name)
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, case=case)
            if form.is_valid():
                refusal = self._run_transition(request, case, transition_name, form.cleaned_data)
                if refusal is None:
                    self._report_transition(request, case, transition_name)
                    return redirect(change_url)
                forbid(refusal)
                self.message_user(request, refusal.message, messages.ERROR)
                if refusal.field not in form.fields:
                    return redirect(change_url)
                form.add_error(refusal.field, refusal.message)
        else:
            check = self.transition_checks.get(transition_name)
            try:
                if check is not None:
                    check(case, request.user)
                else:
                    check_transition(case, transition_name, request.user)
            except CaseworkError as refusal:
                forbid(refusal)
                self.message_user(request, refusal.message, messages.ERROR)
                return redirect(change_url)
            form = form_class(case=case)
        label, help_text = self.transition_wording(case, transition_name)
        return self._render_action_form(request, case, label=label, form=form, help_text=help_text)

    def transition_wording(self, case: models.Model, name: str) -> tuple[str, str]:
        return self._transition_label(name), ""

    # Audited steps that keep the state.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/step/<slug:slug>/",
                self.admin_site.admin_view(self.step_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request, object_id, slug):
        case = self._case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        step = next((step for step in self.steps if step.slug == slug), None)
        if step is None:
            raise http.Http404(f"No step {slug!r}.")
        if not request.user.has_perm(step.permission):
            # As a transition's page does: no form for who may not run it, a 403 for its POST.
            raise PermissionDenied(permission_refusal(step.label.lower(), case))
        change_url = self._admin_url("change", case.pk)
        form_kwargs = {"case": case} if issubclass(step.form, VersionedForm) else {}
        if request.method == "POST":
            form = step.form(request.POST, request.FILES, **form_kwargs)
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    require_version(case, data.pop("version", None))
                    result = step.run(case, request.user, data)
                except CaseworkError as refusal:
                    forbid(refusal)
                    self.message_user(request, refusal.message, messages.ERROR)
                    if refusal.field not in form.fields or isinstance(refusal, ConcurrentChange):
                        return redirect(change_url)
                    form.add_error(refusal.field, refusal.message)
                else:
                    done = step.done(case, result) if step.done else None
                    done = done or StepDone(
                        change_url,
                        gettext("%(case)s: %(action)s done.") % {"case": case, "action": step.label.lower()},
                    )
                    self.message_user(request, done.message, done.level)
                    return redirect(done.url)
        else:
            form = step.form(**form_kwargs)
        return self._render_action_form(request, case, label=step.label, form=form, help_text=step.help_text)

    def _case_or_none(self, request, object_id) -> models.Model | None:
        case = self.get_object(request, unquote(object_id))
        if case is not None and not self.has_view_or_change_permission(request, case):
            raise PermissionDenied
        return case

    def _render_action_form(self, request, case: models.Model, *, label: str, form, help_text: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": case,
            "title": f"{label}: {case}",
            "transition": {"label": label, "help_text": help_text},
            "transition_form": form,
            "media": self.media + form.media,
        }
        return render(request, self.fsm_transition_form_template, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            extra_context["case_steps"] = [
                {
                    "label": step.label,
                    "help_text": step.help_text,
                    "url": self._admin_url("step", case.pk, step.slug),
                }
                for step in self.steps
                if request.user.has_perm(step.permission) and step.is_offered(case)
            ]
            # Read when the page is drawn (a template calls it), not for a save that redirects.
            extra_context["field_changes"] = lambda: self.field_changes(request, case)
        return super().change_view(request, object_id, form_url, extra_context)


# What every case type shares.


@admin.register(Team)
class TeamAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "code", "mailbox", "group")
    list_select_related = ("group",)
    search_fields = ("name", "code", "mailbox")


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 1
    fields = ("date", "is_working_day", "note")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "country_code", "time_zone", "workday_starts_at", "workday_ends_at", "is_default")
    inlines = (CalendarOverrideInline,)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AppendOnlyHistoryAdmin):
    list_display = (
        "name",
        "case_type",
        "category",
        "priority",
        "first_response",
        "resolution",
        "extended_resolution_target",
        "calendar",
        "is_active",
    )
    list_filter = ("case_type", "is_active", "calendar")
    list_select_related = ("calendar",)
    search_fields = ("name", "category")

    @admin.display(description=_("first response"))
    def first_response(self, policy: SlaPolicy) -> str:
        return f"{policy.first_response_target} {policy.get_first_response_unit_display()}"

    @admin.display(description=_("resolution"))
    def resolution(self, policy: SlaPolicy) -> str:
        return f"{policy.resolution_target} {policy.get_resolution_unit_display()}"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # clocks point at their policy; retire one with "is active" instead


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, AppendOnlyHistoryAdmin):
    list_display = (
        "id",
        "policy",
        "started_at",
        "first_response_due_at",
        "resolution_due_at",
        "sla_status",
        "is_extended",
        "paused_at",
        "stopped_at",
    )
    list_filter = ("policy", "is_extended")
    list_select_related = ("policy",)

    @admin.display(description=_("SLA status"))
    def sla_status(self, clock: SlaClock) -> str:
        return clock.status().label


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
        "reason",
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
        return _state_label(record, record.source_state)

    @admin.display(description=_("target state"), ordering="target_state")
    def shown_target_state(self, record: TransitionRecord) -> str:
        return _state_label(record, record.target_state)

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


EXPORT_PERMISSION = "casework.export_transitionrecord"


def _state_label(record: TransitionRecord, state: str) -> str:
    """A case type's state as its choices name it; the stored value if it names none."""
    model = ContentType.objects.get_for_id(record.content_type_id).model_class()
    if not state or model is None:
        return state
    return str(dict(model._meta.get_field("state").flatchoices).get(state, state))


class TrailExportForm(forms.Form):
    """A period (whole local days, both included) and the optional filters."""

    start = forms.DateField(
        label=_("From"),
        help_text=_("First day, included (local time)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        help_text=_("Last day, included."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    case_type = forms.ModelChoiceField(
        queryset=ContentType.objects.none(),
        required=False,
        label=_("Case type"),
        empty_label=_("every case type"),
    )
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        label=_("User"),
        empty_label=_("anyone"),
        help_text=_("Only what this user did (a partner acts as its API user)."),
    )
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(),
        required=False,
        label=_("Partner"),
        empty_label=_("any partner"),
        help_text=_("Only the cases this partner filed."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        types = ContentType.objects.get_for_models(*case_models())
        self.fields["case_type"].queryset = ContentType.objects.filter(
            pk__in=[content_type.pk for content_type in types.values()]
        ).order_by("app_label", "model")
        self.fields["case_type"].label_from_instance = lambda content_type: capfirst(
            content_type.model_class()._meta.verbose_name
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", gettext("The last day comes before the first."))
        return cleaned

    def records(self) -> QuerySet[TransitionRecord]:
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        return trail(
            start=dt.datetime.combine(data["start"], dt.time.min, tzinfo=zone),
            end=dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
            case_types=[data["case_type"]] if data["case_type"] else (),
            actor=data["user"],
            partner=data["partner"],
        )

    def file_name(self) -> str:
        data = self.cleaned_data
        parts = [f"{data['start']:%Y%m%d}", f"{data['end']:%Y%m%d}"]
        if data["case_type"]:
            parts.append(data["case_type"].model)
        if data["user"]:
            parts.append(slugify(data["user"].get_username()))
        if data["partner"]:
            parts.append(data["partner"].code)
        return f"transitions-{'-'.join(parts)}.csv"


# A cell a spreadsheet would run as a formula: a partner's reason can start with "=".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(row: list[str]) -> list[str]:
    return [f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell for cell in row]


def stream_trail(records: QuerySet[TransitionRecord], file_name: str) -> http.StreamingHttpResponse:
    """The records as CSV, written row by row while they are read, never held whole."""
    writer = csv.writer(_Echo())
    response = http.StreamingHttpResponse(
        (writer.writerow(_spreadsheet_safe(row)) for row in trail_rows(records)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


class _Echo:
    """A file-like object csv.writer can write to: each row goes straight out."""

    def write(self, value: str) -> str:
        return value


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Every try at sending the notice, newest first: read only, like the notice itself."""

    model = DeliveryAttempt
    fields = ("attempted_at", "outcome", "response_status", "duration_ms", "error", "triggered_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name_plural = _("delivery attempts")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("triggered_by")

    # The attempts belong to the notice: who may read the notice reads how it went.
    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("casework.view_notification")

    @admin.display(description=_("outcome"))
    def outcome(self, attempt: DeliveryAttempt) -> str:
        return gettext("delivered") if attempt.succeeded else gettext("failed")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "channel",
        "recipient",
        "case_reference",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "kind")
    search_fields = ("case_reference", "recipient", "idempotency_key")
    date_hierarchy = "created_at"
    inlines = (DeliveryAttemptInline,)
    actions = ("retry_now", "resend")
    readonly_fields = ("shown_body",)

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != "shown_body"]
        return ["shown_body" if name == "body" else name for name in fields]

    @admin.display(description=_("body"))
    def shown_body(self, notification: Notification) -> str:
        """The body as stored, but for its case's personal data: a notice written before
        notices masked printed the numbers, and stays as it was sent (a webhook's is signed)."""
        case = notification.case
        case_admin = self.admin_site._registry.get(type(case)) if case is not None else None
        specs = getattr(case_admin, "masked_fields", {})
        return masked_in_text(notification.body, case, specs) if specs else notification.body

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("casework.change_notification")

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("casework.change_notification")

    @admin.action(description=_("Deliver now (pending notices only)"), permissions=["retry"])
    def retry_now(self, request, queryset: QuerySet[Notification]) -> None:
        # Delivery claims the row, so a notice a worker is sending right now is not sent twice.
        pending = list(queryset.filter(status=Notification.Status.PENDING).values_list("pk", flat=True))
        delivered = outbox.deliver_now(pending, actor=request.user)
        skipped = queryset.count() - len(pending)
        message = gettext("Delivered %(delivered)s of %(pending)s pending notice(s).") % {
            "delivered": delivered,
            "pending": len(pending),
        }
        if delivered < len(pending):
            message += gettext(" The others failed again: see their last error.")
        if skipped:
            message += gettext(" Skipped %(skipped)s already sent or given up.") % {"skipped": skipped}
        self.message_user(request, message, messages.SUCCESS if delivered else messages.WARNING)

    @admin.action(
        description=_("Re-send webhook (sent or given up; same webhook-id)"), permissions=["resend"]
    )
    def resend(self, request, queryset: QuerySet[Notification]) -> None:
        # The same webhook-id, signed anew: a receiver that already has it can tell it is a repeat.
        resendable = queryset.filter(channel=Notification.Channel.WEBHOOK, status__in=outbox.RESENDABLE)
        skipped = queryset.count() - resendable.count()
        for notification in resendable.order_by("pk"):
            try:
                attempt = outbox.resend(notification.pk, actor=request.user)
            except CaseworkError as refusal:  # it changed since the list was read
                self.message_user(request, refusal.message, messages.ERROR)
                continue
            answer = f" (HTTP {attempt.response_status})" if attempt.response_status else ""
            if attempt.succeeded:
                self.message_user(
                    request,
                    gettext("Re-sent %(key)s to %(recipient)s%(answer)s: delivered.")
                    % {
                        "key": notification.idempotency_key,
                        "recipient": notification.recipient,
                        "answer": answer,
                    },
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    gettext("Re-sent %(key)s to %(recipient)s: failed, %(error)s. It stays %(status)s.")
                    % {
                        "key": notification.idempotency_key,
                        "recipient": notification.recipient,
                        "error": attempt.error,
                        "status": notification.get_status_display(),
                    },
                    messages.ERROR,
                )
        if skipped:
            self.message_user(
                request,
                gettext(
                    "Skipped %(skipped)s notice(s): only webhook notices already sent or given up are "
                    "re-sent (a pending one goes out with Deliver now)."
                )
                % {"skipped": skipped},
                messages.WARNING,
            )


# Partners and their credentials (kept apart: issuing keys is its own concern).
# Masked personal data: the reveal view and the log of reveals.
# Uploaded files: the authorised download and the log of downloads.
# Login lockouts (django-axes): read by supervisors and auditors.
from . import admin_downloads, admin_lockouts, admin_masking, admin_partners  # noqa: E402, F401
