"""Complaints: what the customer reported, who holds it, its state machine (``complaint``),
and what is kept on it beside its fields (``records``)."""

from complaints.models.complaint import (
    OPEN_STATES,
    REQUIRED_DETAILS,
    Category,
    Channel,
    Complaint,
    Priority,
    ResolutionCode,
    State,
    Turn,
    VerificationMethod,
    identity_is_verified,
    may_return_findings,
    within_reopen_window,
)
from complaints.models.records import (
    MESSAGE_MAX_LENGTH,
    MESSAGE_STATES,
    ComplaintAttachment,
    ComplaintNote,
    PartnerMessage,
    attachment_path,
)

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_STATES",
    "OPEN_STATES",
    "REQUIRED_DETAILS",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintNote",
    "PartnerMessage",
    "Priority",
    "ResolutionCode",
    "State",
    "Turn",
    "VerificationMethod",
    "attachment_path",
    "identity_is_verified",
    "may_return_findings",
    "within_reopen_window",
]
