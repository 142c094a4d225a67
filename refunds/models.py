"""Refund cases: the original transaction, the refund asked for, its evidence, the
decision (with four eyes above a threshold) and the payment instructions that pay it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from simple_history.models import HistoricalRecords

from casework.evidence import EVIDENCE_EXTENSIONS
from casework.models import Partner, SlaClock
from casework.transitions import condition

from .money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS, format_money, in_minor_units


def money_field(**options) -> models.DecimalField:
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **options)


class PaymentTransaction(models.Model):
    """The customer's original payment, as the wallet recorded it; refunds count against it."""

    reference = models.CharField(max_length=64, unique=True)
    merchant = models.CharField(max_length=120)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-paid_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive")]

    def __str__(self) -> str:
        return f"{self.reference} ({format_money(self.amount, self.currency)} at {self.merchant})"


class RefundType(models.TextChoices):
    NOT_RECEIVED = "not_received", "goods or service not received"
    RETURNED = "returned", "goods returned"
    DUPLICATE_CHARGE = "duplicate_charge", "charged twice"
    FAILED_PAYMENT = "failed_payment", "debited, but the payment failed"
    UNAUTHORISED = "unauthorised", "payment the customer did not authorise"
    OTHER = "other", "other"


class RefundState(models.TextChoices):
    REQUESTED = "requested", "requested"
    UNDER_REVIEW = "under_review", "under review"
    AWAITING_EVIDENCE = "awaiting_evidence", "awaiting evidence"
    APPROVED = "approved", "approved"
    PROCESSING = "processing", "processing"
    REFUNDED = "refunded", "refunded"
    FAILED = "failed", "failed"
    REJECTED = "rejected", "rejected"
    CANCELLED = "cancelled", "cancelled"


OPEN_REFUND_STATES = (
    RefundState.REQUESTED,
    RefundState.UNDER_REVIEW,
    RefundState.AWAITING_EVIDENCE,
    RefundState.APPROVED,
    RefundState.PROCESSING,
    RefundState.FAILED,
)
# What no longer holds any of the transaction's refundable amount.
RELEASED_STATES = (RefundState.REJECTED, RefundState.CANCELLED)
# The money is with the payments system: nothing may change under it.
CANCELLABLE_STATES = [
    RefundState.REQUESTED,
    RefundState.UNDER_REVIEW,
    RefundState.AWAITING_EVIDENCE,
    RefundState.APPROVED,
    RefundState.FAILED,
]


def four_eyes_threshold(currency: str) -> Decimal | None:
    """Approvals above this need a second person; ``None``: every approval does."""
    value = settings.REFUND_FOUR_EYES_THRESHOLDS.get(currency)
    return Decimal(value) if value is not None else None


def needs_second_approval(amount: Decimal, currency: str) -> bool:
    threshold = four_eyes_threshold(currency)
    return threshold is None or amount > threshold


@condition(
    "Four eyes: this amount is above the threshold, so it needs a first approval by one person "
    "and a second by another."
)
def has_first_approval_if_large(case: RefundCase) -> bool:
    amount = case.approved_amount or case.requested_amount
    return not needs_second_approval(amount, case.currency) or case.first_approved_by_id is not None


def approval_refusal(case: RefundCase, user) -> str | None:
    """Why ``user`` may not give the (final) approval, or ``None`` if they may."""
    if not user.has_perm("refunds.approve_refundcase"):
        return "You do not have permission to approve refunds."
    if case.first_approved_by_id is not None and case.first_approved_by_id == user.pk:
        return (
            "Four eyes: you gave the first approval, so someone else from the refunds desk "
            "or a supervisor must give the second."
        )
    return None


def may_approve(case: RefundCase, user) -> bool:
    return approval_refusal(case, user) is None


may_approve.refusal = approval_refusal


# Written only by the reminder sweep and the services' UPDATEs, never by a case's save.
SWEEP_FIELDS = ("next_reminder_at", "reminders_sent")


class RefundCase(ConcurrentTransitionMixin, models.Model):
    """A customer's claim to money back on one transaction."""

    reference = models.CharField(max_length=30, unique=True, editable=False)
    version = models.PositiveIntegerField(default=0, editable=False)
    state = FSMField(
        default=RefundState.REQUESTED, choices=RefundState.choices, protected=True, db_index=True
    )
    refund_type = models.CharField(max_length=20, choices=RefundType.choices)
    transaction = models.ForeignKey(PaymentTransaction, on_delete=models.PROTECT, related_name="refund_cases")
    requested_amount = money_field(help_text="What the customer asks for; partial refunds are allowed.")
    approved_amount = money_field(null=True, blank=True, help_text="What was approved; at most the request.")
    reason = models.TextField(help_text="Why the customer asks for the money back.")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.PROTECT, related_name="refund_cases"
    )
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="refund_cases"
    )
    external_reference = models.CharField(max_length=64, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evidence_requested = models.TextField(blank=True, help_text="What the customer was asked to send.")
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    processor_reference = models.CharField(max_length=64, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)
    sla_clock = models.OneToOneField(
        SlaClock,
        on_delete=models.PROTECT,
        related_name="refund_case",
        help_text="The refund deadline: paused while evidence is awaited; lateness stays after settling.",
    )
    next_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["version", "next_reminder_at", "reminders_sent"])

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("review_refundcase", "Can review refund cases and ask for evidence"),
            ("approve_refundcase", "Can approve refunds (first or second approval)"),
            ("submit_refundcase", "Can submit approved refunds to payments, and retry failed ones"),
            ("reject_refundcase", "Can reject refund cases"),
            ("cancel_refundcase", "Can cancel refund cases"),
            ("assign_refundcase", "Can assign refund cases to a handler"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(requested_amount__gt=0), name="refund_requested_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=models.F("requested_amount"))),
                name="refund_approved_within_request",
            ),
            models.UniqueConstraint(
                fields=["partner", "external_reference"],
                condition=~Q(external_reference=""),
                name="one_refund_case_per_partner_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="refundcase_state_created"),
            # A partner's list, newest first (the API's cursor order).
            models.Index(fields=["partner", "created_at"], name="refundcase_partner_created"),
            # A partner polling for what changed since its last poll (updated_since).
            models.Index(fields=["partner", "updated_at"], name="refundcase_partner_updated"),
            models.Index(
                fields=["next_reminder_at"],
                condition=Q(next_reminder_at__isnull=False),
                name="refundcase_reminder_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or "new refund case"

    def save(self, *args, **kwargs) -> None:
        # The sweep owns the reminder fields and writes them with UPDATE: a save from a copy
        # read before the sweep must not put its old values back.
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in SWEEP_FIELDS
            ]
        super().save(*args, **kwargs)

    @property
    def currency(self) -> str:
        return self.transaction.currency

    @property
    def amount_to_pay(self) -> Decimal:
        return in_minor_units(self.approved_amount or self.requested_amount, self.currency)

    @property
    def amount_display(self) -> str:
        return format_money(self.amount_to_pay, self.currency)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_REFUND_STATES

    @property
    def awaits_second_approval(self) -> bool:
        return self.state == RefundState.UNDER_REVIEW and self.first_approved_by_id is not None

    @transition(
        field=state,
        source=RefundState.REQUESTED,
        target=RefundState.UNDER_REVIEW,
        permission="refunds.review_refundcase",
        custom={"label": "Start review"},
    )
    def start_review(self, *, handler) -> None:
        self.handler = self.handler or handler

    @transition(
        field=state,
        source=RefundState.UNDER_REVIEW,
        target=RefundState.AWAITING_EVIDENCE,
        permission="refunds.review_refundcase",
        custom={"label": "Request evidence"},
    )
    def request_evidence(self, *, what: str) -> None:
        self.evidence_requested = what

    @transition(
        field=state,
        source=RefundState.AWAITING_EVIDENCE,
        target=RefundState.UNDER_REVIEW,
        permission="refunds.review_refundcase",
        custom={"label": "Evidence received"},
    )
    def evidence_received(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.UNDER_REVIEW,
        target=RefundState.APPROVED,
        conditions=[has_first_approval_if_large],
        permission=may_approve,
        custom={"label": "Approve"},
    )
    def approve(self, *, amount: Decimal, by) -> None:
        self.approved_amount = amount
        self.approved_by = by
        self.approved_at = timezone.now()

    @transition(
        field=state,
        source=RefundState.APPROVED,
        target=RefundState.PROCESSING,
        permission="refunds.submit_refundcase",
        custom={"label": "Submit to payments"},
    )
    def submit_to_payments(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.PROCESSING,
        target=RefundState.REFUNDED,
        custom={"admin": False},
    )
    def settle(self, *, processor_reference: str) -> None:
        self.processor_reference = processor_reference
        self.settled_at = timezone.now()
        self.failure_reason = ""

    @transition(
        field=state,
        source=RefundState.PROCESSING,
        target=RefundState.FAILED,
        custom={"admin": False},
    )
    def fail(self, *, error: str) -> None:
        self.failure_reason = error

    @transition(
        field=state,
        source=RefundState.FAILED,
        target=RefundState.PROCESSING,
        permission="refunds.submit_refundcase",
        custom={"label": "Retry payment"},
    )
    def retry(self) -> None:
        pass

    @transition(
        field=state,
        source=[RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.AWAITING_EVIDENCE],
        target=RefundState.REJECTED,
        permission="refunds.reject_refundcase",
        custom={"label": "Reject"},
    )
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason

    @transition(
        field=state,
        source=CANCELLABLE_STATES,
        target=RefundState.CANCELLED,
        permission="refunds.cancel_refundcase",
        custom={"label": "Cancel"},
    )
    def cancel(self) -> None:
        pass


class EvidenceKind(models.TextChoices):
    PAYMENT_VOUCHER = "payment_voucher", "payment voucher"
    PROOF_OF_GOODS = "proof_of_goods", "proof of goods or delivery"
    CHAT_SCREENSHOT = "chat_screenshot", "chat screenshot"
    OTHER = "other", "other"


def evidence_path(instance: RefundEvidence, filename: str) -> str:
    return f"refunds/{instance.case.reference}/{filename}"


class RefundEvidence(models.Model):
    """One file the customer or staff sent for the refund."""

    case = models.ForeignKey(RefundCase, on_delete=models.PROTECT, related_name="evidence")
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    file = models.FileField(
        upload_to=evidence_path,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text="Scan, photo or screenshot (PDF, JPEG, PNG).",
    )
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "refund evidence"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file.name.rpartition('/')[2]}"


class InstructionStatus(models.TextChoices):
    SENT = "sent", "sent, awaiting the report"
    SETTLED = "settled", "settled"
    FAILED = "failed", "failed"


class PaymentInstruction(models.Model):
    """One order to the payments system to pay a refund; one per attempt, never two.

    The idempotency key travels with it; the payments system pays each key once and
    reports back on the API under the same key.
    """

    case = models.ForeignKey(RefundCase, on_delete=models.PROTECT, related_name="instructions")
    attempt = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=80, unique=True)
    amount = money_field()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        max_length=10, choices=InstructionStatus.choices, default=InstructionStatus.SENT
    )
    processor_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "attempt"]
        permissions = [("report_settlement", "Can report the settlement of payment instructions")]
        constraints = [
            models.UniqueConstraint(fields=["case", "attempt"], name="one_instruction_per_attempt"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instruction_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key
