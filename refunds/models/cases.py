"""A refund case: its states, the refund asked for, the decision with four eyes above a
threshold (what it counts, who may approve), and the state machine."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from casework.cases.transitions import condition
from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, STATEMENT_MAX_LENGTH, bounded_text
from casework.customers.identity import CustomerLinked, customer_field
from casework.models import Partner, SlaClock
from casework.models.retention import pseudonymised_at_field, retention_due_index

from ..money import format_money, in_minor_units
from .payments import PaymentTransaction, money_field


class RefundType(models.TextChoices):
    NOT_RECEIVED = "not_received", _("goods or service not received")
    RETURNED = "returned", _("goods returned")
    DUPLICATE_CHARGE = "duplicate_charge", _("charged twice")
    FAILED_PAYMENT = "failed_payment", _("debited, but the payment failed")
    UNAUTHORISED = "unauthorised", _("payment the customer did not authorise")
    OTHER = "other", _("other")


class RefundState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    UNDER_REVIEW = "under_review", _("under review")
    AWAITING_EVIDENCE = "awaiting_evidence", _("awaiting evidence")
    APPROVED = "approved", _("approved")
    PROCESSING = "processing", _("processing")
    REFUNDED = "refunded", _("refunded")
    # "failed" alone is another app's verification outcome: this one is the payment's.
    FAILED = "failed", pgettext_lazy("payment", "failed")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


OPEN_REFUND_STATES = (
    RefundState.REQUESTED,
    RefundState.UNDER_REVIEW,
    RefundState.AWAITING_EVIDENCE,
    RefundState.APPROVED,
    RefundState.PROCESSING,
    RefundState.FAILED,
)
# The ends a refund case never leaves: retention's period runs from them.
ENDED_REFUND_STATES = (RefundState.REFUNDED, RefundState.REJECTED, RefundState.CANCELLED)
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


# What four eyes counts besides the case itself: money other cases have decided to pay
# (approved, with payments, paid, or failed there and retried at will), and money one
# person approved on a case that waits for its second approval (under review with a first
# approval), so splitting a refund into cases below the threshold still takes two people.
DECIDED_STATES = (RefundState.APPROVED, RefundState.PROCESSING, RefundState.REFUNDED, RefundState.FAILED)


def _decided(cases: models.QuerySet) -> models.QuerySet:
    return cases.filter(
        Q(state__in=DECIDED_STATES) | Q(state=RefundState.UNDER_REVIEW, first_approved_by__isnull=False)
    )


def _total(cases: models.QuerySet) -> Decimal:
    total = cases.aggregate(total=Sum(Coalesce("approved_amount", "requested_amount")))["total"]
    return total or Decimal(0)


def customer_of(case: RefundCase) -> Q | None:
    """The refund cases of the same customer, as far as the back office knows who it is.

    A case knows its customer through the complaint it came from (the customer's phone, or
    their e-mail address while the complaint has no phone yet, and the wallet account when
    the complaint names one: a blank phone is nobody's). A case opened without a complaint
    (by a partner, or staff on the transaction alone) counts per transaction only.
    """
    complaint = case.complaint
    if complaint is None:
        return None
    if complaint.customer_phone:
        same = Q(complaint__customer_phone=complaint.customer_phone)
    else:
        same = Q(complaint__customer_email__iexact=complaint.customer_email.strip())
    if complaint.account_number:
        same |= Q(complaint__account_number=complaint.account_number)
    return same


def customer_lock_keys(case: RefundCase) -> list[str]:
    """What approvals for one customer serialise on (see services.approve_refund): each
    thing ``customer_of`` matches by, in one order for every caller."""
    complaint = case.complaint
    if complaint is None:
        return []
    if complaint.customer_phone:
        keys = {f"phone:{complaint.customer_phone}"}
    else:
        keys = {f"email:{complaint.customer_email.strip().lower()}"}
    if complaint.account_number:
        keys.add(f"account:{complaint.account_number}")
    return sorted(keys)


@dataclasses.dataclass(frozen=True)
class FourEyes:
    """Whether approving ``amount`` on a case needs a second person, and why in words."""

    needed: bool
    reason: str = ""


def four_eyes(case: RefundCase, amount: Decimal | None = None) -> FourEyes:
    """Four eyes for approving ``amount`` (default: what the case holds) on ``case``.

    Counted: the amount, plus what is decided on the same original transaction (ever),
    plus what is decided for the same customer in the same currency within
    ``REFUND_FOUR_EYES_WINDOW_DAYS`` of its (first) approval. Above the currency's
    threshold on either count, a second person approves. Read under the transaction's
    row lock (and the customer's lock) for the answer to hold when the approval is made.
    """
    amount = amount if amount is not None else (case.approved_amount or case.requested_amount)
    currency = case.currency
    threshold = four_eyes_threshold(currency)
    if threshold is None:
        return FourEyes(
            True, gettext("Every %(currency)s refund needs a second approver.") % {"currency": currency}
        )
    said = {"amount": format_money(amount, currency), "threshold": format_money(threshold, currency)}
    if amount > threshold:
        return FourEyes(
            True,
            gettext("%(amount)s is above the %(threshold)s threshold: a second approver is needed.") % said,
        )
    others = _decided(RefundCase.objects.exclude(pk=case.pk))
    on_transaction = amount + _total(others.filter(transaction_id=case.transaction_id))
    if on_transaction > threshold:
        said["total"] = format_money(on_transaction, currency)
        return FourEyes(
            True,
            gettext(
                "%(total)s approved or paid on this transaction with this case is above the "
                "%(threshold)s threshold: a second approver is needed."
            )
            % said,
        )
    customer = customer_of(case)
    if customer is not None:
        days = settings.REFUND_FOUR_EYES_WINDOW_DAYS
        since = timezone.now() - dt.timedelta(days=days)
        for_customer = amount + _total(
            others.filter(customer, transaction__currency=currency)
            .annotate(decided_at=Coalesce("approved_at", "first_approved_at"))
            .filter(decided_at__gte=since)
        )
        if for_customer > threshold:
            said.update(total=format_money(for_customer, currency), days=days)
            return FourEyes(
                True,
                ngettext(
                    "%(total)s approved or paid to this customer in the last %(days)s day with this "
                    "case is above the %(threshold)s threshold: a second approver is needed.",
                    "%(total)s approved or paid to this customer in the last %(days)s days with this "
                    "case is above the %(threshold)s threshold: a second approver is needed.",
                    days,
                )
                % said,
            )
    return FourEyes(False)


def four_eyes_refusal(case: RefundCase) -> str:
    """What a single approval of ``case`` is refused with, and the approve button says."""
    return gettext("Four eyes: %(reason)s") % {"reason": four_eyes(case).reason}


@condition(four_eyes_refusal)
def has_first_approval_if_large(case: RefundCase) -> bool:
    return case.first_approved_by_id is not None or not four_eyes(case).needed


def approval_refusal(case: RefundCase, user) -> str | None:
    """Why ``user`` may not give the (final) approval, or ``None`` if they may.

    Nobody approves a case they opened (a case a partner or the payments system opened has
    no staff opener), nor gives both approvals of one case.
    """
    if not user.has_perm("refunds.approve_refundcase"):
        return gettext("You do not have permission to approve refunds.")
    if case.submitted_by_id == user.pk:
        return gettext(
            "Four eyes: you opened this refund case, so someone else from the refunds desk "
            "or a supervisor must approve it."
        )
    if case.first_approved_by_id is not None and case.first_approved_by_id == user.pk:
        return gettext(
            "Four eyes: you gave the first approval, so someone else from the refunds desk "
            "or a supervisor must give the second."
        )
    return None


def may_approve(case: RefundCase, user) -> bool:
    return approval_refusal(case, user) is None


may_approve.refusal = approval_refusal


# Written only by the reminder sweep and the services' UPDATEs, never by a case's save.
SWEEP_FIELDS = ("next_reminder_at", "reminders_sent")


class RefundCase(CustomerLinked, ConcurrentTransitionMixin, models.Model):
    """A customer's claim to money back on one transaction."""

    reference = models.CharField(max_length=30, unique=True, editable=False, verbose_name=_("reference"))
    version = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("version"))
    state = FSMField(
        default=RefundState.REQUESTED,
        choices=RefundState.choices,
        protected=True,
        db_index=True,
        verbose_name=_("state"),
    )
    refund_type = models.CharField(max_length=20, choices=RefundType.choices, verbose_name=_("refund type"))
    transaction = models.ForeignKey(
        PaymentTransaction,
        on_delete=models.PROTECT,
        related_name="refund_cases",
        verbose_name=_("transaction"),
    )
    requested_amount = money_field(
        help_text=_("What the customer asks for; partial refunds are allowed."),
        verbose_name=_("requested amount"),
    )
    approved_amount = money_field(
        null=True,
        blank=True,
        help_text=_("What was approved; at most the request."),
        verbose_name=_("approved amount"),
    )
    reason = bounded_text(
        STATEMENT_MAX_LENGTH,
        help_text=_("Why the customer asks for the money back."),
        verbose_name=_("reason"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handler"),
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund_cases",
        verbose_name=_("complaint"),
    )
    # The complaint's customer (casework.customers), when the case came from one.
    customer = customer_field()
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refund_cases",
        verbose_name=_("partner"),
    )
    external_reference = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name=_("external reference")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    evidence_requested = bounded_text(
        REASON_MAX_LENGTH,
        blank=True,
        help_text=_("What the customer was asked to send."),
        verbose_name=_("evidence requested"),
    )
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("first approved by"),
    )
    first_approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first approved at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("approved at"))
    processor_reference = models.CharField(max_length=64, blank=True, verbose_name=_("processor reference"))
    settled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("settled at"))
    failure_reason = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("failure reason"))
    rejection_reason = bounded_text(REASON_MAX_LENGTH, blank=True, verbose_name=_("rejection reason"))
    sla_clock = models.OneToOneField(
        SlaClock,
        on_delete=models.PROTECT,
        related_name="refund_case",
        help_text=_("The refund deadline: paused while evidence is awaited; lateness stays after settling."),
        verbose_name=_("sla clock"),
    )
    # The clock's next deadline, kept by casework.sla.clocks (never edited, not in the history):
    # the lists, My work and the team view sort and count the open cases by it.
    next_due_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("next deadline"))
    next_reminder_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("next reminder at")
    )
    reminders_sent = models.PositiveSmallIntegerField(
        default=0, editable=False, verbose_name=_("reminders sent")
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    pseudonymised_at = pseudonymised_at_field()  # retention (casework.privacy.retention)
    history = ChainedHistoricalRecords(
        excluded_fields=["version", "next_due_at", "next_reminder_at", "reminders_sent"]
    )

    class Meta:
        verbose_name = _("refund case")
        verbose_name_plural = _("refund cases")
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
            # Backstops: the amounts' validators and the services refuse these next to the field.
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0),
                name="refund_requested_positive",
                violation_error_message=_("The requested amount must be more than zero."),
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=models.F("requested_amount"))),
                name="refund_approved_within_request",
                violation_error_message=_(
                    "The approved amount must be more than zero and at most the request."
                ),
            ),
            models.UniqueConstraint(
                fields=["partner", "external_reference"],
                condition=~Q(external_reference=""),
                name="one_refund_case_per_partner_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="refundcase_state_created"),
            retention_due_index(
                "refundcase_retention_due", ended_states=ENDED_REFUND_STATES, ended_at="updated_at"
            ),
            # A partner's list, newest first (the API's cursor order).
            models.Index(fields=["partner", "created_at"], name="refundcase_partner_created"),
            # A partner polling for what changed since its last poll (updated_since).
            models.Index(fields=["partner", "updated_at"], name="refundcase_partner_updated"),
            models.Index(
                fields=["next_reminder_at"],
                condition=Q(next_reminder_at__isnull=False),
                name="refundcase_reminder_due",
            ),
            # The open cases by next deadline, each way (casework.sla.clocks keeps the column).
            models.Index(
                fields=["next_due_at"], condition=Q(state__in=OPEN_REFUND_STATES), name="refundcase_open_due"
            ),
            models.Index(
                models.F("next_due_at").desc(nulls_last=True),
                condition=Q(state__in=OPEN_REFUND_STATES),
                name="refundcase_open_due_desc",
            ),
            # What each handler holds open: routing's capacity and the team view count by it.
            models.Index(
                fields=["handler"], condition=Q(state__in=OPEN_REFUND_STATES), name="refundcase_open_held"
            ),
        ]

    def __str__(self) -> str:
        return self.reference or gettext("new refund case")

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

    def found_customer(self):
        return self.complaint.customer if self.complaint_id else None

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
        custom={"label": _("Start review")},
    )
    def start_review(self, *, handler) -> None:
        self.handler = self.handler or handler

    @transition(
        field=state,
        source=RefundState.UNDER_REVIEW,
        target=RefundState.AWAITING_EVIDENCE,
        permission="refunds.review_refundcase",
        custom={"label": _("Request evidence")},
    )
    def request_evidence(self, *, what: str) -> None:
        self.evidence_requested = what

    @transition(
        field=state,
        source=RefundState.AWAITING_EVIDENCE,
        target=RefundState.UNDER_REVIEW,
        permission="refunds.review_refundcase",
        custom={"label": _("Evidence received")},
    )
    def evidence_received(self) -> None:
        pass

    @transition(
        field=state,
        source=RefundState.UNDER_REVIEW,
        target=RefundState.APPROVED,
        conditions=[has_first_approval_if_large],
        permission=may_approve,
        custom={"label": _("Approve")},
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
        custom={"label": _("Submit to payments")},
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
        custom={"label": _("Retry payment")},
    )
    def retry(self) -> None:
        pass

    @transition(
        field=state,
        source=[RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.AWAITING_EVIDENCE],
        target=RefundState.REJECTED,
        permission="refunds.reject_refundcase",
        custom={"label": _("Reject")},
    )
    def reject(self, *, reason: str) -> None:
        self.rejection_reason = reason

    @transition(
        field=state,
        source=CANCELLABLE_STATES,
        target=RefundState.CANCELLED,
        permission="refunds.cancel_refundcase",
        custom={"label": _("Cancel")},
    )
    def cancel(self) -> None:
        pass
