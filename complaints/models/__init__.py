"""Complaints: what the customer reported, who holds it, its state machine (``complaint``)
and its states (``states``), what is kept on it beside its fields (``records``), merging a
duplicate into another (``merging``), the customer's survey answer (``survey``), and the
codes a regulator counts it by (``classification``)."""

from complaints.models.classification import ClassificationCode, Classified, Dimension, Outcome
from complaints.models.complaint import (
    OPEN_STATES,
    PHONE_NEEDED,
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
    missing_phone_refusal,
    within_reopen_window,
)
from complaints.models.merging import MERGE_PERMISSION, Mergeable, merge_refusal
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
    "MERGE_PERMISSION",
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_STATES",
    "OPEN_STATES",
    "PHONE_NEEDED",
    "RATING_MAX",
    "RATING_MIN",
    "REQUIRED_DETAILS",
    "SURVEY_COMMENT_MAX_LENGTH",
    "Category",
    "Channel",
    "ClassificationCode",
    "Classified",
    "Complaint",
    "ComplaintAttachment",
    "ComplaintNote",
    "Dimension",
    "Mergeable",
    "Outcome",
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
    "merge_refusal",
    "missing_phone_refusal",
    "within_reopen_window",
]
