"""Complaint use cases. The admin, the API, the Celery tasks and the shell call these;
each is one transaction and returns the complaint.

- ``cases``: registering a complaint, its life (verify, accept, escalate, wait, resolve,
  reopen, close, withdraw), assignment, notes, attachments and partner messages;
- ``classification``: the codes a regulator counts a complaint by: mapped from its
  category at registration, re-mapped by a correction, judged at resolution, and
  recorded by hand (``classify_complaint``);
- ``linked_cases``: what the cases opened from a complaint (an unlock request, a refund
  case) hand it when they end;
- ``clock``: what the sweep does with no user (auto-closing resolved complaints);
- ``corrections``: correcting the category, priority or channel, or the regime and its
  condition, with a reason, and who may (``may_correct``); the SLA clock moves to the new
  policy and regime.
- ``regimes``: which regulatory regime a complaint runs under (the deployment's or the one
  it names), what its trail keeps of it, and how its decision deadline reads;
- ``customer_notices``: what the customer is told on acceptance, extension and decision
  (called by ``cases`` in each step's transaction), and who the customer of a case is;
- ``extensions``: extending the deadline as steps (``request_extension``, approved with four
  eyes where the regime's tier says, ``approve_extension``, ``refuse_extension``,
  ``withdraw_extension``; ``send_holding_response`` asks for one), the customer told;
- ``customer_replies``: staff writing to the customer, from a reply template or blank
  (``reply_to_customer``), and when they may (``may_reply``);
- ``merging``: merging a duplicate into the complaint that goes on (``merge_complaint``),
  everything kept on it moved, both trails recorded, and what the merge form offers;
- ``first_contact``: registering a complaint and resolving it in the same call, every
  step through ``cases`` in one transaction.

Imported as ``complaints.services``: the use cases are re-exported here. ``linked_cases``,
``clock``, ``first_contact`` and ``extensions`` import ``cases``; ``cases`` imports none of
them but ``customer_notices``, ``regimes`` and ``classification`` (which import no other),
nor does ``corrections`` (but ``regimes`` and ``classification``).
"""

from .cases import (
    FRONTLINE_TEAM,
    REFERENCE_PREFIX,
    REUSED_REFERENCE,
    SUPERVISORS_TEAM,
    accept_complaint,
    add_attachment,
    add_note,
    add_partner_message,
    answered_and_stopped,
    assign_complaint,
    close_complaint,
    customer_replied,
    escalate_complaint,
    register_complaint,
    reject_complaint,
    reopen_complaint,
    reply_to_partner,
    resolve_complaint,
    return_findings,
    start_complaint,
    verify_identity,
    wait_for_customer,
    withdraw_complaint,
)
from .classification import classify_complaint
from .clock import CLOCKED, auto_close_resolved, run_clock
from .corrections import correct_complaint, correction_refusal, may_correct
from .customer_replies import may_reply, reply_to_customer
from .extensions import (
    approve_extension,
    refuse_extension,
    request_extension,
    send_holding_response,
    withdraw_extension,
)
from .first_contact import FIRST_CONTACT_CHANNELS, register_and_resolve, register_verified
from .linked_cases import follow_linked_case, reopen_after_linked_case
from .merging import merge_choices, merge_complaint

__all__ = [
    "CLOCKED",
    "FIRST_CONTACT_CHANNELS",
    "FRONTLINE_TEAM",
    "REFERENCE_PREFIX",
    "REUSED_REFERENCE",
    "SUPERVISORS_TEAM",
    "accept_complaint",
    "add_attachment",
    "add_note",
    "add_partner_message",
    "answered_and_stopped",
    "approve_extension",
    "assign_complaint",
    "auto_close_resolved",
    "classify_complaint",
    "close_complaint",
    "correct_complaint",
    "correction_refusal",
    "customer_replied",
    "escalate_complaint",
    "follow_linked_case",
    "may_correct",
    "may_reply",
    "merge_choices",
    "merge_complaint",
    "refuse_extension",
    "register_and_resolve",
    "register_complaint",
    "register_verified",
    "reject_complaint",
    "reopen_after_linked_case",
    "reopen_complaint",
    "reply_to_customer",
    "reply_to_partner",
    "request_extension",
    "resolve_complaint",
    "return_findings",
    "run_clock",
    "send_holding_response",
    "start_complaint",
    "verify_identity",
    "wait_for_customer",
    "withdraw_complaint",
    "withdraw_extension",
]
