"""The customer's page (Customer 360): one customer's cases of every type, open first, with
their states, deadlines and outcomes; the messages we sent them and they sent us; and the
identifiers that find them (``casework.customers``). Beside it the search by wallet account
or phone, and, on every case page, the link here (``customer_link``).

Routed in ``config.urls`` beside My work: ``/admin/customers/`` and ``/admin/customers/<id>/``,
for staff who may view at least one case type; only the types they may view are shown. The
page masks as the case pages do (``casework.privacy.masking``): account numbers, phones and
e-mail addresses masked, each revealable with a reason by those who may reveal, through the
reveal view and its log (an identifier is revealed on ``CustomerIdentifierAdmin`` below).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, http
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import ReadOnlyAdminMixin
from casework.core.phones import PHONE_MESSAGE, normalise_phone, parse_phone
from casework.customers import history
from casework.customers.identity import customer_for
from casework.models import Customer, CustomerIdentifier, CustomerMessage, IdentifierKind, kinds
from casework.notices.customers import notice_label
from casework.privacy.masking import (
    ACCOUNT,
    EMAIL,
    PHONE,
    MaskedFieldsAdmin,
    PersonalField,
    mask_contact_address,
    masked_html,
    may_reveal,
)
from casework.sla import deadlines

# How each identifier is masked, and named.
IDENTIFIER_MASKS = {IdentifierKind.ACCOUNT: ACCOUNT, IdentifierKind.PHONE: PHONE, IdentifierKind.EMAIL: EMAIL}


def _case_admin(kind: kinds.CaseKind):
    return admin.site._registry.get(kind.model)


def shown_kinds(request) -> tuple[kinds.CaseKind, ...]:
    """The kinds with a customer that ``request``'s user may view."""
    return tuple(
        kind
        for kind in history.customer_kinds()
        if (model_admin := _case_admin(kind)) is not None and model_admin.has_view_permission(request)
    )


def customer_url(customer_id: int) -> str:
    return reverse("admin-customer", args=[customer_id])


def customer_link(request, case: models.Model) -> dict | None:
    """The case page's link to its customer's page, with how many cases (of the types the
    user may view) the customer has; one query. None for a case with no known customer."""
    kind = kinds.kind_of(type(case))
    customer_id = getattr(case, f"{kind.customer_field}_id", None) if kind.customer_field else None
    if customer_id is None:
        return None
    return {"url": customer_url(customer_id), "count": history.count_of(customer_id, shown_kinds(request))}


def _change_url(meta, pk) -> str:
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class CaseRow:
    reference: str
    url: str
    kind: str
    state: str
    tone: str
    deadline: deadlines.Deadline | None
    due_at: Any
    outcome: str
    created_at: Any
    is_open: bool


def _case_row(kind: kinds.CaseKind, case: models.Model, now) -> CaseRow:
    clock = getattr(case, "sla_clock", None)
    shown = deadlines.next_deadline(clock, now) if clock is not None else None
    return CaseRow(
        reference=str(case),
        url=_change_url(case._meta, case.pk),
        kind=str(case._meta.verbose_name),
        state=case.get_state_display(),
        tone=_case_admin(kind).state_tone(case),
        deadline=shown,
        due_at=timezone.localtime(shown.due_at) if shown else None,
        outcome=kind.outcome(case) if kind.outcome else "",
        created_at=case.created_at,
        is_open=case.open_rank == 0,
    )


@dataclass(frozen=True)
class MessageRow:
    at: Any
    is_incoming: bool
    what: str
    address: str
    status: str
    text: str
    case_reference: str
    case_url: str


def _message_text(message: CustomerMessage, limit: int = 100) -> str:
    """What the message says first: an e-mail's subject, else its text (cut)."""
    if message.subject:
        return message.subject
    text = " ".join(message.body_text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message_row(message: CustomerMessage, types: dict[int, type[models.Model]]) -> MessageRow:
    model = types.get(message.content_type_id)
    incoming = message.direction == CustomerMessage.Direction.INCOMING
    if incoming:
        what = gettext("reply by %(channel)s") % {"channel": message.get_channel_display()}
    else:
        what = gettext("%(kind)s by %(channel)s") % {
            "kind": notice_label(message.kind),
            "channel": message.get_channel_display(),
        }
    return MessageRow(
        at=message.sent_at or message.created_at,
        is_incoming=incoming,
        what=what,
        address=mask_contact_address(message.address),
        status=message.get_status_display(),
        text=_message_text(message),
        case_reference=message.case_reference,
        case_url=_change_url(model._meta, message.object_id) if model is not None else "",
    )


def _identifier_html(identifier: CustomerIdentifier, *, may_reveal_it: bool) -> str:
    spec = PersonalField(IDENTIFIER_MASKS.get(identifier.kind, EMAIL), identifier.get_kind_display())
    return masked_html(identifier, "value", spec, may_reveal=may_reveal_it)


def customer_view(request, customer_id: int) -> http.HttpResponse:
    shown = shown_kinds(request)
    if not shown:
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=customer_id)
    now = timezone.now()
    per_kind = [history.cases_of(customer, kind) for kind in shown]
    rows = [_case_row(entry.kind, case, now) for entry in per_kind for case in entry.cases]
    # Open first, then the rest; the newest first in each, whatever their type.
    rows.sort(key=lambda row: (not row.is_open, -row.created_at.timestamp()))
    more = [
        {
            "count": entry.more,
            "name": entry.kind.name,
            "url": _list_url(entry.kind, customer.pk),
        }
        for entry in per_kind
        if entry.more
    ]
    messages = history.messages_of(customer, per_kind)
    types = {
        content_type.pk: model
        for model, content_type in _content_types(tuple(entry.kind.model for entry in per_kind)).items()
    }
    may_reveal_it = may_reveal(request.user)
    identifiers = [
        {
            "kind": identifier.get_kind_display(),
            "value": _identifier_html(identifier, may_reveal_it=may_reveal_it),
        }
        for identifier in history.identifiers_of(customer)
    ]
    counts = [
        {
            "name": entry.kind.name,
            "total": entry.total,
            "open": sum(1 for c in entry.cases if c.open_rank == 0),
        }
        for entry in per_kind
    ]
    context = {
        **admin.site.each_context(request),
        "title": capfirst(str(customer)),
        "customer": customer,
        "rows": rows,
        "open_count": sum(1 for row in rows if row.is_open),
        "more": more,
        "counts": counts,
        "contacts": [_message_row(message, types) for message in messages.shown],
        "more_contacts": messages.more,
        "identifiers": identifiers,
        "search_form": CustomerSearchForm(),
        "erasure": _erasure_requests(request, customer),
        "is_nav_sidebar_enabled": False,
    }
    return TemplateResponse(request, "admin/casework/customer.html", context)


def _erasure_requests(request, customer: Customer) -> dict:
    """The customer's erasure requests, newest first, for who may read them; and whether
    the user may record one."""
    may_view = request.user.has_perm("casework.view_erasurerequest")
    return {
        "may_view": may_view,
        "may_add": request.user.has_perm("casework.add_erasurerequest"),
        "requests": list(customer.erasure_requests.order_by("-received_at")[:5]) if may_view else [],
    }


def _content_types(models_: tuple[type[models.Model], ...]):
    return ContentType.objects.get_for_models(*models_)


def _list_url(kind: kinds.CaseKind, customer_id: int) -> str:
    """The kind's case list of this customer (every state): the "and N more" link."""
    meta = kind.model._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    except NoReverseMatch:
        return ""
    # A list asked for anything shows every case that matches, ended ones too.
    return f"{url}?{urlencode({f'{kind.customer_field}__id__exact': customer_id})}"


class CustomerSearchForm(forms.Form):
    """Find a customer by what the agent verified: the wallet account number or the phone."""

    account_number = forms.CharField(label=_("Wallet account number"), max_length=32, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=50,
        required=False,
        help_text=_("With or without +86: 13800138000, +86 138 0013 8000."),
    )

    def clean_account_number(self) -> str:
        return self.cleaned_data["account_number"].strip()

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"].strip()
        if not typed:
            return ""
        if parse_phone(typed) is None:
            raise forms.ValidationError(PHONE_MESSAGE, code="invalid_phone")
        return normalise_phone(typed)

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("account_number") or data.get("phone")):
            self.add_error("account_number", gettext("Give a wallet account number or a phone number."))
            return data
        if self.errors:
            return data
        self.customer = customer_for(account_number=data["account_number"], phone=data["phone"])
        if self.customer is None:
            if data["account_number"]:
                self.add_error("account_number", gettext("No customer has this wallet account number."))
            if data["phone"]:
                self.add_error("phone", gettext("No customer has this phone number."))
        return data


def search_view(request) -> http.HttpResponse:
    if not shown_kinds(request):
        raise PermissionDenied
    searched = bool(request.GET)
    form = CustomerSearchForm(request.GET if searched else None)
    if searched and form.is_valid():
        return http.HttpResponseRedirect(customer_url(form.customer.pk))
    context = {
        **admin.site.each_context(request),
        "title": gettext("Find a customer"),
        "search_form": form,
        "is_nav_sidebar_enabled": False,
    }
    return TemplateResponse(request, "admin/casework/customer_search.html", context)


@admin.register(CustomerIdentifier)
class CustomerIdentifierAdmin(MaskedFieldsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Only for the reveal view (``casework.admin.reveals``): an identifier on the customer's
    page is revealed, with its reason and its log row, as a case's number is. No list, no
    page of its own: its "change" address is the customer's page."""

    masked_fields = {"value": PersonalField(PHONE, _("identifier"))}

    def has_module_permission(self, request) -> bool:
        return False  # not on the admin index

    def has_view_permission(self, request, obj=None) -> bool:
        return bool(shown_kinds(request))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/change/",
                self.admin_site.admin_view(self.customer_redirect),
                name="casework_customeridentifier_change",
            )
        ]

    def customer_redirect(self, request, object_id: str) -> http.HttpResponse:
        identifier = get_object_or_404(CustomerIdentifier, pk=object_id)
        return http.HttpResponseRedirect(customer_url(identifier.customer_id))


urls = [
    ("admin/customers/", admin.site.admin_view(search_view), "admin-customers"),
    ("admin/customers/<int:customer_id>/", admin.site.admin_view(customer_view), "admin-customer"),
]
