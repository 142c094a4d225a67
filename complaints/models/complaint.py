"""Complaints: what the customer reported, who holds it, and its state machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.cases.transitions import condition
from casework.core.chain import ChainedHistoricalRecords
from casework.core.indexes import trigram_index
from casework.core.limits import DESCRIPTION_MAX_LENGTH, REASON_MAX_LENGTH, bounded_text
from casework.core.money import (
    AmountField,
    validate_currency,
    validate_decimal_places,
    validate_payment_time,
)
from casework.core.phones import PhoneNumberField
from casework.customers.identity import CustomerLinked, customer_field, keys_of
from casework.models import CustomerChannel, CustomerLanguage, Partner, RegimeCondition, SlaClock, Team
from casework.models.retention import pseudonymised_at_field, retention_due_index
from complaints.models.classification import Classified
from complaints.models.merging import Mergeable
from complaints.models.states import ENDED_STATES, OPEN_STATES, State, Turn


class Channel(models.TextChoices):
    PHONE = "phone", _("phone hotline")
    CHAT = "chat", _("online chat")
    EMAIL = "email", _("e-mail")
    APP = "app", _("app")
    WEBSITE = "website", _("website")
    SOCIAL_MEDIA = "social_media", _("social media")
    REGULATOR = "regulator", _("regulator referral")
    PARTNER_API = "partner_api", _("partner API")


class Category(models.TextChoices):
    TRANSACTION = "transaction", _("transaction failed or abnormal")
    ACCOUNT_LOCKED = "account_locked", _("account locked or frozen")
    REFUND = "refund", _("refund not processed")
    SLOW_SERVICE = "slow_service", _("slow service")
    PRIVACY = "privacy", _("privacy and data security")
    OTHER = "other", _("other")


# What each category cannot be handled without. The model's clean(), the admin form
# and the API serializer all ask this one table.
REQUIRED_DETAILS: dict[str, tuple[str, ...]] = {
    Category.TRANSACTION: ("transaction_at", "amount", "transaction_reference"),
    Category.ACCOUNT_LOCKED: ("account_number",),
    Category.REFUND: ("transaction_reference", "amount", "merchant"),
    Category.SLOW_SERVICE: (),
    Category.PRIVACY: (),
    Category.OTHER: (),
}


class Priority(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    URGENT = "urgent", _("urgent")


class VerificationMethod(models.TextChoices):
    SECURITY_QUESTIONS = "security_questions", _("security questions")
    SMS_CODE = "sms_code", _("SMS one-time code")
    ID_DOCUMENT = "id_document", _("ID document")
    CALLBACK = "callback", _("call back to the registered phone")
    PARTNER_ATTESTED = "partner_attested", _("attested by the partner")


class ResolutionCode(models.TextChoices):
    EXPLAINED = "explained", _("explained, no fault found")
    CORRECTED = "corrected", _("corrected")
    REFUNDED = "refunded", _("refunded or credited")
    UNLOCKED = "unlocked", _("account unlocked")
    COMPENSATED = "compensated", _("compensated")
    NOT_UPHELD = "not_upheld", _("not upheld")


@condition(_("The caller's identity has not been verified: record the verification before accepting."))
def identity_is_verified(complaint: Complaint) -> bool:
    return complaint.identity_verified_at is not None


@condition(_("The reopen window has passed: file a new complaint instead."))
def within_reopen_window(complaint: Complaint) -> bool:
    return complaint.resolved_at is not None and timezone.now() <= complaint.reopen_deadline


def may_return_findings(complaint: Complaint, user) -> bool:
    """Findings come back from the team the complaint went to (or a supervisor)."""
    if not user.has_perm("complaints.return_findings_complaint"):
        return False
    team = complaint.escalated_to
    if team is None or team.group_id is None or user.has_perm("complaints.assign_complaint"):
        return True
    return user.groups.filter(pk=team.group_id).exists()


def email_channel_refusal(preferred_channel: str, customer_email: str) -> str | None:
    """Why this contact cannot be kept, or None: preferring e-mail needs an address. Asked by
    ``Complaint.clean`` (the admin's forms, the services) and the partner API's serializer."""
    if preferred_channel == CustomerChannel.EMAIL and not (customer_email or "").strip():
        return gettext("Give the customer's e-mail address, or choose SMS as the preferred channel.")
    return None


PHONE_NEEDED = _(
    "Give the customer's phone number: only a complaint that came by e-mail, with the "
    "customer's e-mail address, may wait for it."
)


def missing_phone_refusal(channel: str, customer_phone: str, customer_email: str) -> str | None:
    """Why this complaint cannot be kept without the customer's phone, or None: a complaint
    needs a phone number unless it came by e-mail (channel ``email``) and has the customer's
    e-mail address (the mail of a sender we do not know yet: staff ask for the phone when
    they verify the caller). Asked by ``Complaint.clean`` (the admin's forms, the services,
    a correction of the channel) and the partner API's serializer."""
    if (customer_phone or "").strip():
        return None
    if channel == Channel.EMAIL and (customer_email or "").strip():
        return None
    return str(PHONE_NEEDED)


class Complaint(CustomerLinked, ConcurrentTransitionMixin, Mergeable, Classified):
    """A complaint. A *repeat* (``complaints.repeats``) is one whose customer had an earlier
    complaint on the same transaction reference or in the same category within
    ``COMPLAINT_REPEAT_WINDOW_DAYS``: ``repeat_of`` is the earliest of them, ``repeat_count``
    the customer's complaints on it in the window, this one included; the repeat rate counts
    the matter once per window, at its second complaint (``repeat_count == 2``)."""

    reference = models.CharField(max_length=30, unique=True, editable=False, verbose_name=_("reference"))
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    state = FSMField(
        default=State.RECEIVED, choices=State.choices, protected=True, db_index=True, verbose_name=_("state")
    )
    turn = models.CharField(max_length=10, choices=Turn.choices, default=Turn.AGENT, verbose_name=_("turn"))
    channel = models.CharField(max_length=20, choices=Channel.choices, verbose_name=_("channel"))
    category = models.CharField(max_length=20, choices=Category.choices, verbose_name=_("category"))
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL, verbose_name=_("priority")
    )

    # Who complains.
    # Indexed, as the phone and account number are, for the changelist's search.
    customer_name = models.CharField(max_length=120, db_index=True, verbose_name=_("customer name"))
    # Blank only under missing_phone_refusal's rule (an e-mail complaint from a sender we
    # do not know yet); a number given is a valid one (the field's validator).
    customer_phone = PhoneNumberField(
        blank=True,
        db_index=True,
        verbose_name=_("customer phone"),
        help_text=_("Needed unless the complaint came by e-mail with the customer's e-mail address."),
    )
    # How the customer is told what happens (issue 16): SMS to the phone unless they chose e-mail.
    customer_email = models.EmailField(blank=True, verbose_name=_("customer e-mail"))
    customer_language = models.CharField(
        max_length=10,
        choices=CustomerLanguage.choices,
        default=CustomerLanguage.ZH_HANS,
        verbose_name=_("customer's language"),
    )
    preferred_channel = models.CharField(
        max_length=10,
        choices=CustomerChannel.choices,
        default=CustomerChannel.SMS,
        verbose_name=_("preferred channel"),
    )
    account_number = models.CharField(
        max_length=32, blank=True, db_index=True, verbose_name=_("account number")
    )
    # Who that is, across every case type (casework.customers): found again whenever the
    # account number, phone or e-mail address change.
    customer = customer_field()
    # Recorded at registration (complaints.repeats), so reports read a column, not a scan.
    repeat_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    # Its default in the database too: rows loaded in bulk (bench/) are not repeats.
    repeat_count = models.PositiveSmallIntegerField(
        default=1, db_default=1, editable=False, verbose_name=_("complaints in the repeat window")
    )
    identity_verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("identity verified at"))
    identity_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("identity verified by"),
    )
    identity_verification_method = models.CharField(
        verbose_name=_("identity verification method"),
        max_length=20,
        choices=VerificationMethod.choices,
        blank=True,
    )

    # What happened.
    description = bounded_text(DESCRIPTION_MAX_LENGTH, verbose_name=_("description"))
    transaction_at = models.DateTimeField(
        null=True, blank=True, validators=[validate_payment_time], verbose_name=_("transaction at")
    )
    amount = AmountField(max_digits=14, decimal_places=2, null=True, blank=True, verbose_name=_("amount"))
    currency = models.CharField(
        max_length=3,
        default="CNY",
        validators=[validate_currency],
        help_text=_("ISO 4217 code, e.g. CNY."),
        verbose_name=_("currency"),
    )
    transaction_reference = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name=_("transaction reference")
    )
    merchant = models.CharField(max_length=120, blank=True, verbose_name=_("merchant"))
    device = models.CharField(
        max_length=120, blank=True, help_text=_("Phone model, OS, app version."), verbose_name=_("device")
    )

    # Who holds it.
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("partner"),
    )
    external_reference = models.CharField(max_length=64, blank=True, verbose_name=_("external reference"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("team")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="registered_complaints",
        verbose_name=_("registered by"),
    )
    escalated_to = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalated_complaints",
        verbose_name=_("escalated to"),
    )
    escalation_reason = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("escalation reason"))
    findings = bounded_text(DESCRIPTION_MAX_LENGTH, blank=True, verbose_name=_("findings"))

    # Time.
    sla_clock = models.OneToOneField(
        SlaClock, on_delete=models.PROTECT, related_name="complaint", verbose_name=_("sla clock")
    )
    # The regime version whose limits it runs under, and what narrows them for this case.
    regime = models.ForeignKey(
        "casework.Regime", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("regime")
    )
    regime_condition = models.CharField(
        max_length=32, choices=RegimeCondition.choices, blank=True, verbose_name=_("regime condition")
    )
    # The clock's next deadline, kept by casework.sla.clocks (never edited, not in the history):
    # the lists, My work and the team view sort and count the open cases by it.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("next deadline"))
    holding_response_at = models.DateTimeField(null=True, blank=True, verbose_name=_("holding response at"))
    holding_response = bounded_text(
        REASON_MAX_LENGTH,
        verbose_name=_("holding response"),
        blank=True,
        help_text=_("Why the answer needs longer, as told to the customer."),
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    # Outcome.
    resolution_code = models.CharField(
        max_length=20, choices=ResolutionCode.choices, blank=True, verbose_name=_("resolution code")
    )
    resolution_summary = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("resolution summary"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    is_first_contact_resolution = models.BooleanField(
        default=False, verbose_name=_("is first contact resolution")
    )
    was_escalated = models.BooleanField(default=False, verbose_name=_("was escalated"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    pseudonymised_at = pseudonymised_at_field()  # retention (casework.privacy.retention)

    history = ChainedHistoricalRecords(excluded_fields=["version", "next_due_at"])

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("verify_identity_complaint", "Can record a caller's identity verification"),
            ("accept_complaint", "Can accept a complaint"),
            ("reject_complaint", "Can reject a complaint"),
            ("start_complaint", "Can start work on a complaint"),
            ("escalate_complaint", "Can escalate a complaint"),
            ("return_findings_complaint", "Can return findings on an escalated complaint"),
            ("wait_for_customer_complaint", "Can put a complaint on hold for the customer"),
            ("customer_replied_complaint", "Can record the customer's reply"),
            ("send_holding_response_complaint", "Can send a holding response"),
            ("approve_extension_complaint", "Can approve or refuse an extension of a complaint's deadline"),
            ("resolve_complaint", "Can resolve a complaint"),
            ("reopen_complaint", "Can reopen a resolved complaint"),
            ("close_complaint", "Can close a resolved complaint"),
            ("withdraw_complaint", "Can withdraw a complaint"),
            ("merge_complaint", "Can merge a duplicate complaint into another"),
            ("assign_complaint", "Can reassign a complaint to another agent or team"),
            ("correct_complaint", "Can correct a complaint's category, priority or channel"),
            ("reply_to_customer_complaint", "Can write to a complaint's customer"),
            ("view_returns", "Can view and download the regulatory returns"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_reference"],
                condition=~Q(external_reference=""),
                name="one_complaint_per_partner_reference",
            ),
            # A backstop: the amount's validator refuses zero and less next to the field.
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="complaint_amount_not_negative",
                violation_error_message=_("The amount cannot be negative."),
            ),
        ]
        indexes = [
            models.Index(fields=["state", "resolved_at"], name="complaint_state_resolved"),
            models.Index(fields=["partner", "created_at"], name="complaint_partner_created"),
            # A customer's complaints by time: repeats and likely duplicates at intake.
            models.Index(fields=["customer", "created_at"], name="complaint_customer_created"),
            # A partner polling for what changed since its last poll (updated_since).
            models.Index(fields=["partner", "updated_at"], name="complaint_partner_updated"),
            # The open cases by next deadline, each way (casework.sla.clocks keeps the column).
            models.Index(
                fields=["next_due_at"], condition=Q(state__in=OPEN_STATES), name="complaint_open_due"
            ),
            models.Index(
                models.F("next_due_at").desc(nulls_last=True),
                condition=Q(state__in=OPEN_STATES),
                name="complaint_open_due_desc",
            ),
            # An e-mail from a sender no case was found for: their earlier complaint, by
            # address whatever its case (customer_email__iexact is UPPER() = UPPER()).
            models.Index(Upper("customer_email"), name="complaint_customer_email_ci"),
            # What each holder holds open: routing's capacity and the team view count by it.
            models.Index(
                fields=["assigned_to"], condition=Q(state__in=OPEN_STATES), name="complaint_open_held"
            ),
            # The full-text search (complaints.search): any part of these, Chinese too.
            trigram_index("description", name="complaint_description_trgm"),
            trigram_index("merchant", name="complaint_merchant_trgm"),
            trigram_index("transaction_reference", name="complaint_txn_reference_trgm"),
            retention_due_index("complaint_retention_due", ended_states=ENDED_STATES, ended_at="updated_at"),
        ]

    def __str__(self) -> str:
        return self.reference or gettext("new complaint")

    def full_clean(self, exclude=None, *args, **kwargs) -> None:
        # What clean() must leave alone: a form's field that failed its own check (a
        # full-width amount) is excluded, and "required" would be a second, wrong refusal.
        self._not_cleaned = set(exclude or ())
        try:
            super().full_clean(exclude, *args, **kwargs)
        finally:
            del self._not_cleaned

    def clean(self) -> None:
        not_cleaned = getattr(self, "_not_cleaned", set())
        missing = {
            name: gettext("Required for a complaint about a %(category)s.")
            % {"category": self.get_category_display()}
            for name in REQUIRED_DETAILS.get(self.category, ())
            if name not in not_cleaned and getattr(self, name) in (None, "")
        }
        phone_refusal = missing_phone_refusal(self.channel, self.customer_phone, self.customer_email)
        if phone_refusal and not {"customer_phone", "customer_email"} & not_cleaned:
            missing["customer_phone"] = phone_refusal
        if missing:
            raise ValidationError(missing)
        refusal = email_channel_refusal(self.preferred_channel, self.customer_email)
        if refusal and not {"customer_email", "preferred_channel"} & not_cleaned:
            raise ValidationError({"customer_email": refusal})
        # The currency's minor units: known only with both fields, each valid on its own.
        if isinstance(self.amount, Decimal) and self.currency and not {"amount", "currency"} & not_cleaned:
            try:
                validate_currency(self.currency)
            except ValidationError:
                return  # refused on the currency itself
            try:
                validate_decimal_places(self.amount, self.currency)
            except ValidationError as error:
                raise ValidationError({"amount": error}) from error

    @property
    def reopen_deadline(self) -> dt.datetime | None:
        if self.resolved_at is None:
            return None
        return self.resolved_at + dt.timedelta(days=settings.COMPLAINT_REOPEN_WINDOW_DAYS)

    customer_key_fields = ("account_number", "customer_phone", "customer_email")

    def customer_keys(self):
        return keys_of(
            account_number=self.account_number, phone=self.customer_phone, email=self.customer_email
        )

    @property
    def has_phone(self) -> bool:
        """Whether the customer's phone is known (an e-mail complaint may wait for it)."""
        return bool(self.customer_phone)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # The state machine. Side effects (clock, notices) live in services.

    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.ACCEPTED,
        conditions=[identity_is_verified],
        permission="complaints.accept_complaint",
        custom={"label": _("Accept")},
    )
    def accept(self) -> None:
        self.turn = Turn.AGENT

    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.REJECTED,
        permission="complaints.reject_complaint",
        custom={"label": _("Reject")},
    )
    def reject(self) -> None:
        self.turn = Turn.NOBODY

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.IN_PROGRESS,
        permission="complaints.start_complaint",
        custom={"label": _("Start work")},
    )
    def start(self) -> None:
        self.turn = Turn.AGENT

    @transition(
        field=state,
        source=[State.ACCEPTED, State.IN_PROGRESS],
        target=State.ESCALATED,
        permission="complaints.escalate_complaint",
        custom={"label": _("Escalate")},
    )
    def escalate(self, *, team: Team, reason: str) -> None:
        self.escalated_to = team
        self.escalation_reason = reason
        self.was_escalated = True
        self.turn = Turn.TEAM

    @transition(
        field=state,
        source=State.ESCALATED,
        target=State.IN_PROGRESS,
        permission=may_return_findings,
        custom={"label": _("Return findings")},
    )
    def return_findings(self, *, findings: str) -> None:
        self.findings = findings
        self.turn = Turn.AGENT

    @transition(
        field=state,
        source=[State.IN_PROGRESS, State.ESCALATED],
        target=State.AWAITING_CUSTOMER,
        permission="complaints.wait_for_customer_complaint",
        custom={"label": _("Wait for customer")},
    )
    def wait_for_customer(self) -> None:
        self.turn = Turn.CUSTOMER

    @transition(
        field=state,
        source=State.AWAITING_CUSTOMER,
        target=State.IN_PROGRESS,
        permission="complaints.customer_replied_complaint",
        custom={"label": _("Customer replied")},
    )
    def customer_replied(self) -> None:
        self.turn = Turn.AGENT

    @transition(
        field=state,
        source=[State.ACCEPTED, State.IN_PROGRESS, State.ESCALATED],
        target=State.RESOLVED,
        permission="complaints.resolve_complaint",
        custom={"label": _("Resolve")},
    )
    def resolve(self, *, code: str, summary: str, is_first_contact: bool) -> None:
        self.resolution_code = code
        self.resolution_summary = summary
        self.resolved_at = timezone.now()
        self.is_first_contact_resolution = is_first_contact
        self.turn = Turn.NOBODY

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.IN_PROGRESS,
        conditions=[within_reopen_window],
        permission="complaints.reopen_complaint",
        custom={"label": _("Reopen")},
    )
    def reopen(self) -> None:
        self.resolved_at = None
        self.is_first_contact_resolution = False
        self.turn = Turn.AGENT

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.CLOSED,
        permission="complaints.close_complaint",
        custom={"label": _("Close")},
    )
    def close(self) -> None:
        self.closed_at = timezone.now()
        self.turn = Turn.NOBODY

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=State.WITHDRAWN,
        permission="complaints.withdraw_complaint",
        custom={"label": _("Withdraw")},
    )
    def withdraw(self) -> None:
        self.turn = Turn.NOBODY
