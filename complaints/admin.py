"""The staff door to complaints.

Thin by design: the shared ``casework.admin.CaseAdmin`` runs every transition button,
audited step and the add form through a service in ``complaints.services``, which checks
the permission, the state and the row's version. This module says which services, forms
and columns a complaint has.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.admin import header
from casework.admin.bulk import BulkAssignMixin
from casework.admin.cases import CaseAdmin, SlaStatusFilter, StaffListFilter, Step, StepDone, case_links
from casework.admin.columns import customer_page_link, short_text
from casework.admin.filters import SavedViewsFilter
from casework.admin.forms import ReasonForm
from casework.cases import timeline
from casework.privacy.masking import (
    ACCOUNT,
    PHONE,
    MaskedFieldsAdmin,
    PersonalField,
    mask_account_number,
    mask_contact_address,
    masked_html,
)
from casework.supervision.filters import LATER_DASHBOARD_FILTERS, OpenCasesFilter

from . import classification_admin as classified
from . import forms, selectors, services
from .extension_steps import EXTENSION_STEPS, ExtensionAdminMixin
from .intake import IntakeAdminMixin, IntakeForm
from .merge_step import MERGE_STEP, merge_facts, merged_next_step
from .models import (
    MESSAGE_STATES,
    Category,
    Complaint,
    ComplaintAttachment,
    ComplaintNote,
    PartnerMessage,
    State,
    Turn,
    may_return_findings,
)
from .regime_admin import RegimeFieldsMixin
from .reply_step import REPLY_STEP
from .returns.filters import ReturnFigureFilter
from .search_admin import FullTextSearchAdminMixin
from .survey import staff as survey_staff


def _open_unlock_request(complaint: Complaint, actor):
    # Imported here: accounts builds on complaints, not the other way round.
    from accounts.services import open_unlock_request_from_complaint

    return open_unlock_request_from_complaint(complaint=complaint, actor=actor)


def _unlock_request_opened(complaint: Complaint, account_request) -> StepDone:
    url = reverse("admin:accounts_accountrequest_change", args=[account_request.pk])
    if not account_request.is_open:  # refused at once, e.g. a judicial freeze: say why
        return StepDone(url, account_request.rejection_reason, messages.ERROR)
    return StepDone(
        url,
        gettext("Opened %(reference)s to unlock account %(account)s from %(complaint)s; it is now %(state)s.")
        % {
            "reference": account_request.reference,
            "account": mask_account_number(account_request.account.account_number),
            "complaint": complaint,
            "state": account_request.get_state_display(),
        },
    )


def _open_refund_case(complaint: Complaint, actor, data: dict):
    # Imported here: refunds builds on complaints, not the other way round.
    from refunds.services import open_refund_case_from_complaint

    return open_refund_case_from_complaint(complaint=complaint, actor=actor, **data)


def _refund_case_opened(complaint: Complaint, refund_case) -> StepDone:
    from refunds.money import format_money

    return StepDone(
        reverse("admin:refunds_refundcase_change", args=[refund_case.pk]),
        gettext(
            "Opened %(reference)s from %(complaint)s: a refund of %(amount)s on transaction "
            "%(transaction)s; it is now %(state)s."
        )
        % {
            "reference": refund_case.reference,
            "complaint": complaint,
            "amount": format_money(refund_case.requested_amount, refund_case.currency),
            "transaction": refund_case.transaction.reference,
            "state": refund_case.get_state_display(),
        },
    )


def _corrected(complaint: Complaint, corrected: Complaint) -> StepDone:
    due = timezone.localtime(corrected.sla_clock.resolution_due_at)
    return StepDone(
        reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        gettext(
            "%(complaint)s corrected: %(category)s, %(priority)s priority, by %(channel)s; "
            "resolution due %(due)s."
        )
        % {
            "complaint": corrected,
            "category": corrected.get_category_display(),
            "priority": corrected.get_priority_display(),
            "channel": corrected.get_channel_display(),
            "due": f"{due:%Y-%m-%d %H:%M}",
        },
    )


STEPS = (
    REPLY_STEP,
    Step(
        slug="verify-identity",
        label=_("Record identity verification"),
        permission="complaints.verify_identity_complaint",
        form=forms.VerifyIdentityForm,
        run=lambda complaint, actor, data: services.verify_identity(
            complaint=complaint,
            actor=actor,
            method=data["method"],
            reason=data["note"],
            customer_phone=data.get("customer_phone", ""),
        ),
        is_offered=lambda complaint: complaint.state == State.RECEIVED,
        help_text=_("How the caller proved who they are; the complaint can be accepted after this."),
    ),
    *EXTENSION_STEPS,  # complaints.extension_steps: request, approve, refuse, withdraw
    Step(
        slug="reassign",
        label=_("Reassign"),
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
        label=_("Add note"),
        permission="complaints.add_complaintnote",
        form=forms.NoteForm,
        run=lambda complaint, actor, data: services.add_note(
            complaint=complaint, actor=actor, body=data["body"]
        ),
        is_offered=lambda complaint: True,
        help_text=_("An internal note, for those who read the complaint without editing it."),
    ),
    Step(
        slug="open-unlock-request",
        label=_("Open unlock request"),
        permission="accounts.add_accountrequest",
        form=forms.OpenUnlockRequestForm,
        run=lambda complaint, actor, data: _open_unlock_request(complaint, actor),
        is_offered=lambda complaint: complaint.category == Category.ACCOUNT_LOCKED and complaint.is_open,
        help_text=_(
            "An unlock request for the complaint's account; a verified identity carries over, "
            "and the complaint resolves when the account is unlocked."
        ),
        done=_unlock_request_opened,
    ),
    Step(
        slug="open-refund-case",
        label=_("Open refund case"),
        permission="refunds.add_refundcase",
        form=forms.OpenRefundCaseForm,
        run=_open_refund_case,
        is_offered=lambda complaint: complaint.category == Category.REFUND and complaint.is_open,
        help_text=_(
            "A refund case on the complaint's transaction, merchant and amount; the complaint "
            "resolves when the refund is paid."
        ),
        done=_refund_case_opened,
    ),
    Step(
        slug="correct",
        label=_("Correct category, priority or channel"),
        # Whoever reads the case; who may correct it is the service's rule (may_correct).
        permission="complaints.view_complaint",
        may_take=services.may_correct,
        form=forms.CorrectionForm,
        run=lambda complaint, actor, data: services.correct_complaint(
            complaint=complaint, actor=actor, **data
        ),
        is_offered=lambda complaint: complaint.is_open,
        help_text=_(
            "Registered as the wrong kind of complaint: the deadlines are worked out again on the "
            "SLA policy of the new category and priority."
        ),
        done=_corrected,
    ),
    classified.CLASSIFY_STEP,
    MERGE_STEP,  # complaints.merge_step: a duplicate into the complaint that goes on
)


class AddOnlyInline(admin.TabularInline):
    """New rows only, signed by the service; a written note or attachment is part of the record.
    No blank row until the clerk asks for one ("Add another"): an empty row stamped "created
    now" reads like a note that exists."""

    extra = 0
    signed_by = ""  # the user column, fetched with the rows

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.signed_by)

    def has_add_permission(self, request, obj=None) -> bool:
        # Only through a change form the user can submit; readers use "Add note".
        return super().has_add_permission(request, obj) and request.user.has_perm(
            "complaints.change_complaint"
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ComplaintNoteInline(AddOnlyInline):
    model = ComplaintNote
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")
    signed_by = "author"


class ComplaintAttachmentInline(AddOnlyInline):
    model = ComplaintAttachment
    fields = ("file", "description", "uploaded_by", "created_at")
    readonly_fields = ("uploaded_by", "created_at")
    signed_by = "uploaded_by"


class PartnerMessageInline(AddOnlyInline):
    """The conversation with the partner that filed the complaint: what it added, and the
    replies staff write here, which the partner reads through the API (notes it never does)."""

    model = PartnerMessage
    fields = ("body", "sender", "author", "created_at")
    readonly_fields = ("sender", "author", "created_at")
    signed_by = "author"
    verbose_name = _("message with the partner")
    verbose_name_plural = _("messages with the partner (the partner reads these and your replies)")

    def has_add_permission(self, request, obj=None) -> bool:
        # An ended complaint takes no more messages (the service refuses them too).
        return super().has_add_permission(request, obj) and obj is not None and obj.state in MESSAGE_STATES

    @admin.display(description=_("from"))
    def sender(self, message: PartnerMessage) -> str:
        if message.pk is None:
            return ""
        if message.is_from_partner:
            return gettext("partner")
        return gettext("back office (shown to the partner)")


# What the complaint's admin adds to every case's: words search, extensions, intake, regimes, bulk.
MIXINS = (FullTextSearchAdminMixin, ExtensionAdminMixin, IntakeAdminMixin, RegimeFieldsMixin, BulkAssignMixin)


@admin.register(Complaint)
class ComplaintAdmin(*MIXINS, MaskedFieldsAdmin, CaseAdmin):
    # Shown masked, revealed one at a time (casework.privacy.masking); searching by them still works.
    masked_fields = {
        "customer_phone": PersonalField(PHONE, _("customer phone")),
        "account_number": PersonalField(ACCOUNT, _("account number")),
    }
    # Transition name -> the service that runs it. The admin never calls a model's
    # transition method itself: the service checks permission and version, and records.
    transition_services = {
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
    case_argument = "complaint"
    transition_block_label = _("Move the complaint")
    fsm_forms = {
        "reject": ReasonForm,
        "escalate": forms.EscalateForm,
        "return_findings": forms.ReturnFindingsForm,
        "wait_for_customer": forms.WaitForCustomerForm,
        "resolve": classified.ResolveForm,
        "reopen": ReasonForm,
        "withdraw": ReasonForm,
    }
    steps = STEPS
    timeline_sources = (
        timeline.transitions,
        timeline.rows(
            "notes",
            kind="note",
            at="created_at",
            by="author",
            what=lambda note: gettext("internal note"),
            detail=lambda note: note.body,
        ),
        timeline.rows(
            "partner_messages",
            kind="message",
            at="created_at",
            by="author",
            what=lambda message: (
                gettext("from the partner") if message.is_from_partner else gettext("reply to the partner")
            ),
            detail=lambda message: message.body,
        ),
        timeline.rows(
            "attachments",
            kind="attachment",
            at="created_at",
            by="uploaded_by",
            what=lambda attachment: (
                gettext("attached %(file)s") % {"file": attachment.file.name.rpartition("/")[2]}
            ),
            detail=lambda attachment: attachment.description,
        ),
        timeline.notices,
        timeline.opened_from_it("account_requests"),
        timeline.opened_from_it("refund_cases"),
        survey_staff.timeline_entries,
    )
    add_form = IntakeForm  # complaints.intake: the add page, with Register and resolve
    change_form = forms.ComplaintChangeForm
    editable_fields = forms.EDITABLE_DETAILS

    # Fits 1366 px: channel, priority and team are filters (casework.admin.columns).
    list_display = (
        "reference",
        "customer_column",
        "category",
        "summary",
        "state_badge",
        "next_deadline",
        "holder",
    )
    list_filter = (
        SavedViewsFilter,  # the "Views" block, atop the filters
        OpenCasesFilter,  # open cases unless asked otherwise
        "state",
        SlaStatusFilter,
        "category",
        "channel",
        "priority",
        "team",
        ("assigned_to", StaffListFilter),
        *LATER_DASHBOARD_FILTERS,
        ReturnFigureFilter,  # a return's figure: the complaints it counts (complaints.returns)
    )
    # "Assign to…" on the list (casework.admin.bulk), through the reassign step's service.
    actions = ("assign_to",)
    assign_permission = "complaints.assign_complaint"
    assign_label = _("Agent")

    def assign_choices(self, request):
        return forms.assignable_staff()

    def assign_case(self, case, actor, holder, reason):
        return services.assign_complaint(complaint=case, actor=actor, assigned_to=holder, reason=reason)

    # Each by its own index (see CaseAdmin.get_search_results): a reference or a name by its
    # beginning, a phone or account number or a transaction reference whole; or words (search_admin).
    search_fields = (
        "reference__startswith",
        "customer_phone__exact",
        "=customer_email",  # its index is UPPER(): any capitals
        "account_number__exact",
        "customer_name__startswith",
        "transaction_reference__exact",
    )
    # The joins come from selectors.complaint_list (get_queryset); an empty tuple keeps
    # the changelist from replacing them with a bare select_related().
    list_select_related = ()
    list_per_page = 50
    inlines = (ComplaintNoteInline, ComplaintAttachmentInline, PartnerMessageInline)

    # The add page's fieldsets: complaints.intake.
    change_fieldsets = (
        # The reference, state, whose turn and both deadlines are in the header
        # (casework.admin.header): the form does not repeat them.
        (
            _("Customer"),
            {
                "fields": (
                    "customer_name",
                    "customer_phone",
                    "customer_email",
                    ("preferred_channel", "customer_language"),
                    "account_number",
                    "identity_verified_at",
                    "identity_verified_by",
                    "identity_verification_method",
                )
            },
        ),
        (
            _("What happened"),
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
            _("Who holds it"),
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
        (_("Time"), {"fields": ("created_at", "regime_in_force", "holding_response_at", "holding_response")}),
        classified.CLASSIFICATION_FIELDSET,
        (
            _("Outcome"),
            {
                "fields": (
                    "resolution_code",
                    "resolution_summary",
                    "resolved_at",
                    "is_first_contact_resolution",
                    "was_escalated",
                    "closed_at",
                    "survey_answer",
                )
            },
        ),
        (_("Linked cases"), {"fields": ("linked_account_requests", "linked_refund_cases")}),
        (_("Timeline"), {"fields": ("timeline",)}),
    )

    channel_code = classified.channel_code  # shown in the Classification section

    def get_queryset(self, request):
        return selectors.complaint_list(super().get_queryset(request))

    def get_inlines(self, request, obj):
        inlines = super().get_inlines(request, obj)
        if obj is None or obj.partner_id is None:  # nobody to write to
            return tuple(inline for inline in inlines if inline is not PartnerMessageInline)
        return inlines

    # The case page's header (casework.admin.header).
    state_tones = {
        State.ESCALATED: header.WAITING,
        State.AWAITING_CUSTOMER: header.WAITING,
        State.RESOLVED: header.DONE,
        State.CLOSED: header.DONE,
    }

    def whose_turn(self, complaint: Complaint) -> str:
        if complaint.turn == Turn.TEAM and complaint.escalated_to is not None:
            return gettext("%(team)s (escalated)") % {"team": complaint.escalated_to}
        if complaint.turn == Turn.CUSTOMER:
            return gettext("the customer (we wait for their reply)")
        return super().whose_turn(complaint)

    def header_facts(self, complaint: Complaint) -> list[tuple[str, str]]:
        # What chooses the SLA policy, where a correction shows at once.
        return [
            (gettext("Category:"), complaint.get_category_display()),
            (gettext("Priority:"), complaint.get_priority_display()),
            (gettext("Channel:"), complaint.get_channel_display()),
            *merge_facts(complaint),  # merged into, merged from
        ]

    def linked_cases(self, complaint: Complaint) -> list[header.LinkedCase]:
        return header.linked(
            [
                *complaint.account_requests.order_by("created_at", "id"),
                *complaint.refund_cases.order_by("created_at", "id"),
            ]
        )

    def next_step(self, complaint: Complaint, request) -> str:
        if complaint.merged_into_id:
            return merged_next_step(complaint)
        if complaint.state == State.RECEIVED:
            if complaint.identity_verified_at is None:
                return gettext("Verify the caller's identity, then accept.")
            return gettext("Accept the complaint, or reject it with a reason.")
        if complaint.state == State.ACCEPTED:
            return gettext("Start work on it.")
        if complaint.state == State.IN_PROGRESS:
            return gettext(
                "Resolve it with the outcome told to the customer, or escalate it, or ask the customer."
            )
        if complaint.state == State.ESCALATED:
            if may_return_findings(complaint, request.user):
                return gettext("Look into it and send your findings back with Return findings.")
            return gettext("Waiting for findings from %(team)s.") % {"team": complaint.escalated_to}
        if complaint.state == State.AWAITING_CUSTOMER:
            return gettext("Waiting for the customer: record their reply when it comes.")
        if complaint.state == State.RESOLVED:
            return gettext("Close it, or reopen it if the customer disagrees with the outcome.")
        return gettext("Nothing more to do: the complaint is finished.")

    # Columns.

    @admin.display(description=_("customer"), ordering="customer_name")
    def customer_column(self, complaint: Complaint) -> str:
        # The masked phone; a customer who wrote in and gave none yet, by their masked e-mail.
        if complaint.has_phone:
            detail = masked_html(complaint, "customer_phone", self.masked_fields["customer_phone"])
        elif complaint.customer_email:
            detail = format_html(
                '<span class="personal-data">{}</span> <span class="case-customer-missing">{}</span>',
                mask_contact_address(complaint.customer_email),
                gettext("(no phone yet)"),
            )
        else:
            detail = format_html('<span class="case-customer-missing">{}</span>', gettext("no phone yet"))
        return format_html(
            '<span class="case-customer">{}</span> <span class="case-customer-detail">{}</span>',
            customer_page_link(complaint, complaint.customer_name or "—"),
            detail,
        )

    @admin.display(description=_("description"))
    def summary(self, complaint: Complaint) -> str:
        return short_text(complaint.description)

    @admin.display(description=_("Customer's survey answer"))
    def survey_answer(self, complaint: Complaint) -> str:
        return survey_staff.survey_answer(complaint)

    @admin.display(description=_("Account requests"))
    def linked_account_requests(self, complaint: Complaint) -> str:
        return case_links(complaint.account_requests.order_by("created_at", "id"))

    @admin.display(description=_("Refund cases"))
    def linked_refund_cases(self, complaint: Complaint) -> str:
        return case_links(complaint.refund_cases.order_by("created_at", "id"))

    def save_formset(self, request, form, formset, change):
        complaint = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.extra_forms:
            if not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            if formset.model is ComplaintNote:
                added = services.add_note(complaint=complaint, actor=request.user, body=data["body"])
            elif formset.model is PartnerMessage:
                added = services.reply_to_partner(complaint=complaint, actor=request.user, body=data["body"])
            else:
                added = services.add_attachment(
                    complaint=complaint,
                    actor=request.user,
                    file=data["file"],
                    description=data.get("description", ""),
                )
            formset.new_objects.append(added)
