"""Erasure requests in the admin (``casework.erasure.services``): the list, due first and the
overdue marked; *Add* records one (the customer found by number, account or phone, the
identity checked, where the answer goes); the request's page shows what was asked, what
its execution erased and kept, and, to whoever may decide and did not record it, the
decision: approve, refuse with the reason the customer is told, or execute once the
customer's cases have ended. A page opened before someone else's decision is refused."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin, forbid
from casework.admin.customers import customer_url
from casework.admin.retention import CustomerLookupForm
from casework.core.errors import CaseworkError
from casework.core.limits import REASON_MAX_LENGTH
from casework.erasure import services as erasure
from casework.models import CustomerChannel, CustomerLanguage, ErasureRequest, ErasureState
from casework.models.erasure import DECIDE_PERMISSION, ReceivedVia, may_decide, running_cases
from casework.privacy.masking import EMAIL, PHONE, mask

RECORD_FIELDS = (
    "received_via",
    "request_text",
    "identity_verified",
    "reply_channel",
    "reply_address",
    "language",
)


class ErasureRequestForm(CustomerLookupForm):
    """Who asks (found as for a subject-access export), what they asked and where the answer goes."""

    received_via = forms.ChoiceField(choices=ReceivedVia.choices, label=_("received via"))
    request_text = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        label=_("request"),
        help_text=_("What the customer asked for, in their words."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    identity_verified = forms.BooleanField(
        required=False,
        label=_("identity verified"),
        help_text=_("You checked that the person asking is this customer (as for a complaint)."),
    )
    reply_channel = forms.ChoiceField(choices=CustomerChannel.choices, label=_("answer by"))
    reply_address = forms.CharField(
        max_length=254,
        label=_("answer to"),
        help_text=_("The phone (E.164) or e-mail address the answer goes to."),
    )
    language = forms.ChoiceField(choices=CustomerLanguage.choices, label=_("language"))


class DecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("approve", "approve"), ("refuse", "refuse"), ("execute", "execute")]
    )
    decision_note = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label=_("decision note"),
        help_text=_("A refusal's reason is what the customer is told."),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


@admin.register(ErasureRequest)
class ErasureRequestAdmin(AppendOnlyHistoryAdmin):
    list_display = (
        "reference",
        "customer_column",
        "state",
        "received_at",
        "due_column",
        "recorded_by",
        "decided_by",
    )
    list_filter = ("state", "received_via")
    list_select_related = ("recorded_by", "decided_by")
    search_fields = ("reference",)
    date_hierarchy = "received_at"
    add_form_template = "admin/casework/erasurerequest/add_form.html"
    change_form_template = "admin/casework/erasurerequest/change_form.html"
    # While it runs, what a decision needs, short enough to decide on a laptop's screen
    # without scrolling; once decided, who decided what and when.
    open_fields = (
        "customer_column",
        "state",
        "received_column",
        "request_text",
        "identity_verified",
        "reply_masked",
        "due_column",
        "recorded_by",
    )
    readonly_fields = (
        *open_fields,
        "decided_by",
        "decided_at",
        "decision_note",
        "executed_at",
        "pseudonymised_at",
    )

    def get_fields(self, request, obj=None):
        if obj is None or obj.is_open:
            return self.open_fields
        # Once its own period has run, when retention took its personal data.
        return (*self.readonly_fields, "pseudonymised_at") if obj.pseudonymised_at else self.readonly_fields

    @admin.display(description=_("customer"))
    def customer_column(self, obj: ErasureRequest):
        return format_html('<a href="{}">{}</a>', customer_url(obj.customer_id), obj.customer)

    @admin.display(description=_("answer due"), ordering="due_at")
    def due_column(self, obj: ErasureRequest):
        due = f"{timezone.localtime(obj.due_at):%Y-%m-%d %H:%M}"
        if obj.is_overdue:
            return format_html('<strong class="erasure-overdue">{} — {}</strong>', due, gettext("overdue"))
        return due

    @admin.display(description=_("received"), ordering="received_at")
    def received_column(self, obj: ErasureRequest) -> str:
        return f"{timezone.localtime(obj.received_at):%Y-%m-%d %H:%M} · {obj.get_received_via_display()}"

    @admin.display(description=_("answer to"))
    def reply_masked(self, obj: ErasureRequest) -> str:
        """By which channel, to which address (masked), in which language."""
        address = mask(EMAIL if obj.reply_channel == CustomerChannel.EMAIL else PHONE, obj.reply_address)
        return f"{obj.get_reply_channel_display()} {address} · {obj.get_language_display()}"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # changed only by its decisions, below

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of how the request was answered is kept

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="casework_erasurerequest_decide",
            ),
            *super().get_urls(),
        ]

    # --- recording ---------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"customer_id": request.GET.get("customer")} if request.GET.get("customer") else None
        form = ErasureRequestForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                created = erasure.record_request(
                    customer=data["customer"],
                    actor=request.user,
                    **{name: data[name] for name in RECORD_FIELDS},
                )
            except CaseworkError as refusal:
                forbid(refusal)
                field = refusal.field if refusal.field in form.fields else None
                form.add_error("customer_id" if refusal.field == "customer" else field, refusal.message)
            else:
                self.message_user(
                    request,
                    gettext("%(reference)s recorded; its answer is due %(due)s.")
                    % {
                        "reference": created.reference,
                        "due": f"{timezone.localtime(created.due_at):%Y-%m-%d}",
                    },
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:casework_erasurerequest_change", args=[created.pk]))
        return TemplateResponse(
            request,
            self.add_form_template,
            {
                **self.admin_site.each_context(request),
                "title": gettext("Record an erasure request"),
                "form": form,
                "opts": self.opts,
                "answer_days": settings.ERASURE_ANSWER_DAYS,
            },
            status=400 if form.errors else 200,
        )

    # --- the request's page and its decisions ----------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra_context = (
            {**(extra_context or {}), **self._decision_context(request, obj)} if obj else extra_context
        )
        return super().change_view(request, object_id, form_url, extra_context)

    def _decision_context(self, request, obj: ErasureRequest, form: DecisionForm | None = None) -> dict:
        user = request.user
        running = running_cases(obj.customer_id) if obj.is_open else []
        return {
            "request_obj": obj,
            "decision_form": form or DecisionForm(initial={"version": obj.version}),
            "may_decide": obj.state == ErasureState.RECEIVED and may_decide(obj, user),
            "recorded_it": obj.recorded_by_id == user.pk,
            "may_execute": obj.state == ErasureState.APPROVED and user.has_perm(DECIDE_PERMISSION),
            "may_refuse_approved": obj.state == ErasureState.APPROVED and may_decide(obj, user),
            "running": [getattr(case, "reference", case.pk) for _kind, case in running],
            "outcome": obj.outcome,
        }

    def decide_view(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if request.method != "POST" or not self.has_view_permission(request, obj):
            raise PermissionDenied
        form = DecisionForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            run = {"approve": erasure.approve, "refuse": erasure.refuse, "execute": erasure.execute}[
                data["decision"]
            ]
            arguments = {"note": data["decision_note"]} if data["decision"] != "execute" else {}
            try:
                run(obj, actor=request.user, version=data["version"], **arguments)
            except CaseworkError as refusal:
                forbid(refusal)
                obj.refresh_from_db()
                if refusal.field == "decision_note":
                    form.add_error("decision_note", refusal.message)
                else:
                    form.add_error(None, refusal.message)
                return self._page_again(request, obj, form)
            self.message_user(
                request,
                gettext("%(reference)s: %(state)s.")
                % {"reference": obj.reference, "state": obj.get_state_display()},
                messages.SUCCESS,
            )
        return redirect(reverse("admin:casework_erasurerequest_change", args=[obj.pk]))

    def _page_again(self, request, obj: ErasureRequest, form: DecisionForm):
        """The request's page as it is now, the decision's input kept and its error shown."""
        data = form.data.copy()
        data["version"] = obj.version
        kept = DecisionForm(data)
        kept.full_clean()
        for field, errors in form.errors.items():
            for error in errors:
                kept.add_error(field if field != "__all__" else None, error)
        # Shown as a GET shows it: the admin's change view would take the POST for a save.
        request.method = "GET"
        response = super().change_view(request, str(obj.pk), "", self._decision_context(request, obj, kept))
        response.status_code = 400
        return response
