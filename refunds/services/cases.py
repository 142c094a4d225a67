"""Opening a refund case and working it to a decision: the original transaction and
what is still refundable on it, review, evidence, approval (four eyes), rejection and
cancellation.

Money is checked against the original transaction under its row lock: two cases on
one transaction, opened or approved at the same moment, cannot together refund more
than was paid.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.opening import open_case, refuse_invalid_fields, refuse_reused_partner_reference, require
from casework.cases.transitions import (
    PermittedStep,
    PermittedTransition,
    permitted_step,
    permitted_transition,
    require_permission,
    run_step,
    run_transition,
)
from casework.core.actors import Actor
from casework.core.errors import CaseworkError, InvalidInput, PermissionRefused, TransitionRefused
from casework.core.evidence import check_evidence_file, discard_file_of
from casework.models import CaseType, Partner
from casework.routing.assignment import route
from casework.sla import clocks
from complaints.models import Category as ComplaintCategory
from complaints.models import Complaint

from .. import reasons
from ..models import (
    RELEASED_STATES,
    EvidenceKind,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    RefundState,
    RefundType,
    approval_refusal,
    customer_lock_keys,
    four_eyes,
)
from ..money import check_amount, check_currency, format_money
from .clock import clear_reminder, schedule_reminder
from .endings import end_case

REFERENCE_PREFIX = "RFD"
# The first key of the advisory locks approvals of one customer's refunds take (any
# constant no other lock in this database uses).
CUSTOMER_LOCK_SPACE = 4_801_001
EVIDENCE_STATES = (RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.AWAITING_EVIDENCE)


# The original transaction and what is left to refund on it.


def refundable_amount(payment: PaymentTransaction, *, excluding: RefundCase | None = None) -> Decimal:
    """What is paid and not yet held by a refund case (open or paid), ``excluding`` one."""
    cases = payment.refund_cases.exclude(state__in=RELEASED_STATES)
    if excluding is not None:
        cases = cases.exclude(pk=excluding.pk)
    held = cases.aggregate(total=Coalesce(Sum(Coalesce("approved_amount", "requested_amount")), Decimal(0)))[
        "total"
    ]
    return payment.amount - held


def _transaction_for(
    *, reference: str, merchant: str, amount, currency: str, paid_at: dt.datetime | None, partner=None
) -> PaymentTransaction:
    """The transaction under its row lock; recorded on first sight, checked against after.

    A partner is told that its details do not match the payment on record, never what
    the record says: references are not to be probed.
    """
    require(reference, "transaction_reference", _("Give the original transaction's reference."))
    reference = reference.strip()
    existing = PaymentTransaction.objects.select_for_update().filter(reference=reference).first()
    if existing is None:
        require(merchant, "merchant", _("Give the merchant the customer paid."))
        require(paid_at, "paid_at", _("Give when the customer paid."))
        code = check_currency(currency)
        payment = PaymentTransaction(
            reference=reference,
            merchant=merchant.strip(),
            amount=check_amount(amount, code, field="transaction_amount"),
            currency=code,
            paid_at=paid_at,
        )
        refuse_invalid_fields(
            payment, {"reference": "transaction_reference", "merchant": "merchant", "paid_at": "paid_at"}
        )
        try:
            with transaction.atomic():
                payment.save()
            # Locked for the rest of the caller's transaction, like a payment found.
            return PaymentTransaction.objects.select_for_update().get(pk=payment.pk)
        except IntegrityError:
            # Recorded by a case opened at the same moment: its row is committed now.
            existing = PaymentTransaction.objects.select_for_update().get(reference=reference)
    _check_matches(existing, merchant=merchant, amount=amount, currency=currency, partner=partner)
    return existing


def _normal(name: str) -> str:
    return " ".join(name.split()).casefold()


def _check_matches(existing: PaymentTransaction, *, merchant: str, amount, currency: str, partner) -> None:
    # A partner is not told what the record says; staff are.
    said = {
        "reference": existing.reference,
        "currency": existing.currency,
        "amount": format_money(existing.amount, existing.currency),
        "merchant": existing.merchant,
    }
    if currency and check_currency(currency) != existing.currency:
        message = (
            _("The currency does not match the payment on record for %(reference)s.")
            if partner
            else _(
                "The currency does not match the payment on record for %(reference)s: "
                "it was paid in %(currency)s."
            )
        )
        raise InvalidInput(message % said, field="currency")
    if amount not in (None, "") and check_amount(amount, existing.currency, field="transaction_amount") != (
        existing.amount
    ):
        message = (
            _("The amount does not match the payment on record for %(reference)s.")
            if partner
            else _(
                "The amount does not match the payment on record for %(reference)s: it was for %(amount)s."
            )
        )
        raise InvalidInput(message % said, field="transaction_amount")
    if merchant and _normal(merchant) != _normal(existing.merchant):
        message = (
            _("The merchant does not match the payment on record for %(reference)s.")
            if partner
            else _(
                "The merchant does not match the payment on record for %(reference)s: "
                "it was paid to %(merchant)s."
            )
        )
        raise InvalidInput(message % said, field="merchant")


def _check_within_refundable(
    payment: PaymentTransaction, amount: Decimal, *, field: str, case=None, partner=None
) -> None:
    left = refundable_amount(payment, excluding=case)
    if amount <= left:
        return
    said = {
        "amount": format_money(amount, payment.currency),
        "reference": payment.reference,
        "left": format_money(max(left, Decimal(0)), payment.currency),
        "paid": format_money(payment.amount, payment.currency),
    }
    if partner is not None:  # what others claimed on the payment is not the partner's to know
        raise InvalidInput(
            _(
                "%(amount)s is more than is still refundable on %(reference)s, counting its other "
                "refund cases."
            )
            % said,
            field=field,
        )
    raise InvalidInput(
        _(
            "%(amount)s is more than is still refundable on %(reference)s: %(left)s of %(paid)s, "
            "counting its other refund cases."
        )
        % said,
        field=field,
    )


def _require_own(case: RefundCase, actor: Actor, refusal: str) -> None:
    """A partner acts only on the cases it sent; ``refusal`` says so for this use case."""
    partner = getattr(actor, "partner", None)
    if partner is not None and case.partner_id != partner.pk:
        raise PermissionRefused(refusal)


# Opening a case.


def open_refund_case(
    *,
    actor: Actor,
    refund_type: str,
    transaction_reference: str,
    merchant: str = "",
    transaction_amount=None,
    currency: str = "",
    paid_at: dt.datetime | None = None,
    requested_amount,
    reason: str,
    complaint: Complaint | None = None,
    partner: Partner | None = None,
    external_reference: str = "",
    received_at: dt.datetime | None = None,
) -> RefundCase:
    """Record a refund claim on one transaction and start its deadline clock."""
    require_permission(actor, "refunds.add_refundcase", "open", RefundCase)
    if refund_type not in RefundType.values:
        allowed = ", ".join(RefundType.values)
        raise InvalidInput(
            _("'%(value)s' is not a refund type; choose one of: %(allowed)s.")
            % {"value": refund_type, "allowed": allowed},
            field="refund_type",
        )
    require(reason, "reason", _("Say why the customer asks for the money back."))
    received_at = received_at or timezone.now()
    try:
        with transaction.atomic():
            payment = _transaction_for(
                reference=transaction_reference,
                merchant=merchant,
                amount=transaction_amount,
                currency=currency,
                paid_at=paid_at,
                partner=partner,
            )
            amount = check_amount(requested_amount, payment.currency, field="requested_amount")
            _check_within_refundable(payment, amount, field="requested_amount", partner=partner)
            refuse_reused_partner_reference(RefundCase, partner, external_reference, noun=_("a refund case"))
            case = RefundCase(
                refund_type=refund_type,
                transaction=payment,
                requested_amount=amount,
                reason=reason.strip(),
                complaint=complaint,
                partner=partner,
                external_reference=external_reference,
                submitted_by=actor,
                created_at=received_at,
            )
            open_case(
                case,
                prefix=REFERENCE_PREFIX,
                policy=clocks.policy_for(case_type=CaseType.REFUND, category=refund_type),
                received_at=received_at,
                actor=actor,
                transition="open",
                reason=reason.strip(),
                data={
                    "transaction": payment.reference,
                    "requested_amount": str(amount),
                    "currency": payment.currency,
                },
            )
            schedule_reminder(case)
            route(case)  # nobody handles it yet: a member of the desk with room, or the queue
    except IntegrityError:
        refuse_reused_partner_reference(RefundCase, partner, external_reference, noun=_("a refund case"))
        raise
    return case


def open_refund_case_from_complaint(
    *,
    complaint: Complaint,
    actor: Actor,
    refund_type: str,
    requested_amount=None,
    paid_at: dt.datetime | None = None,
    reason: str = "",
) -> RefundCase:
    """One step from a "refund not processed" complaint to its refund case.

    The complaint's transaction reference, merchant and amount carry over; the refund
    asked for is the complaint's amount unless staff give a smaller one.
    """
    if complaint.category != ComplaintCategory.REFUND:
        raise InvalidInput(
            _("Only a complaint about a refund not processed opens a refund case."), field="category"
        )
    if not complaint.is_open:
        raise InvalidInput(
            _("Complaint %(reference)s is %(state)s.")
            % {"reference": complaint.reference, "state": complaint.get_state_display()},
            field="complaint",
        )
    return open_refund_case(
        actor=actor,
        refund_type=refund_type,
        transaction_reference=complaint.transaction_reference,
        merchant=complaint.merchant,
        transaction_amount=complaint.amount,
        currency=complaint.currency,
        paid_at=paid_at or complaint.transaction_at,
        requested_amount=requested_amount if requested_amount not in (None, "") else complaint.amount,
        reason=reason or complaint.description,
        complaint=complaint,
    )


# Review.


def start_review(*, case: RefundCase, actor: Actor, reason: str = "") -> RefundCase:
    """A handler takes the case (it becomes theirs unless it already has one)."""

    def answered() -> None:
        clocks.record_first_response(case.sla_clock, at=timezone.now())

    return run_transition(
        case,
        "start_review",
        actor=actor,
        reason=reason or reasons.REVIEW_STARTED(),
        before_save=answered,
        arguments={"handler": actor},
    )


def assign_handler(*, case: RefundCase, actor: Actor, handler, reason: str = "") -> RefundCase:
    require(handler, "handler", _("Choose who handles the refund."))
    if not handler.has_perm("refunds.review_refundcase"):
        raise InvalidInput(
            _("%(handler)s is not on the refunds desk and cannot handle refunds.") % {"handler": handler},
            field="handler",
        )
    if not case.is_open:
        raise InvalidInput(
            _("%(case)s is %(state)s.") % {"case": case, "state": case.get_state_display()}, field="handler"
        )

    def apply() -> None:
        case.handler = handler

    return run_step(
        case,
        "assign",
        actor=actor,
        permission="refunds.assign_refundcase",
        apply=apply,
        reason=reason or reasons.HANDLED_BY(handler=handler.get_username()),
        data={"handler": handler.get_username()},
    )


def request_evidence(*, case: RefundCase, actor: Actor, what: str) -> RefundCase:
    """Ask the customer for proof; the deadline clock waits with them."""
    require(what, "what", _("Say what the customer must send."))

    def pause() -> None:
        clocks.pause_clock(case.sla_clock, at=timezone.now())
        clear_reminder(case)

    return run_transition(
        case, "request_evidence", actor=actor, reason=what, before_save=pause, arguments={"what": what}
    )


def _resume(case: RefundCase) -> None:
    """The clock runs again with a later deadline: its reminders are due afresh."""
    clocks.resume_clock(case.sla_clock, at=timezone.now())
    case.reminders_sent = 0
    schedule_reminder(case)


def evidence_received(*, case: RefundCase, actor: Actor, reason: str = "") -> RefundCase:
    """What was asked for arrived (by post, in the branch...); review goes on, the clock runs."""
    return run_transition(
        case,
        "evidence_received",
        actor=actor,
        reason=reason or reasons.EVIDENCE_RECEIVED(),
        before_save=lambda: _resume(case),
    )


def add_evidence(*, case: RefundCase, actor: Actor, kind: str, file, note: str = "") -> RefundEvidence:
    """Attach one evidence file; on a case waiting for evidence, the review resumes."""
    step = permitted_step(case, "add_evidence", actor=actor, permission="refunds.add_refundevidence")
    _require_own(case, actor, _("A partner can add evidence to only its own refund cases."))
    if kind not in EvidenceKind.values:
        allowed = ", ".join(EvidenceKind.values)
        raise InvalidInput(
            _("'%(value)s' is not a kind of evidence; choose one of: %(allowed)s.")
            % {"value": kind, "allowed": allowed},
            field="kind",
        )
    if case.state not in EVIDENCE_STATES:
        raise TransitionRefused(
            _("Evidence is added before the decision; %(case)s is %(state)s.")
            % {"case": case, "state": case.get_state_display()}
        )
    require(file, "file", _("Choose the file to attach."))
    file = check_evidence_file(file)
    evidence = RefundEvidence(case=case, kind=kind, file=file, note=note, uploaded_by=actor)
    refuse_invalid_fields(evidence, {"note": "note"})
    evidence._history_user = actor
    trail = {"kind": kind}

    def store() -> None:
        evidence.save()
        trail["file"] = evidence.file.name  # as stored, not as uploaded

    try:
        with transaction.atomic():
            step.run(
                apply=store,
                reason=note or reasons.EVIDENCE_ADDED(kind=kind),
                data=trail,
            )
            if case.state == RefundState.AWAITING_EVIDENCE:
                run_transition(
                    case,
                    "evidence_received",
                    actor=None,
                    system_label=f"evidence from {actor}",
                    reason=reasons.EVIDENCE_KIND_RECEIVED(kind=kind),
                    before_save=lambda: _resume(case),
                )
    except BaseException:
        discard_file_of(evidence)
        raise
    return evidence


# Decision.


def check_approval(case: RefundCase, actor: Actor) -> None:
    """Refuse an approval before any amount is looked at: the user may not approve (four
    eyes included) or the case is not under review. The admin's approve page asks this too,
    since a first approval is what the model's four-eyes condition waits for.

    It is the permission of both approvals: the first (a step needing
    ``refunds.approve_refundcase``) and the final one (the transition's ``may_approve``),
    which :func:`approve_refund` then runs without asking again."""
    if actor is None or not actor.has_perm("refunds.approve_refundcase"):
        raise PermissionRefused(approval_refusal(case, actor) if actor else _("Approving needs a user."))
    if case.state != RefundState.UNDER_REVIEW:
        raise TransitionRefused(
            _("Cannot approve this refund case: it is %(state)s.") % {"state": case.get_state_display()}
        )
    refusal = approval_refusal(case, actor)
    if refusal:
        raise PermissionRefused(refusal)


def approve_refund(*, case: RefundCase, actor: Actor, amount=None, reason: str = "") -> RefundCase:
    """Approve the refund, at most what was asked and what is still refundable.

    Above the currency's four-eyes threshold, counting what is already approved or paid
    on the same transaction and for the same customer (``models.four_eyes``), the first
    approval is recorded and the case waits, under review, for a second approval by
    another person, who confirms the same amount. The case's opener approves neither.
    """
    check_approval(case, actor)
    currency = case.currency
    if amount in (None, ""):
        amount = case.approved_amount or case.requested_amount
    amount = check_amount(amount, currency)
    if amount > case.requested_amount:
        raise InvalidInput(
            _("%(amount)s is more than the customer asked for (%(requested)s).")
            % {
                "amount": format_money(amount, currency),
                "requested": format_money(case.requested_amount, currency),
            },
            field="amount",
        )
    if case.first_approved_by_id is not None and amount != case.approved_amount:
        raise InvalidInput(
            _(
                "The second approval confirms the first: %(amount)s. If that amount is wrong, do not "
                "approve: reject the case with the reason instead."
            )
            % {"amount": format_money(case.approved_amount, currency)},
            field="amount",
        )
    with transaction.atomic():
        # Four eyes counts the transaction's and the customer's other approved cases: their
        # locks queue approvals of sibling cases, so two at once cannot both count the
        # other as not yet approved.
        payment = PaymentTransaction.objects.select_for_update().get(pk=case.transaction_id)
        _lock_customer(case)
        _check_within_refundable(payment, amount, field="amount", case=case)
        if case.first_approved_by_id is None:
            needed = four_eyes(case, amount)
            if needed.needed:
                return _first_approval(case, actor, amount, reason, why=needed.reason)
        previous = case.approved_amount
        case.approved_amount = amount  # what the four-eyes condition reads
        try:
            # Permitted by check_approval, as the transition's may_approve would permit it.
            return PermittedTransition(case, "approve", actor).run(
                reason=reason or reasons.APPROVED(amount=format_money(amount, currency)),
                data={"amount": str(amount), "currency": currency},
                arguments={"amount": amount, "by": actor},
            )
        except CaseworkError:
            case.approved_amount = previous
            raise


def _lock_customer(case: RefundCase) -> None:
    """Queue approvals for one customer (their cases may be on several transactions).

    A transaction-scoped advisory lock on PostgreSQL, taken after the transaction's row
    lock (never before one), so two approvals cannot wait on each other. SQLite serialises
    writers on its own."""
    keys = customer_lock_keys(case)
    if not keys or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in keys:  # sorted: two approvals take them in the same order
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CUSTOMER_LOCK_SPACE, key])


def _first_approval(case: RefundCase, actor: Actor, amount: Decimal, reason: str, *, why: str) -> RefundCase:
    def apply() -> None:
        case.approved_amount = amount
        case.first_approved_by = actor
        case.first_approved_at = timezone.now()

    # Permitted by check_approval (the permission and four eyes), asked before the amount.
    return PermittedStep(case, "first_approval", actor).run(
        apply=apply,
        reason=reason or reasons.FIRST_APPROVAL(amount=format_money(amount, case.currency)),
        data={"amount": str(amount), "currency": case.currency, "four_eyes": why},
    )


def reject_refund(*, case: RefundCase, actor: Actor, reason: str) -> RefundCase:
    require(reason, "reason", _("Say why the refund is rejected; the customer is told."))
    return run_transition(
        case,
        "reject",
        actor=actor,
        reason=reason,
        before_save=lambda: end_case(case, actor=actor),
        arguments={"reason": reason},
    )


def cancel_refund(*, case: RefundCase, actor: Actor, reason: str = "") -> RefundCase:
    cancellation = permitted_transition(case, "cancel", actor=actor)  # who may, before whose case it is
    _require_own(case, actor, _("A partner can cancel only its own refund cases."))
    return cancellation.run(
        reason=reason or reasons.CANCELLED(),
        before_save=lambda: end_case(case, actor=actor),
    )
