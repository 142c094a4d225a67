"""What a refund test reads back after a service ran: the case as stored, its deadline
clock, its history and its payment instructions."""

from __future__ import annotations

from casework.models import SlaClock, TransitionRecord
from refunds.models import PaymentInstruction, RefundCase


def stored(case: RefundCase) -> RefundCase:
    return RefundCase.objects.select_related("transaction", "sla_clock").get(pk=case.pk)


def clock_of(case: RefundCase) -> SlaClock:
    return SlaClock.objects.get(pk=case.sla_clock_id)


def records_of(case) -> list[TransitionRecord]:
    return list(
        TransitionRecord.objects.filter(case_reference=case.reference, object_id=case.pk).order_by("id")
    )


def instructions_of(case: RefundCase) -> list[PaymentInstruction]:
    return list(PaymentInstruction.objects.filter(case_id=case.pk).order_by("attempt"))
