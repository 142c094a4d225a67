"""The reasons refund cases' services write into the trail, as codes
(``casework.trail.reasons``): stored once, read in each reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from casework.trail import reasons

from .models import EvidenceKind

REVIEW_STARTED = reasons.register("refunds.review_started", _("Review started"))
HANDLED_BY = reasons.register("refunds.handled_by", _("Handled by %(handler)s"))
EVIDENCE_RECEIVED = reasons.register("refunds.evidence_received", _("Evidence received"))
# A piece of evidence added without a note says what it is.
EVIDENCE_ADDED = reasons.register(
    "refunds.evidence_added", _("%(kind)s added"), choices={"kind": EvidenceKind}
)
EVIDENCE_KIND_RECEIVED = reasons.register(
    "refunds.evidence_kind_received", _("%(kind)s received"), choices={"kind": EvidenceKind}
)
APPROVED = reasons.register("refunds.approved", _("Approved %(amount)s"))
FIRST_APPROVAL = reasons.register(
    "refunds.first_approval", _("First approval of %(amount)s; a second person must approve")
)
SUBMITTED = reasons.register("refunds.submitted", _("Submitted %(amount)s to payments"))
CANCELLED = reasons.register("refunds.cancelled", _("Cancelled at the customer's request"))
PAYMENT_RETRIED = reasons.register("refunds.payment_retried", _("Payment retried after the reported failure"))
SETTLED = reasons.register("refunds.settled", _("Settled by payments as %(reference)s"))
PAYMENT_FAILED = reasons.register("refunds.payment_failed", _("Payment failed: %(error)s"))
REFUNDED = reasons.register(
    "refunds.refunded",
    _("Refunded %(money)s through %(case)s (payments reference %(processor_reference)s)."),
)
FAILED_AT_PAYMENTS = reasons.register(
    "refunds.failed_at_payments",
    _("Refund %(case)s failed at payments: %(error)s. Tell the customer; retry or reconsider."),
)
PROVISIONAL_CREDIT_OPENED = reasons.register(
    "refunds.provisional_credit_opened",
    _("Provisional credit of %(amount)s sent to payments; due %(due)s"),
)
PROVISIONAL_CREDITED = reasons.register(
    "refunds.provisionally_credited",
    _("Provisionally credited %(amount)s (payments reference %(reference)s)"),
)
PROVISIONAL_CREDITED_LATE = reasons.register(
    "refunds.provisionally_credited_late",
    _(
        "Provisionally credited %(amount)s (payments reference %(reference)s), late: it was due "
        "%(due)s, so the longer investigation limit is closed"
    ),
)
PROVISIONAL_CREDIT_FINAL = reasons.register(
    "refunds.provisional_credit_final", _("Provisional credit of %(amount)s made final: the error was found")
)
PROVISIONAL_CREDIT_FINAL_ON_SETTLEMENT = reasons.register(
    "refunds.provisional_credit_final_on_settlement",
    _("Provisional credit of %(amount)s made final: refund %(case)s settled"),
)
