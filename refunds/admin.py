"""The staff door to refund cases and the transactions they refund.

Cases move only through ``refunds.services``, run by the shared ``casework.admin.CaseAdmin``;
evidence and payment instructions are read here and written by their services; the
original transactions are reference data, read-only.
"""

from __future__ import annotations

import dataclasses

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin, ReadOnlyAdminMixin
from casework.admin.bulk import BulkAssignMixin
from casework.admin.cases import CaseAdmin, SlaStatusFilter, StaffListFilter, Step, StepDone, case_links
from casework.admin.columns import short_text
from casework.admin.filters import SavedViewsFilter
from casework.admin.forms import ReasonForm
from casework.cases import timeline
from casework.models import SlaStatus
from casework.supervision.filters import LATER_DASHBOARD_FILTERS, OpenCasesFilter

from . import forms, selectors, services
from .models import (
    PaymentInstruction,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    four_eyes,
    four_eyes_refusal,
)
from .money import format_money
from .provisional_admin import STEPS as PROVISIONAL_STEPS
from .provisional_admin import ProvisionalCreditAdminMixin, ProvisionalCreditFilter, list_badge


def _evidence_added(case: RefundCase, evidence: RefundEvidence) -> StepDone:
    url = reverse("admin:refunds_refundcase_change", args=[case.pk])
    message = gettext("%(case)s: added %(evidence)s; it is now %(state)s.") % {
        "case": case,
        "evidence": evidence,
        "state": case.get_state_display(),
    }
    return StepDone(url, message)


def approval_wording(case: RefundCase) -> tuple[str, str]:
    """The approve button's label and help: which of the four-eyes approvals it gives, and
    why a second one is needed (the reason the service counts, see ``four_eyes``)."""
    money = format_money(case.approved_amount or case.requested_amount, case.currency)
    if case.awaits_second_approval:
        return gettext("Give second approval"), gettext(
            "%(money)s had a first approval; a second person confirms it."
        ) % {"money": money}
    if four_eyes(case).needed:
        return gettext("Give first approval"), four_eyes_refusal(case)
    return gettext("Approve"), gettext("Approve the refund of up to %(money)s.") % {"money": money}


STEPS = (
    Step(
        slug="assign-handler",
        label=_("Assign handler"),
        permission="refunds.assign_refundcase",
        form=forms.AssignHandlerForm,
        run=lambda case, actor, data: services.assign_handler(case=case, actor=actor, **data),
        is_offered=lambda case: case.is_open,
        help_text=_("Who on the refunds desk handles the case; reminders go to them."),
    ),
    Step(
        slug="add-evidence",
        label=_("Add evidence"),
        permission="refunds.add_refundevidence",
        form=forms.EvidenceForm,
        run=lambda case, actor, data: services.add_evidence(case=case, actor=actor, **data),
        is_offered=lambda case: case.state in services.EVIDENCE_STATES,
        help_text=_(
            "A payment voucher, proof of goods or a screenshot (PDF, JPEG, PNG). On a case "
            "awaiting evidence, the review resumes."
        ),
        done=_evidence_added,
    ),
)


class RefundDeadlineFilter(SlaStatusFilter):
    """On track / due soon / overdue: a refund past its deadline is overdue, and stays so."""

    title = _("deadline")

    def lookups(self, request, model_admin):
        return [
            (value, _("overdue") if value == SlaStatus.BREACHED else label)
            for value, label in SlaStatus.choices
        ]


class AwaitingApprovalFilter(admin.SimpleListFilter):
    title = _("awaiting approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return [
            ("second", _("second approval (four eyes)")),
            ("any", _("any approval (under review)")),
        ]

    def queryset(self, request, queryset):
        if self.value() in ("second", "any"):
            return selectors.awaiting_approval(queryset, second_only=self.value() == "second")
        return queryset


class RefundEvidenceInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The files as they were received: added only through "Add evidence", which checks them."""

    model = RefundEvidence
    extra = 0
    fields = ("kind", "file", "note", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class PaymentInstructionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Each order to the payments system, one per attempt, and how the payments system reported it."""

    model = PaymentInstruction
    extra = 0
    fields = (
        "attempt",
        "idempotency_key",
        "instructed_amount",
        "status",
        "processor_reference",
        "failure_reason",
        "created_at",
        "reported_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"))
    def instructed_amount(self, instruction: PaymentInstruction) -> str:
        return format_money(instruction.amount, instruction.currency)


@admin.register(RefundCase)
class RefundCaseAdmin(ProvisionalCreditAdminMixin, BulkAssignMixin, CaseAdmin):
    transition_services = {
        "start_review": services.start_review,
        "request_evidence": services.request_evidence,
        "evidence_received": services.evidence_received,
        "approve": services.approve_refund,
        "submit_to_payments": services.submit_to_payments,
        "retry": services.retry_payment,
        "reject": services.reject_refund,
        "cancel": services.cancel_refund,
    }
    # The approve page refuses what approve_refund refuses; a first approval is not refused.
    transition_checks = {"approve": services.check_approval}
    transition_block_label = _("Move the refund")
    fsm_forms = {
        "request_evidence": forms.RequestEvidenceForm,
        "approve": forms.ApproveForm,
        "reject": ReasonForm,
        "cancel": forms.CancelForm,
    }
    steps = STEPS + PROVISIONAL_STEPS
    timeline_sources = (
        timeline.transitions,
        timeline.rows(
            "evidence",
            kind="evidence",
            at="uploaded_at",
            by="uploaded_by",
            what=lambda evidence: str(evidence),
            detail=lambda evidence: evidence.note,
        ),
        timeline.rows(
            "instructions",
            kind="payment",
            at="created_at",
            by=None,
            what=lambda instruction: gettext("payment instruction %(key)s: %(amount)s")
            % {
                "key": instruction.idempotency_key,
                "amount": format_money(instruction.amount, instruction.currency),
            },
            detail=lambda instruction: " ".join(
                part
                for part in (
                    instruction.get_status_display(),
                    instruction.processor_reference,
                    instruction.failure_reason,
                )
                if part
            ),
        ),
        timeline.notices,
        timeline.opened_from("complaint"),
    )
    add_form = forms.RefundCaseOpeningForm

    # Fits 1366 px (casework.admin.columns): overdue and awaiting a second approval are filters.
    list_display = (
        "reference",
        "transaction_reference",
        "amount",
        "summary",
        "state_badge",
        "next_deadline",
        "holder",
    )
    list_filter = (
        SavedViewsFilter,  # the "Views" block, atop the filters
        OpenCasesFilter,  # open cases unless asked otherwise
        "state",
        "refund_type",
        ("transaction__currency", admin.ChoicesFieldListFilter),  # the fixed list: no scan
        ("handler", StaffListFilter),
        RefundDeadlineFilter,
        AwaitingApprovalFilter,
        ProvisionalCreditFilter,
        *LATER_DASHBOARD_FILTERS,
    )
    # "Assign to…" on the list (casework.admin.bulk), through the assign-handler step's service.
    actions = ("assign_to",)
    assign_permission = "refunds.assign_refundcase"
    assign_label = _("Handler")

    def assign_choices(self, request):
        return forms.refund_handlers()

    def assign_case(self, case, actor, holder, reason):
        return services.assign_handler(case=case, actor=actor, handler=holder, reason=reason)

    # Each by its own index (see CaseAdmin.get_search_results).
    search_fields = (
        "reference__startswith",
        "transaction__reference__exact",
        "transaction__merchant",  # any part of it, by its trigram index (docs/search.md)
        "external_reference__exact",
        "complaint__reference__exact",
    )
    search_help_text = _(
        "A reference by its beginning; any part of a merchant's name, capitals or not; a "
        "transaction reference, the partner's reference or the complaint's reference in full."
    )
    # The joins come from selectors.refund_case_list (get_queryset); an empty tuple keeps
    # the changelist from replacing them with a bare select_related().
    list_select_related = ()
    list_per_page = 50
    # A step's or transition's page shows the case by its transaction: it holds no customer's details.
    summary_columns = ("transaction_reference", "amount", "summary")
    inlines = (RefundEvidenceInline, PaymentInstructionInline)
    history_list_display = ["state", "approved_amount", "handler"]

    add_fieldsets = (
        (None, {"fields": ("refund_type", "requested_amount", "reason")}),
        (
            _("Original transaction"),
            {
                "fields": ("transaction_reference", "merchant", "transaction_amount", "currency", "paid_at"),
                "description": _("A transaction already on file needs only its reference."),
            },
        ),
    )
    change_fieldsets = (
        (
            None,
            {
                # The reference, state, holder and deadline are in the header
                # (casework.admin.header).
                "fields": (
                    "refund_type",
                    "handler",
                )
            },
        ),
        (
            _("Money"),
            {
                "fields": (
                    "original_transaction",
                    "requested",
                    "approved",
                    "still_refundable",
                    "reason",
                )
            },
        ),
        (
            _("Where it came from"),
            {"fields": ("complaint", "partner", "external_reference", "submitted_by", "created_at")},
        ),
        (
            _("Decision"),
            {
                "fields": (
                    "evidence_requested",
                    "awaits_second_approval",
                    "first_approved_by",
                    "first_approved_at",
                    "approved_by",
                    "approved_at",
                    "rejection_reason",
                )
            },
        ),
        (_("Payment"), {"fields": ("processor_reference", "settled_at", "failure_reason")}),
        (_("Timeline"), {"fields": ("timeline",)}),
    )

    def get_queryset(self, request):
        return selectors.refund_case_list(super().get_queryset(request))

    # Columns and read-only fields.

    @admin.display(description=_("amount"), ordering="requested_amount")
    def amount(self, case: RefundCase) -> str:
        requested = format_money(case.requested_amount, case.currency)
        if case.approved_amount is not None and case.approved_amount != case.requested_amount:
            requested = gettext("%(requested)s (approved %(approved)s)") % {
                "requested": requested,
                "approved": format_money(case.approved_amount, case.currency),
            }
        return format_html("{}{}", requested, list_badge(case))  # a provisional credit due or late

    @admin.display(description=_("transaction"), ordering="transaction__reference")
    def transaction_reference(self, case: RefundCase) -> str:
        return format_html(
            '<span class="case-customer">{}</span> <span class="case-customer-detail">{}</span>',
            case.transaction.reference,
            case.transaction.merchant,
        )

    @admin.display(description=_("description"))
    def summary(self, case: RefundCase) -> str:
        return format_html(
            '<span class="case-summary-kind">{}</span> {}',
            case.get_refund_type_display(),
            short_text(case.reason, 50),
        )

    @admin.display(description=_("refund deadline"), ordering="sla_clock__resolution_due_at")
    def refund_due_at(self, case: RefundCase) -> str:
        return self.resolution_due_at(case)

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, case: RefundCase) -> bool:
        return case.sla_clock.is_breached()

    @admin.display(description=_("awaiting second approval"), boolean=True)
    def awaits_second_approval(self, case: RefundCase) -> bool:
        return case.awaits_second_approval

    @admin.display(description=_("transaction"))
    def original_transaction(self, case: RefundCase) -> str:
        payment = case.transaction
        return format_html(
            gettext('<a href="{url}">{reference}</a>: {amount} at {merchant}, paid {paid_at}'),
            url=reverse("admin:refunds_paymenttransaction_change", args=[payment.pk]),
            reference=payment.reference,
            amount=format_money(payment.amount, payment.currency),
            merchant=payment.merchant,
            paid_at=f"{timezone.localtime(payment.paid_at):%Y-%m-%d %H:%M}",
        )

    @admin.display(description=pgettext_lazy("refund amount", "requested"))
    def requested(self, case: RefundCase) -> str:
        return format_money(case.requested_amount, case.currency)

    @admin.display(description=pgettext_lazy("refund amount", "approved"))
    def approved(self, case: RefundCase) -> str:
        if case.approved_amount is None:
            return "—"
        approved = format_money(case.approved_amount, case.currency)
        if case.awaits_second_approval:
            return gettext("%(amount)s (first approval; a second person must approve)") % {"amount": approved}
        return approved

    @admin.display(description=_("still refundable on the transaction"))
    def still_refundable(self, case: RefundCase) -> str:
        payment = case.transaction
        left = services.refundable_amount(payment)
        return gettext("%(left)s of %(paid)s") % {
            "left": format_money(left, payment.currency),
            "paid": format_money(payment.amount, payment.currency),
        }

    # Approval: four eyes above the threshold.

    def _get_fsm_extra_context(self, *, request, obj):
        # Say which approval the button gives, instead of the bare four-eyes condition.
        for block in super()._get_fsm_extra_context(request=request, obj=obj):
            label, help_text = approval_wording(obj)
            block.available_transitions = [
                dataclasses.replace(button, label=label, help_text=help_text)
                if button.name == "approve"
                else button
                for button in block.available_transitions
            ]
            yield block

    def transition_wording(self, case: RefundCase, name: str) -> tuple[str, str]:
        return approval_wording(case) if name == "approve" else super().transition_wording(case, name)

    def _report_transition(self, request, case: RefundCase, name: str) -> None:
        if name == "approve" and case.awaits_second_approval:
            money = format_money(case.approved_amount, case.currency)
            self.message_user(
                request,
                gettext(
                    "%(case)s: first approval of %(money)s recorded; a second person from the refunds desk "
                    "or a supervisor must approve it."
                )
                % {"case": case, "money": money},
            )
            return
        super()._report_transition(request, case, name)

    def response_add(self, request, obj, post_url_continue=None):
        money = format_money(obj.requested_amount, obj.currency)
        self.message_user(
            request,
            gettext("Opened %(case)s: %(money)s on %(transaction)s; it is now %(state)s.")
            % {
                "case": obj,
                "money": money,
                "transaction": obj.transaction.reference,
                "state": obj.get_state_display(),
            },
            messages.SUCCESS,
        )
        return redirect(self._admin_url("change", obj.pk))


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(ReadOnlyAdminMixin, AppendOnlyHistoryAdmin):
    """The original payments, as recorded when a refund was first claimed on them."""

    list_display = ("reference", "merchant", "paid", "paid_at", "refund_case_count")
    list_filter = (("currency", admin.AllValuesFieldListFilter),)
    search_fields = ("reference", "merchant")
    date_hierarchy = "paid_at"
    fields = ("reference", "merchant", "paid", "paid_at", "created_at", "still_refundable", "refund_cases")
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.transaction_list(super().get_queryset(request))

    @admin.display(description=_("amount"), ordering="amount")
    def paid(self, payment: PaymentTransaction) -> str:
        return format_money(payment.amount, payment.currency)

    @admin.display(description=_("refund cases"), ordering="refund_case_count")
    def refund_case_count(self, payment: PaymentTransaction) -> int:
        return payment.refund_case_count

    @admin.display(description=_("still refundable"))
    def still_refundable(self, payment: PaymentTransaction) -> str:
        return format_money(services.refundable_amount(payment), payment.currency)

    @admin.display(description=_("refund cases"))
    def refund_cases(self, payment: PaymentTransaction) -> str:
        return case_links(payment.refund_cases.order_by("created_at", "id"))
