"""The staff door to complaints.

Thin by design: every transition button, every audited step and the add form call a
service in ``complaints.services``, which checks the permission, the state and the row's
version. The admin only parses input and shows the service's refusal as a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django import http
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django_fsm.admin import FSMAdminMixin, FSMObjectTransition

from casework.admin import AppendOnlyHistoryAdmin
from casework.errors import CaseworkError, ConcurrentChange
from casework.models import SlaStatus
from casework.transitions import check_transition, claim

from . import forms, selectors, services
from .models import Complaint, ComplaintAttachment, ComplaintNote, State

# Transition name -> the service that runs it. The admin never calls a model's
# transition method itself: the service checks permission and version, and records.
TRANSITION_SERVICES: dict[str, Callable[..., Complaint]] = {
    "accept": services.accept_complaint,
    "reject": services.reject_complaint,
    "start": services.start_complaint,
    "escalate": services.escalate_complaint,
    "return_findings": services.return_findings,
    "wait_for_customer": services.wait_for_customer,
    "customer_replied": services.customer_replied,
    "resolve": services.resolve_complaint,
    "reopen": services.reopen_complaint,
    "close": services.close_complaint,
    "withdraw": services.withdraw_complaint,
}

STATE_LABELS = dict(State.choices)


@dataclass(frozen=True)
class Step:
    """An audited change that keeps the state, offered as a button on the change form."""

    slug: str
    label: str
    permission: str
    form: type
    run: Callable[[Complaint, Any, dict[str, Any]], Any]
    is_offered: Callable[[Complaint], bool]
    help_text: str = ""


STEPS = (
    Step(
        slug="verify-identity",
        label="Record identity verification",
        permission="complaints.verify_identity_complaint",
        form=forms.VerifyIdentityForm,
        run=lambda complaint, actor, data: services.verify_identity(
            complaint=complaint, actor=actor, method=data["method"], reason=data["note"]
        ),
        is_offered=lambda complaint: complaint.state == State.RECEIVED,
        help_text="How the caller proved who they are; the complaint can be accepted after this.",
    ),
    Step(
        slug="holding-response",
        label="Send holding response",
        permission="complaints.send_holding_response_complaint",
        form=forms.HoldingResponseForm,
        run=lambda complaint, actor, data: services.send_holding_response(
            complaint=complaint, actor=actor, holding_response=data["holding_response"]
        ),
        is_offered=lambda complaint: complaint.is_open and not complaint.holding_response_at,
        help_text="Tell the customer why the answer needs longer.",
    ),
    Step(
        slug="reassign",
        label="Reassign",
        permission="complaints.assign_complaint",
        form=forms.ReassignForm,
        run=lambda complaint, actor, data: services.assign_complaint(
            complaint=complaint,
            actor=actor,
            assigned_to=data["assigned_to"],
            team=data["team"],
            reason=data["reason"],
        ),
        is_offered=lambda complaint: complaint.is_open,
    ),
    Step(
        slug="add-note",
        label="Add note",
        permission="complaints.add_complaintnote",
        form=forms.NoteForm,
        run=lambda complaint, actor, data: services.add_note(
            complaint=complaint, actor=actor, body=data["body"]
        ),
        is_offered=lambda complaint: True,
        help_text="An internal note, for those who read the complaint without editing it.",
    ),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}


@dataclass(frozen=True)
class TransitionButton:
    """What the change form needs to draw one transition."""

    name: str
    label: str
    help_text: str
    url: str
    has_form: bool


class SlaStatusFilter(admin.SimpleListFilter):
    title = "SLA status"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return SlaStatus.choices

    def queryset(self, request, queryset):
        if self.value() in SlaStatus.values:
            return selectors.with_sla_status(queryset, self.value(), timezone.now())
        return queryset


class ComplaintNoteInline(admin.TabularInline):
    """New notes only; a written note is part of the record."""

    model = ComplaintNote
    extra = 1
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request, obj=None) -> bool:
        # Only through a change form the user can submit; readers use "Add note".
        return super().has_add_permission(request, obj) and request.user.has_perm(
            "complaints.change_complaint"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ComplaintAttachmentInline(admin.TabularInline):
    model = ComplaintAttachment
    extra = 1
    fields = ("file", "description", "uploaded_by", "created_at")
    readonly_fields = ("uploaded_by", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and request.user.has_perm(
            "complaints.change_complaint"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(FSMAdminMixin, AppendOnlyHistoryAdmin):
    change_form_template = "admin/complaints/complaint/change_form.html"
    fsm_fields = ["state"]
    fsm_forms = {
        "reject": forms.ReasonForm,
        "escalate": forms.EscalateForm,
        "return_findings": forms.ReturnFindingsForm,
        "wait_for_customer": forms.WaitForCustomerForm,
        "resolve": forms.ResolveForm,
        "reopen": forms.ReasonForm,
        "withdraw": forms.ReasonForm,
    }

    list_display = (
        "reference",
        "state",
        "turn",
        "category",
        "channel",
        "priority",
        "team",
        "assigned_to",
        "sla_status",
        "resolution_due_at",
    )
    list_filter = (
        "state",
        SlaStatusFilter,
        "category",
        "channel",
        "priority",
        "team",
        ("assigned_to", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "reference",
        "customer_phone",
        "account_number",
        "customer_name",
        "transaction_reference",
    )
    # The joins come from selectors.complaint_list (get_queryset); an empty tuple keeps
    # the changelist from replacing them with a bare select_related().
    list_select_related = ()
    list_per_page = 50
    inlines = (ComplaintNoteInline, ComplaintAttachmentInline)

    add_fieldsets = (
        (None, {"fields": ("channel", "category", "priority")}),
        ("Customer", {"fields": ("customer_name", "customer_phone", "account_number")}),
        (
            "What happened",
            {
                "fields": (
                    "description",
                    "transaction_at",
                    ("amount", "currency"),
                    "transaction_reference",
                    "merchant",
                    "device",
                ),
                "description": "A transaction complaint needs its time, amount and reference; an account "
                "complaint its account number; a refund complaint its reference, amount and merchant.",
            },
        ),
    )
    change_fieldsets = (
        (None, {"fields": ("reference", "state", "turn", "sla_status", "resolution_due_at")}),
        (
            "Customer",
            {
                "fields": (
                    "customer_name",
                    "customer_phone",
                    "account_number",
                    "identity_verified_at",
                    "identity_verified_by",
                    "identity_verification_method",
                )
            },
        ),
        (
            "What happened",
            {
                "fields": (
                    "channel",
                    "category",
                    "priority",
                    "description",
                    "transaction_at",
                    ("amount", "currency"),
                    "transaction_reference",
                    "merchant",
                    "device",
                )
            },
        ),
        (
            "Who holds it",
            {
                "fields": (
                    "team",
                    "assigned_to",
                    "registered_by",
                    "partner",
                    "external_reference",
                    "escalated_to",
                    "escalation_reason",
                    "findings",
                )
            },
        ),
        ("Time", {"fields": ("created_at", "holding_response_at", "holding_response")}),
        (
            "Outcome",
            {
                "fields": (
                    "resolution_code",
                    "resolution_summary",
                    "resolved_at",
                    "is_first_contact_resolution",
                    "was_escalated",
                    "closed_at",
                )
            },
        ),
        ("Timeline", {"fields": ("timeline",)}),
    )

    # Changelist.

    def get_queryset(self, request):
        return selectors.complaint_list(super().get_queryset(request))

    @admin.display(description="SLA status")
    def sla_status(self, complaint: Complaint) -> str:
        return SlaStatus(complaint.sla_clock.status()).label

    @admin.display(description="resolution due", ordering="sla_clock__resolution_due_at")
    def resolution_due_at(self, complaint: Complaint) -> str:
        # Read-only fields print a callable's value as it is: show the local time ourselves.
        clock = complaint.sla_clock
        due = f"{timezone.localtime(clock.resolution_due_at):%Y-%m-%d %H:%M}"
        if clock.is_paused:
            return f"{due} (paused: waiting on the customer)"
        return f"{due} (extended by a holding response)" if clock.is_extended else due

    @admin.display(description="Timeline")
    def timeline(self, complaint: Complaint) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
            (
                (
                    f"{timezone.localtime(record.created_at):%Y-%m-%d %H:%M:%S}",
                    record.actor_label,
                    record.transition.replace("_", " "),
                    STATE_LABELS.get(record.source_state, record.source_state or "—"),
                    STATE_LABELS.get(record.target_state, record.target_state),
                    record.reason,
                )
                for record in selectors.complaint_timeline(complaint)
            ),
        )
        return format_html(
            '<table class="complaint-timeline"><thead><tr><th>time</th><th>actor</th>'
            "<th>transition</th><th>from → to</th><th>reason</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    # Forms.

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.change_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        editable = set(forms.EDITABLE_DETAILS)
        fields = [
            name
            for _, options in self.change_fieldsets
            for line in options["fields"]
            for name in (line if isinstance(line, tuple) else (line,))
        ]
        return tuple(name for name in fields if name not in editable)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = forms.ComplaintChangeForm if obj is not None else forms.ComplaintRegistrationForm
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            form.actor = request.user  # a fresh class per request: register as this user
        return form

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # Saving.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except CaseworkError as error:
            # Raised inside the admin's transaction, which rolled back: nothing was saved.
            self.message_user(request, error.message, messages.ERROR)
            return http.HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if not change:
            return  # the registration form registered it through the service
        # What the editor saw: a transition run from this form is claimed against it too.
        obj.version = form.cleaned_data["version"]
        if not [name for name in form.changed_data if name != "version"]:
            return  # nothing to write: no save, no empty history row
        obj._history_user = request.user
        with transaction.atomic():
            claim(obj)  # raises ConcurrentChange if the row moved since the form opened
            obj.save()

    def save_formset(self, request, form, formset, change):
        complaint = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            if formset.model is ComplaintNote:
                added = services.add_note(complaint=complaint, actor=request.user, body=data["body"])
            else:
                added = services.add_attachment(
                    complaint=complaint,
                    actor=request.user,
                    file=data["file"],
                    description=data.get("description", ""),
                )
            formset.new_objects.append(added)

    # Transitions: every button runs a service.

    def _run_transition(
        self, request, complaint: Complaint, name: str, arguments: dict[str, Any] | None = None
    ) -> CaseworkError | None:
        """Run ``name`` through its service as the user; return the refusal, if any."""
        service = TRANSITION_SERVICES.get(name)
        if service is None:
            return CaseworkError(f"'{name}' is not a complaint transition.")
        arguments = dict(arguments or {})
        version = arguments.pop("version", None)
        if version is not None:
            complaint.version = version
        try:
            service(complaint=complaint, actor=request.user, **arguments)
        except CaseworkError as error:
            return error
        return None

    def _apply_fsm_transition(self, *, obj, transition_name, request, kwargs=None) -> bool:
        refusal = self._run_transition(request, obj, transition_name, kwargs)
        if refusal is not None:
            self.message_user(request, refusal.message, messages.ERROR)
            return False
        self._report_transition(request, obj, transition_name)
        return True

    def _report_transition(self, request, complaint: Complaint, name: str) -> None:
        label = self._transition_label(name)
        self.message_user(
            request, f"{complaint}: {label.lower()} done; it is now {complaint.get_state_display()}."
        )

    @staticmethod
    def _transition_label(name: str) -> str:
        transition = getattr(Complaint, name)._django_fsm.transitions
        first = next(iter(transition.values())) if isinstance(transition, dict) else transition[0]
        return first.custom.get("label", name.replace("_", " "))

    def response_change(self, request, obj):
        name = request.POST.get(self.fsm_post_param)
        if name and name not in TRANSITION_SERVICES:
            self.message_user(request, f"'{name}' is not a complaint transition.", messages.ERROR)
            return http.HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def get_transition_form_class(self, name: str) -> type:
        return self.fsm_forms.get(name) or forms.ConfirmTransitionForm

    def _get_fsm_extra_context(self, *, request, obj) -> Iterator[FSMObjectTransition]:
        """Buttons for the transitions from this state the user may run.

        A transition whose condition is unmet is still offered: pressing it shows why
        it is refused (e.g. the identity is not verified yet), which a hidden button
        would not.
        """
        if obj is None:
            return
        buttons = []
        for name in TRANSITION_SERVICES:
            meta = getattr(Complaint, name)._django_fsm
            transition = meta.get_transition(obj.state)
            if transition is None or not transition.has_perm(obj, request.user):
                continue
            unmet = [getattr(check, "refusal", "") for check in transition.conditions if not check(obj)]
            buttons.append(
                TransitionButton(
                    name=name,
                    label=self.get_fsm_label(transition),
                    help_text=unmet[0] if unmet else (self.get_help_text(transition) or ""),
                    url=reverse("admin:complaints_complaint_transition", args=[obj.pk, name]),
                    has_form=name in self.fsm_forms,
                )
            )
        if buttons:
            yield FSMObjectTransition(
                fsm_field="state", block_label="Move the complaint", available_transitions=buttons
            )

    def fsm_transition_view(self, request, object_id, transition_name, **kwargs):
        """One transition's form (or confirmation), run through its service."""
        complaint = self._complaint_or_none(request, object_id)
        if complaint is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if transition_name not in TRANSITION_SERVICES:
            raise http.Http404(f"No transition {transition_name!r}.")
        change_url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
        form_class = self.get_transition_form_class(transition_name)
        if request.method == "POST":
            form = form_class(request.POST, complaint=complaint)
            if form.is_valid():
                refusal = self._run_transition(request, complaint, transition_name, form.cleaned_data)
                if refusal is None:
                    self._report_transition(request, complaint, transition_name)
                    return redirect(change_url)
                self.message_user(request, refusal.message, messages.ERROR)
                if refusal.field not in form.fields:
                    return redirect(change_url)
                form.add_error(refusal.field, refusal.message)
        else:
            try:
                check_transition(complaint, transition_name, request.user)
            except CaseworkError as refusal:
                self.message_user(request, refusal.message, messages.ERROR)
                return redirect(change_url)
            form = form_class(complaint=complaint)
        return self._render_action_form(
            request, complaint, label=self._transition_label(transition_name), form=form
        )

    # Audited steps that keep the state.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/step/<slug:slug>/",
                self.admin_site.admin_view(self.step_view),
                name="complaints_complaint_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request, object_id, slug):
        complaint = self._complaint_or_none(request, object_id)
        if complaint is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        step = STEPS_BY_SLUG.get(slug)
        if step is None:
            raise http.Http404(f"No step {slug!r}.")
        change_url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
        form_kwargs = {"complaint": complaint} if issubclass(step.form, forms.VersionedForm) else {}
        if request.method == "POST":
            form = step.form(request.POST, **form_kwargs)
            if form.is_valid():
                data = dict(form.cleaned_data)
                version = data.pop("version", None)
                if version is not None:
                    complaint.version = version
                try:
                    step.run(complaint, request.user, data)
                except CaseworkError as refusal:
                    self.message_user(request, refusal.message, messages.ERROR)
                    if refusal.field not in form.fields or isinstance(refusal, ConcurrentChange):
                        return redirect(change_url)
                    form.add_error(refusal.field, refusal.message)
                else:
                    self.message_user(request, f"{complaint}: {step.label.lower()} done.")
                    return redirect(change_url)
        else:
            form = step.form(**form_kwargs)
        return self._render_action_form(
            request, complaint, label=step.label, form=form, help_text=step.help_text
        )

    def _complaint_or_none(self, request, object_id) -> Complaint | None:
        complaint = self.get_object(request, unquote(object_id))
        if complaint is not None and not self.has_view_or_change_permission(request, complaint):
            raise PermissionDenied
        return complaint

    def _render_action_form(self, request, complaint: Complaint, *, label: str, form, help_text: str = ""):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": complaint,
            "title": f"{label}: {complaint}",
            "transition": {"label": label, "help_text": help_text},
            "transition_form": form,
            "media": self.media + form.media,
        }
        return render(request, self.fsm_transition_form_template, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        complaint = self.get_object(request, unquote(object_id))
        if complaint is not None:
            extra_context["complaint_steps"] = [
                {
                    "label": step.label,
                    "help_text": step.help_text,
                    "url": reverse("admin:complaints_complaint_step", args=[complaint.pk, step.slug]),
                }
                for step in STEPS
                if request.user.has_perm(step.permission) and step.is_offered(complaint)
            ]
        return super().change_view(request, object_id, form_url, extra_context)
