"""Paying a refund: an instruction to the payments system per attempt (sent through the
outbox, idempotent: a retry never pays twice), and the settlement it reports back."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from casework.cases.opening import require
from casework.cases.transitions import require_permission, run_transition
from casework.core.actors import Actor
from casework.core.errors import CaseworkError, InvalidInput
from casework.models import Notification
from casework.notices import customers, outbox
from complaints.services import customer_notices

from .. import reasons
from ..models import InstructionStatus, PaymentInstruction, RefundCase
from ..money import format_money, in_minor_units
from .endings import after_payment_failed, end_case
from .provisional import finalise_on_settlement, standing_credit


class UnknownInstruction(CaseworkError):
    """A settlement report names no instruction this system sent (API 404)."""

    code = "not_found"


class ConflictingReport(CaseworkError):
    """A second report contradicts the first for the same instruction (API 409)."""

    code = "conflicting_report"


INSTRUCTION_NOTICE = outbox.register_kind(
    "payment_instruction", pgettext_lazy("notice kind", "payment instruction")
)


def _instruct_payment(case: RefundCase) -> PaymentInstruction:
    """Write the next attempt's instruction and its outbox row, in the caller's transaction."""
    attempt = case.instructions.count() + 1
    instruction = PaymentInstruction.objects.create(
        case=case,
        attempt=attempt,
        idempotency_key=f"{case.reference}-PAY-{attempt}",
        amount=case.amount_to_pay,
        currency=case.currency,
    )
    payload = {
        "type": "refund.payment_instruction",
        "idempotency_key": instruction.idempotency_key,
        "refund_reference": case.reference,
        "attempt": attempt,
        "transaction_reference": case.transaction.reference,
        "merchant": case.transaction.merchant,
        "amount": str(instruction.amount),
        "currency": instruction.currency,
    }
    credit = standing_credit(case)
    if credit is not None:
        # Reg E: the customer already has this much as a provisional credit, which the
        # refund's settlement makes final; the payments system pays only the rest.
        payload["provisionally_credited"] = {
            "idempotency_key": credit.idempotency_key,
            "amount": str(in_minor_units(credit.amount, credit.currency)),
        }
    outbox.enqueue(
        idempotency_key=instruction.idempotency_key,
        kind=INSTRUCTION_NOTICE,
        channel=Notification.Channel.WEBHOOK,
        signing_key="payments",
        recipient=settings.PAYMENTS_ENDPOINT_URL,
        subject=f"Pay {format_money(instruction.amount, instruction.currency)} for {case.reference}",
        body=json.dumps(payload, sort_keys=True),
        case=case,
    )
    return instruction


def submit_to_payments(*, case: RefundCase, actor: Actor, reason: str = "") -> RefundCase:
    """Send the approved refund to payments: one instruction, whatever is clicked twice."""
    return run_transition(
        case,
        "submit_to_payments",
        actor=actor,
        reason=reason or reasons.SUBMITTED(amount=format_money(case.amount_to_pay, case.currency)),
        before_save=lambda: _instruct_payment(case),
    )


def retry_payment(*, case: RefundCase, actor: Actor, reason: str = "") -> RefundCase:
    """After a failure the payments system reported: a new attempt, a new instruction."""
    return run_transition(
        case,
        "retry",
        actor=actor,
        reason=reason or reasons.PAYMENT_RETRIED(),
        before_save=lambda: _instruct_payment(case),
    )


def report_settlement(
    *, idempotency_key: str, actor: Actor, outcome: str, processor_reference: str = "", error: str = ""
) -> PaymentInstruction:
    """The payments system says how an instruction ended. The same report twice is
    harmless; a contradicting one is refused; an unknown instruction is refused."""
    require_permission(actor, "refunds.report_settlement", "report_settlement", PaymentInstruction)
    if outcome not in (InstructionStatus.SETTLED, InstructionStatus.FAILED):
        raise InvalidInput(
            _("'%(value)s' is not an outcome; report settled or failed.") % {"value": outcome},
            field="outcome",
        )
    if outcome == InstructionStatus.SETTLED:
        require(processor_reference, "processor_reference", _("Give the payments system's reference."))
    else:
        require(error, "error", _("Say why the payment failed."))
    with transaction.atomic():
        instruction = (
            PaymentInstruction.objects.select_for_update()
            .select_related("case")
            .filter(idempotency_key=idempotency_key)
            .first()
        )
        if instruction is None:
            raise UnknownInstruction(
                _("No payment instruction '%(key)s' was sent.") % {"key": idempotency_key}, field="key"
            )
        if instruction.status != InstructionStatus.SENT:
            same = instruction.status == outcome and (
                outcome == InstructionStatus.FAILED or instruction.processor_reference == processor_reference
            )
            if same:
                return instruction
            said = {
                "key": idempotency_key,
                "status": instruction.get_status_display(),
                "reference": instruction.processor_reference,
            }
            raise ConflictingReport(
                (
                    _("Instruction %(key)s was already reported %(status)s as %(reference)s.")
                    if instruction.processor_reference
                    else _("Instruction %(key)s was already reported %(status)s.")
                )
                % said
            )
        case = RefundCase.objects.select_related("transaction", "sla_clock").get(pk=instruction.case_id)
        instruction.status = outcome
        instruction.processor_reference = processor_reference
        instruction.failure_reason = error
        instruction.reported_at = timezone.now()
        instruction._history_user = actor
        instruction.save()
        if outcome == InstructionStatus.SETTLED:
            run_transition(
                case,
                "settle",
                actor=actor,
                reason=reasons.SETTLED(reference=processor_reference),
                data={"instruction": idempotency_key, "processor_reference": processor_reference},
                before_save=lambda: end_case(case, actor=actor),
                arguments={"processor_reference": processor_reference},
            )
            _tell_paid(case, actor)
            finalise_on_settlement(case)  # the error was found: a provisional credit stands
        else:
            run_transition(
                case,
                "fail",
                actor=actor,
                reason=reasons.PAYMENT_FAILED(error=error),
                data={"instruction": idempotency_key},
                before_save=lambda: after_payment_failed(case, actor=actor, error=error),
                arguments={"error": error},
            )
    return instruction


def _tell_paid(case: RefundCase, actor: Actor) -> None:
    """The customer is told the money went back (the complaint's customer, on its channel),
    in the settlement's transaction."""
    context = customer_notices.shared_context() | {
        "reference": case.reference,
        "amount": format_money(case.amount_to_pay, case.currency),
        "complaint_reference": case.complaint.reference if case.complaint_id else "",
    }
    customers.tell_customer(case=case, kind=customers.REFUND_SETTLED, actor=actor, context=context)
