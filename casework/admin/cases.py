"""The base of each case type's admin: :class:`CaseAdmin` runs every transition button, step
form and details edit through the services, and the list filters and links case lists share."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms, http
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, router, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.text import capfirst, unescape_string_literal
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition

# Step and StepDone are the case apps' to import from here, beside CaseAdmin.
from casework.admin.actions import ActionFormsMixin
from casework.admin.actions import Step as Step
from casework.admin.actions import StepDone as StepDone
from casework.admin.base import AppendOnlyHistoryAdmin, forbid
from casework.admin.columns import CaseColumnsMixin
from casework.admin.forms import ConfirmTransitionForm, VersionedChangeForm, VersionedForm
from casework.admin.header import CaseHeaderMixin
from casework.admin.paginators import CaseListPaginator
from casework.cases import timeline
from casework.cases.opening import CHANGE_REASON, edit_details
from casework.cases.transitions import (
    condition_refusal,
    require_version,
)
from casework.core.errors import CaseworkError
from casework.models import (
    SlaStatus,
)
from casework.sla.selectors import with_sla_status

# Each case type's admin.


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


class CaseAdmin(ActionFormsMixin, CaseHeaderMixin, CaseColumnsMixin, FSMAdminMixin, AppendOnlyHistoryAdmin):
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
    fsm_fields = ["state"]
    transition_services: dict[str, Callable[..., Any]] = {}
    case_argument = "case"
    transition_block_label = _("Move the case")
    # What the change form's timeline merges (see casework.cases.timeline); a case type
    # adds its notes, evidence and linked cases.
    timeline_sources: tuple[timeline.TimelineSource, ...] = (
        timeline.transitions,
        timeline.notices,
    )
    add_form: type[forms.ModelForm] | None = None
    change_form: type[forms.ModelForm] = VersionedChangeForm
    add_fieldsets: tuple = ()
    change_fieldsets: tuple = ()
    editable_fields: tuple[str, ...] = ()
    # Long read-only sections, folded under the details (a <details> the reader opens).
    folded_fieldsets: tuple[str, ...] = (_("Outcome"), _("Timeline"))

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
        entries = timeline.timeline(case, self.timeline_sources)
        return render_to_string("admin/casework/case/timeline.html", {"entries": entries})

    def field_changes(self, request, case: models.Model) -> list[timeline.HistoryEntry]:
        entries = timeline.field_changes(case)
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
            return self._folded((*fieldsets[:at], reason, *fieldsets[at:]))
        return self._folded(self.change_fieldsets)

    def _folded(self, fieldsets):
        folded = {str(title) for title in self.folded_fieldsets}
        return tuple(
            (title, {**options, "classes": (*options.get("classes", ()), "collapse")})
            if title is not None and str(title) in folded
            else (title, options)
            for title, options in fieldsets
        )

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, unquote(object_id))
        if case is not None:
            extra_context["case_steps"] = [
                {
                    "label": step.label,
                    "help_text": step.help_for(case),
                    "url": self._admin_url("step", case.pk, step.slug),
                }
                for step in self.steps
                if step.is_allowed(case, request.user) and step.is_offered(case)
            ]
            extra_context["case_header"] = lambda: self.case_header(request, case)
            # Read before the page marks them seen: the holder sees them this once.
            extra_context["case_handbacks"] = self.handed_back(request, case)
            # Read when the page is drawn (a template calls it), not for a save that redirects.
            extra_context["field_changes"] = lambda: self.field_changes(request, case)
        return super().change_view(request, object_id, form_url, extra_context)
