"""Refund cases: the original transaction, the refund asked for, its evidence, the
decision (with four eyes above a threshold) and the payment instructions that pay it.

- ``cases``: the refund case, its states and state machine, and four eyes;
- ``payments``: the original payment and the payment instructions;
- ``evidence``: the files sent for a refund;
- ``provisional``: a provisional credit while an error is investigated (Reg E).

Imported as ``refunds.models`` (the migrations name ``refunds.models.evidence_path``):
each name is re-exported here. ``payments`` imports neither of the others; ``cases``
imports ``payments``; ``evidence`` and ``provisional`` import ``cases``.
"""

from .cases import (
    CANCELLABLE_STATES,
    DECIDED_STATES,
    OPEN_REFUND_STATES,
    RELEASED_STATES,
    SWEEP_FIELDS,
    FourEyes,
    RefundCase,
    RefundState,
    RefundType,
    approval_refusal,
    customer_lock_keys,
    customer_of,
    four_eyes,
    four_eyes_refusal,
    four_eyes_threshold,
    has_first_approval_if_large,
    may_approve,
)
from .evidence import EvidenceKind, RefundEvidence, evidence_path
from .payments import InstructionStatus, PaymentInstruction, PaymentTransaction, money_field
from .provisional import CreditState, ProvisionalCredit, reversal_refusal

__all__ = [
    "CANCELLABLE_STATES",
    "DECIDED_STATES",
    "OPEN_REFUND_STATES",
    "RELEASED_STATES",
    "SWEEP_FIELDS",
    "CreditState",
    "EvidenceKind",
    "FourEyes",
    "InstructionStatus",
    "PaymentInstruction",
    "PaymentTransaction",
    "ProvisionalCredit",
    "RefundCase",
    "RefundEvidence",
    "RefundState",
    "RefundType",
    "approval_refusal",
    "customer_lock_keys",
    "customer_of",
    "evidence_path",
    "four_eyes",
    "four_eyes_refusal",
    "four_eyes_threshold",
    "has_first_approval_if_large",
    "may_approve",
    "money_field",
    "reversal_refusal",
]
