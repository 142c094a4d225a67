"""Provisional credits (Regulation E, 12 CFR 1005.11(c)(2) and (d)(2)): credit the disputed
amount by the regime's deadline, reverse it with notice when no error is found, make it
final when one is; the sweep's warnings before the deadline and its late mark after; and
what a complaint's Reg E extension asks before it may run to 45 (90) days.

- ``open_provisional_credit``: only on a refund case opened from a complaint whose regime
  has an extension that requires a provisional credit; the amount at most what the case
  asks for and what is still refundable on the transaction; due the extension's
  ``provisional_credit_target`` after the complaint's clock started, on the regime's
  calendar (else the complaint's SLA policy's). It instructs the payments system to credit,
  under one idempotency key: a resend never credits twice.
- ``credit_provisionally``: the credit is made (the payments system's report, or staff with
  its reference); the same report twice is harmless, another reference is refused. Late is
  allowed and recorded as late. The customer is told (1005.11(c)(2)(iv)).
- ``reverse_provisional_credit``: no error found; four eyes (``models.reversal_refusal``);
  the debit goes to the payments system and the customer is told its date and amount and
  that payments to third parties are honoured for 5 business days (1005.11(d)(2)).
- ``make_provisional_credit_final``: the error was found, the credit stands; also done by
  the refund case's settlement (``payments.report_settlement``).

Its own deadline, warned before and marked late after, is ``provisional_clock``'s.

Each step is recorded on the refund case's trail (its chain, its timeline, the auditors'
export); the credit's own fields keep their history.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import django_fsm
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext as _

from casework.cases import sweep
from casework.cases.opening import require
from casework.cases.transitions import (
    check_permission,
    check_state,
    claim,
    history_reason,
    reload,
    require_permission,
    require_version,
)
from casework.core.actors import Actor
from casework.core.errors import CaseworkError, ConcurrentChange, InvalidInput, TransitionRefused
from casework.core.limits import refuse_overlong_reason
from casework.models import CaseType, Notification, RegimeExtension
from casework.notices import customers, outbox
from casework.sla import regimes
from casework.sla.calendars import WorkingTime
from casework.trail.audit import record_transition
from casework.trail.reasons import SystemReason, split
from complaints.services import customer_notices

from .. import reasons
from ..models import CreditState, PaymentTransaction, ProvisionalCredit, RefundCase
from ..money import check_amount, format_money, in_minor_units
from .cases import _check_within_refundable


class ConflictingCreditReport(CaseworkError):
    """A second report of the credit names another processor reference (API 409)."""

    code = "conflicting_report"


# A credit that stands: made, and not taken back.
STANDING_STATES = (CreditState.CREDITED, CreditState.FINAL)
# The desk is warned this long before a credit falls due.
WARN_BEFORE = dt.timedelta(hours=24)
# After a reversal, cheques and preauthorised payments to third parties are honoured for
# this many business days (12 CFR 1005.11(d)(2)(ii)).
HONOUR_BUSINESS_DAYS = 5
# What each step is called on the refund case's trail (casework.cases.transitions.ACTION_WORDS).
TRAIL_NAMES = {
    "credit": "credit_provisionally",
    "reverse": "reverse_provisional_credit",
    "make_final": "make_provisional_credit_final",
}

CREDIT_INSTRUCTION = outbox.register_kind(
    "provisional_credit_instruction", pgettext_lazy("notice kind", "provisional credit instruction")
)
REVERSAL_INSTRUCTION = outbox.register_kind(
    "provisional_credit_reversal", pgettext_lazy("notice kind", "provisional credit reversal")
)


# What the regime asks.


def credit_rule(complaint) -> RegimeExtension | None:
    """The extension of the complaint's regime that needs a provisional credit (Reg E's 45
    or 90 days), narrowed to its condition; ``None`` if its regime asks none."""
    if complaint is None:
        return None
    regime = complaint.regime or complaint.sla_clock.regime
    if regime is None:
        return None
    tiers = regimes.extensions_for(regime, case_type=CaseType.COMPLAINT, condition=complaint.regime_condition)
    return next((tier for tier in tiers if tier.requires_provisional_credit), None)


def working_time(complaint) -> WorkingTime:
    """The calendar the complaint's regime counts business days on, else its SLA policy's."""
    clock = complaint.sla_clock
    regime = complaint.regime or clock.regime
    return WorkingTime((regime.calendar if regime is not None else None) or clock.policy.calendar)


def credit_due_at(complaint, rule: RegimeExtension) -> dt.datetime:
    return working_time(complaint).add(
        complaint.sla_clock.started_at, rule.provisional_credit_target, rule.provisional_credit_unit
    )


def open_refusal(case: RefundCase) -> str | None:
    """Why no provisional credit may be opened on ``case`` now, or ``None``: what the Open
    step's button and the service both ask."""
    if hasattr(case, "provisional_credit"):
        return _("%(case)s already has a provisional credit.") % {"case": case.reference}
    if not case.is_open:
        return _("%(case)s is %(state)s: a provisional credit is for a refund still being decided.") % {
            "case": case.reference,
            "state": case.get_state_display(),
        }
    if case.complaint_id is None:
        return _(
            "%(case)s was not opened from a complaint: a provisional credit is asked by the "
            "complaint's regime (Regulation E)."
        ) % {"case": case.reference}
    if credit_rule(case.complaint) is None:
        regime = case.complaint.regime or case.complaint.sla_clock.regime
        return _("Complaint %(complaint)s runs under %(regime)s, which asks no provisional credit.") % {
            "complaint": case.complaint.reference,
            "regime": regime if regime is not None else _("the SLA policy alone"),
        }
    return None


# Running a step of the credit.


def _run(
    credit: ProvisionalCredit,
    name: str,
    *,
    actor: Actor,
    reason: str | SystemReason,
    data: dict[str, Any],
    arguments: dict[str, Any],
    after: Callable[[RefundCase], None] | None = None,
    system_label: str = "",
) -> ProvisionalCredit:
    """Check the state, claim the credit (a stale copy is refused), run the transition,
    save, record it on the refund case's trail and run ``after``, in one transaction.

    The refund case's row is locked first (never its version bumped): its trail is one
    chain, and two writers must not both link to the same last record. The refund case's
    own transitions lock it first too, so the two never wait on each other."""
    check_state(credit, name)
    words = split(reason)[0]
    refuse_overlong_reason(words)
    source = credit.state
    if actor is not None:
        credit._history_user = actor
    credit._change_reason = history_reason(words)
    try:
        with transaction.atomic():
            case = (
                RefundCase.objects.select_for_update(of=("self",))
                .select_related("transaction", "sla_clock", "complaint")
                .get(pk=credit.refund_case_id)
            )
            claim(credit)
            getattr(credit, name)(**arguments)
            credit.save()
            record_transition(
                case=case,
                transition=TRAIL_NAMES[name],
                source=case.state,
                target=case.state,
                actor=actor,
                reason=reason,
                data={
                    "provisional_credit": credit.idempotency_key,
                    "from": source,
                    "to": credit.state,
                    **data,
                },
                **({"system_label": system_label} if system_label else {}),
            )
            if after is not None:
                after(case)
    except BaseException as exc:
        reload(credit)
        if isinstance(exc, django_fsm.ConcurrentTransition):
            raise ConcurrentChange(
                gettext("%(case)s changed state while you worked on it; reload and try again.")
                % {"case": credit}
            ) from exc
        if isinstance(exc, django_fsm.TransitionNotAllowed):
            raise TransitionRefused(str(exc)) from exc
        raise
    return credit


def _instruct(credit: ProvisionalCredit, case: RefundCase, *, key: str, kind: str, what: str) -> None:
    """Tell the payments system to credit (or debit back) the amount, under ``key``: it
    acts on each key once, so a resend after a dead worker changes nothing."""
    payload = {
        "type": f"refund.{what}",
        "idempotency_key": key,
        "refund_reference": case.reference,
        "transaction_reference": case.transaction.reference,
        "amount": str(in_minor_units(credit.amount, credit.currency)),
        "currency": credit.currency,
    }
    verb = "Credit" if what == "provisional_credit" else "Debit back"
    outbox.enqueue(
        idempotency_key=key,
        kind=kind,
        channel=Notification.Channel.WEBHOOK,
        signing_key="payments",
        recipient=settings.PAYMENTS_ENDPOINT_URL,
        subject=f"{verb} {credit.amount_display} for {case.reference}",
        body=json.dumps(payload, sort_keys=True),
        case=case,
    )


def _tell(case: RefundCase, credit: ProvisionalCredit, kind: str, event: str, **more) -> None:
    context = customer_notices.shared_context() | {
        "reference": case.reference,
        "amount": credit.amount_display,
        "complaint_reference": case.complaint.reference if case.complaint_id else "",
        **more,
    }
    customers.tell_customer(case=case, kind=kind, event=event, context=context)


# The use cases.


def open_provisional_credit(
    *, refund_case: RefundCase, actor: Actor, amount=None, reason: str = ""
) -> ProvisionalCredit:
    """Decide to credit the disputed amount while the error is investigated, and instruct
    the payments system to credit it by the regime's deadline."""
    require_permission(actor, "refunds.add_provisionalcredit", "open provisional credit", refund_case)
    refusal = open_refusal(refund_case)
    if refusal:
        raise TransitionRefused(refusal)
    currency = refund_case.currency
    amount = refund_case.amount_to_pay if amount in (None, "") else check_amount(amount, currency)
    complaint = refund_case.complaint
    rule = credit_rule(complaint)
    due_at = credit_due_at(complaint, rule)
    now = timezone.now()
    try:
        with transaction.atomic():
            case = (
                RefundCase.objects.select_for_update(of=("self",))
                .select_related("transaction", "sla_clock", "complaint")
                .get(pk=refund_case.pk)
            )
            payment = PaymentTransaction.objects.select_for_update().get(pk=case.transaction_id)
            _check_within_refundable(payment, amount, field="amount", case=case)
            asked = case.approved_amount or case.requested_amount
            if amount > asked:
                raise InvalidInput(
                    _("%(amount)s is more than the refund case asks for (%(asked)s).")
                    % {"amount": format_money(amount, currency), "asked": format_money(asked, currency)},
                    field="amount",
                )
            credit = ProvisionalCredit(
                refund_case=case,
                amount=amount,
                currency=currency,
                idempotency_key=f"{case.reference}-PCR",
                opened_by=actor,
                due_at=due_at,
                warn_at=due_at - WARN_BEFORE,
                late_at=due_at if now > due_at else None,
            )
            credit._history_user = actor
            credit.save()
            record_transition(
                case=case,
                transition="open_provisional_credit",
                source=case.state,
                target=case.state,
                actor=actor,
                reason=reason.strip()
                or reasons.PROVISIONAL_CREDIT_OPENED(amount=credit.amount_display, due=sweep.local(due_at)),
                data={
                    "provisional_credit": credit.idempotency_key,
                    "amount": str(amount),
                    "currency": currency,
                    "due_at": due_at.isoformat(),
                    "article": rule.article,
                },
            )
            _instruct(
                credit, case, key=credit.idempotency_key, kind=CREDIT_INSTRUCTION, what="provisional_credit"
            )
    except IntegrityError as error:  # opened at the same moment by someone else
        raise ConcurrentChange(
            _("%(case)s already has a provisional credit.") % {"case": refund_case.reference}
        ) from error
    refund_case.provisional_credit = credit
    return credit


def credit_provisionally(
    *, credit: ProvisionalCredit, actor: Actor, processor_reference: str, version: int | None = None
) -> ProvisionalCredit:
    """The amount was credited (by the payments system, under ``processor_reference``).
    After the deadline it is still recorded, marked late: the longer limit is then closed."""
    check_permission(credit, "credit", actor)
    require_version(credit, version)
    require(
        processor_reference, "processor_reference", _("Give the payments system's reference of the credit.")
    )
    processor_reference = processor_reference.strip()
    if len(processor_reference) > 64:
        raise InvalidInput(
            _("The processor reference has at most 64 characters."), field="processor_reference"
        )
    if credit.state != CreditState.DUE and credit.credited_at is not None:
        if credit.processor_reference == processor_reference:
            return credit  # the same report again: nothing changes
        raise ConflictingCreditReport(
            _("The provisional credit on %(case)s was already recorded as %(reference)s.")
            % {"case": credit.reference, "reference": credit.processor_reference}
        )
    now = timezone.now()
    late = now > credit.due_at

    def told(case: RefundCase) -> None:
        _tell(case, credit, customers.PROVISIONAL_CREDIT, f"provisional-credit-{credit.pk}", credited_at=now)

    said = {"amount": credit.amount_display, "reference": processor_reference}
    reason = (
        reasons.PROVISIONAL_CREDITED_LATE(**said, due=sweep.local(credit.due_at))
        if late
        else reasons.PROVISIONAL_CREDITED(**said)
    )
    return _run(
        credit,
        "credit",
        actor=actor,
        reason=reason,
        data={"processor_reference": processor_reference, "late": late},
        arguments={"processor_reference": processor_reference, "by": actor, "at": now},
        after=told,
    )


def reverse_provisional_credit(
    *, credit: ProvisionalCredit, actor: Actor, reason: str, version: int | None = None
) -> ProvisionalCredit:
    """No error was found: take the credit back. Four eyes; the customer is told the date
    and amount of the debit, and that third-party payments are honoured for 5 business days."""
    check_permission(credit, "reverse", actor)
    require_version(credit, version)
    require(
        reason, "reason", _("Say why the credit is reversed (no error found, and why); the customer is told.")
    )
    reason = reason.strip()
    now = timezone.now()
    complaint = credit.refund_case.complaint
    working = working_time(complaint)
    honoured_until = working.add_business_days(now, HONOUR_BUSINESS_DAYS)

    def debit_and_tell(case: RefundCase) -> None:
        _instruct(
            credit,
            case,
            key=f"{credit.idempotency_key}-REV",
            kind=REVERSAL_INSTRUCTION,
            what="provisional_credit_reversal",
        )
        _tell(
            case,
            credit,
            customers.CREDIT_REVERSED,
            f"provisional-credit-{credit.pk}-reversed",
            # Days as the regime's calendar counts them, where the 5 business days run.
            debit_date=now.astimezone(working.zone).date(),
            honoured_until=honoured_until.astimezone(working.zone).date(),
            reason=reason,
        )

    return _run(
        credit,
        "reverse",
        actor=actor,
        reason=reason,
        data={"amount": str(credit.amount), "honoured_until": honoured_until.isoformat()},
        arguments={"reason": reason, "by": actor, "at": now, "honoured_until": honoured_until},
        after=debit_and_tell,
    )


def make_provisional_credit_final(
    *,
    credit: ProvisionalCredit,
    actor: Actor,
    reason: str | SystemReason = "",
    version: int | None = None,
    system_label: str = "",
) -> ProvisionalCredit:
    """The error was found: the credit stands for good."""
    check_permission(credit, "make_final", actor)
    require_version(credit, version)
    if isinstance(reason, str):
        reason = reason.strip() or reasons.PROVISIONAL_CREDIT_FINAL(amount=credit.amount_display)
    return _run(
        credit,
        "make_final",
        actor=actor,
        reason=reason,
        data={},
        arguments={"at": timezone.now()},
        system_label=system_label,
    )


def finalise_on_settlement(case: RefundCase) -> None:
    """The refund settled (the error was found): a standing credit is made final, by the
    system, in the settlement's transaction. A credit never made stays as it is (the
    sweep no longer chases a credit whose case has ended)."""
    credit = ProvisionalCredit.objects.filter(refund_case=case, state=CreditState.CREDITED).first()
    if credit is None:
        return
    make_provisional_credit_final(
        credit=credit,
        actor=None,
        reason=reasons.PROVISIONAL_CREDIT_FINAL_ON_SETTLEMENT(
            amount=credit.amount_display, case=case.reference
        ),
        system_label="refund settled",
    )


# What a complaint's extension asks.


def provisional_credit_refusal(complaint, *, by: dt.datetime) -> str | None:
    """Why the complaint's extension that needs a provisional credit may not run, or
    ``None``: a credit on one of its refund cases, made by ``by`` and not reversed."""
    credits = ProvisionalCredit.objects.filter(refund_case__complaint=complaint)
    if credits.filter(state__in=STANDING_STATES, credited_at__lte=by).exists():
        return None
    when = timezone.localtime(by).strftime("%Y-%m-%d %H:%M")
    reversed_credit = credits.filter(state=CreditState.REVERSED).first()
    if reversed_credit is not None:
        return gettext(
            "The provisional credit on %(case)s was reversed: the longer limit needs a credit that stands."
        ) % {"case": reversed_credit.reference}
    late = credits.filter(state__in=STANDING_STATES, credited_at__gt=by).first()
    if late is not None:
        return gettext(
            "The provisional credit on %(case)s was made %(at)s, after %(by)s: the longer limit needs it "
            "made in time."
        ) % {
            "case": late.reference,
            "at": timezone.localtime(late.credited_at).strftime("%Y-%m-%d %H:%M"),
            "by": when,
        }
    return gettext(
        "The longer limit needs the disputed amount provisionally credited by %(by)s: credit it "
        "on the complaint's refund case first."
    ) % {"by": when}


def standing_credit(case: RefundCase) -> ProvisionalCredit | None:
    """The provisional credit that already gave the customer money on ``case``, if any."""
    return ProvisionalCredit.objects.filter(refund_case=case, state__in=STANDING_STATES).first()
