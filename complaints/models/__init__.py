"""Complaints: what the customer reported, who holds it, its state machine (``complaint``),
what is kept on it beside its fields (``records``), and the customer's survey answer
(``survey``)."""

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
    email_channel_refusal,
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
from complaints.models.survey import (
    RATING_MAX,
    RATING_MIN,
    SURVEY_COMMENT_MAX_LENGTH,
    SurveyOutcome,
    SurveyResponse,
)

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_STATES",
    "OPEN_STATES",
    "RATING_MAX",
    "RATING_MIN",
    "REQUIRED_DETAILS",
    "SURVEY_COMMENT_MAX_LENGTH",
    "Category",
    "Channel",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintNote",
    "PartnerMessage",
    "Priority",
    "ResolutionCode",
    "State",
    "SurveyOutcome",
    "SurveyResponse",
    "Turn",
    "VerificationMethod",
    "attachment_path",
    "email_channel_refusal",
    "identity_is_verified",
    "may_return_findings",
    "within_reopen_window",
]
