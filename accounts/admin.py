"""The staff door to wallet accounts and their lock/unlock requests.

Accounts are read here, never edited: their status moves only when a request is executed
through the gateway, whose history row names the request. Requests move only through
``accounts.services``, run by the shared ``casework.admin.CaseAdmin``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin, ReadOnlyAdminMixin
from casework.admin.cases import CaseAdmin, SlaStatusFilter, Step, case_links
from casework.admin.columns import customer_page_link, short_text
from casework.admin.forms import ReasonForm
from casework.cases import timeline
from casework.privacy.masking import (
    ACCOUNT,
    MaskedFieldsAdmin,
    PersonalField,
    mask_account_number,
    masked_html,
)
from casework.supervision.filters import LATER_DASHBOARD_FILTERS, OpenCasesFilter
from complaints.forms import VerifyIdentityForm

from . import forms, services
from .models import AccountRequest, AuthenticationEvidence, PartnerAccountLink, RequestState, WalletAccount


def _verify_identity(*, request: AccountRequest, actor, method: str, note: str = "") -> AccountRequest:
    # `request` here is the account request: accounts.services names it so, and CaseAdmin
    # passes the case under that keyword (case_argument). The form is the complaint's (the
    # same check of the caller); its note is the reason.
    return services.verify_identity(request=request, actor=actor, method=method, reason=note)


@admin.register(WalletAccount)
class WalletAccountAdmin(MaskedFieldsAdmin, AppendOnlyHistoryAdmin):
    # Shown masked, revealed one at a time (casework.privacy.masking); searched whole, sorted never.
    masked_fields = {"account_number": PersonalField(ACCOUNT, _("account number"))}
    list_display = (
        "account_number",
        "holder_name",
        "phone_masked",
        "status",
        "lock_reason",
        "locked_at",
        "failed_attempts",
    )
    list_filter = ("status", "lock_reason")
    search_fields = ("account_number__exact", "holder_name", "phone_masked")
    search_help_text = _(
        "An account number in full, as written; a holder's name or the masked phone by any part."
    )
    ordering = ("holder_name", "pk")  # not by number: the list's order would place the hidden digits
    # The history names who changed the account and, as its reason, the request executed.
    history_list_display = ["status", "lock_reason"]

    @admin.display(description=_("requests"))
    def account_requests(self, account: WalletAccount) -> str:
        return case_links(account.requests.order_by("created_at", "id"))

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "account_requests") if obj is not None else ()

    def has_add_permission(self, request) -> bool:
        # Accounts come from the wallet core; a superuser may add one for a demo.
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # only an executed request changes an account, through the gateway

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PartnerAccountLink)
class PartnerAccountLinkAdmin(AppendOnlyHistoryAdmin):
    """Which accounts each partner serves: made from the wallet core's record or the
    customer's consent, ended (never deleted) when the partner stops serving the account.
    A partner asks for, and reads the status of, only accounts linked to it."""

    list_display = ("partner", "account", "basis", "created_at", "created_by", "ended_at")
    list_filter = ("partner", ("ended_at", admin.EmptyFieldListFilter))
    list_select_related = ("partner", "account", "created_by")
    search_fields = ("partner__code", "partner__name", "basis")
    raw_id_fields = ("account",)
    actions = ("end_links",)
    readonly_fields = ("partner", "account", "basis", "created_at", "created_by", "ended_at", "ended_by")

    def get_fields(self, request, obj=None):
        return ("partner", "account", "basis") if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request, obj: PartnerAccountLink, form, change: bool) -> None:
        # Only an add changes anything: a link is read-only once made, and ended by the action.
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)

    @admin.action(description=_("End the selected links"), permissions=["change"])
    def end_links(self, request, queryset) -> None:
        ended = sum(services.end_partner_link(link=link, actor=request.user) for link in queryset)
        self.message_user(request, gettext("%(count)d link(s) ended.") % {"count": ended}, messages.SUCCESS)


class AuthenticationEvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The proof collected, as it was recorded: added only through "Collect authentication"."""

    model = AuthenticationEvidence
    extra = 0
    fields = ("method", "outcome", "file", "note", "checked_by", "checked_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_by")


@admin.register(AccountRequest)
class AccountRequestAdmin(MaskedFieldsAdmin, CaseAdmin):
    # The account's number, masked and linked to the account (casework.privacy.masking).
    masked_fields = {
        "account": PersonalField(ACCOUNT, _("account"), source="account.account_number", link="account")
    }
    transition_services = {
        "verify_identity": _verify_identity,
        "submit_for_review": services.submit_for_review,
        "approve": services.approve_request,
        "execute": services.execute_request,
        "reject": services.reject_request,
        "cancel": services.cancel_request,
    }
    case_argument = "request"  # accounts.services' keyword for the account request
    transition_block_label = _("Move the request")
    fsm_forms = {
        "verify_identity": VerifyIdentityForm,
        "approve": ReasonForm,
        "reject": ReasonForm,
        "cancel": forms.CancelForm,
    }
    steps = (
        Step(
            slug="collect-authentication",
            label=_("Collect authentication"),
            permission="accounts.collect_authentication_accountrequest",
            form=forms.EvidenceForm,
            run=lambda account_request, actor, data: services.add_evidence(
                request=account_request, actor=actor, **data
            ),
            is_offered=lambda account_request: account_request.state == RequestState.IDENTITY_VERIFIED,
            help_text=_(
                "An alternative authentication and its outcome (SMS code, face check, ID "
                "document, bank card). Whoever collects proof cannot approve the request."
            ),
        ),
    )
    timeline_sources = (
        timeline.transitions,
        timeline.rows(
            "evidence",
            kind="evidence",
            at="checked_at",
            by="checked_by",
            what=lambda evidence: gettext("%(method)s: %(outcome)s")
            % {"method": evidence.get_method_display(), "outcome": evidence.get_outcome_display()},
            detail=lambda evidence: evidence.note,
        ),
        timeline.notices,
        timeline.opened_from("complaint"),
    )
    add_form = forms.AccountRequestOpeningForm

    # Fits 1366 px (casework.admin.columns); kind and lock reason are filters too. No one
    # is assigned a request: the agent who opened it carries it to review.
    list_display = ("reference", "customer_column", "summary", "state_badge", "next_deadline", "holder")
    # Nobody holds an account request (it is not on My work): the list shows who submitted it.
    holder_field = "submitted_by"
    list_filter = (
        OpenCasesFilter,  # open requests unless asked otherwise
        "state",
        "kind",
        "lock_reason",
        SlaStatusFilter,
        *LATER_DASHBOARD_FILTERS,
    )
    # Each by its own index (see CaseAdmin.get_search_results).
    search_fields = ("reference__startswith", "account__account_number__exact", "complaint__reference__exact")
    search_help_text = _(
        "A reference by its beginning; an account number or the complaint's reference in full; "
        "as written, capitals included."
    )
    list_select_related = ("account", "sla_clock", "submitted_by")
    list_per_page = 50
    inlines = (AuthenticationEvidenceInline,)

    add_fieldsets = (
        (None, {"fields": ("account_number", "kind", "lock_reason")}),
        (_("What the customer says"), {"fields": ("customer_statement", "explanation_given")}),
    )
    change_fieldsets = (
        (
            None,
            {
                # The reference, state and deadline are in the header (casework.admin.header).
                "fields": (
                    "kind",
                    "account",
                    "lock_reason",
                    "needs_risk_officer",
                )
            },
        ),
        (
            _("Where it came from"),
            {"fields": ("complaint", "partner", "external_reference", "submitted_by", "created_at")},
        ),
        (_("What the customer says"), {"fields": ("customer_statement", "explanation_given")}),
        (
            _("Checks"),
            {
                "fields": (
                    "identity_verified_at",
                    "identity_verified_by",
                    "identity_verification_method",
                    "submitted_for_review_by",
                    "approved_by",
                    "approved_at",
                )
            },
        ),
        (_("Outcome"), {"fields": ("executed_at", "gateway_reference", "rejection_reason")}),
        (_("Timeline"), {"fields": ("timeline",)}),
    )

    # Columns.

    @admin.display(description=_("customer"))
    def customer_column(self, account_request: AccountRequest) -> str:
        number = masked_html(account_request, "account", self.masked_fields["account"])
        return format_html(
            '<span class="case-customer">{}</span> <span class="case-customer-detail">{}</span>',
            customer_page_link(account_request, account_request.account.holder_name or "—"),
            number,
        )

    @admin.display(description=_("description"))
    def summary(self, account_request: AccountRequest) -> str:
        what = account_request.get_kind_display()
        if account_request.lock_reason:
            what = f"{what}: {account_request.get_lock_reason_display()}"
        statement = short_text(account_request.customer_statement, 50)
        if not account_request.needs_risk_officer:
            return format_html('<span class="case-summary-kind">{}</span> {}', what, statement)
        return format_html(
            '<span class="case-summary-kind">{}</span> <span class="case-flag">{}</span> {}',
            what,
            gettext("needs a risk officer"),
            statement,
        )

    @admin.display(description=_("needs risk officer"), boolean=True)
    def needs_risk_officer(self, account_request: AccountRequest) -> bool:
        return account_request.needs_risk_officer

    def response_add(self, request, obj: AccountRequest, post_url_continue=None):
        # Straight to the request, where its next step is; a request refused at once
        # (an unlock of a judicial freeze) says why.
        if obj.is_open:
            self.message_user(
                request,
                gettext("Opened %(account_request)s: %(kind)s of account %(account)s; it is now %(state)s.")
                % {
                    "account_request": obj,
                    "kind": obj.get_kind_display(),
                    "account": mask_account_number(obj.account.account_number),
                    "state": obj.get_state_display(),
                },
                messages.SUCCESS,
            )
        else:
            self.message_user(request, obj.rejection_reason, messages.ERROR)
        return redirect(self._admin_url("change", obj.pk))
