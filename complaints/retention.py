"""What retention pseudonymises in a complaint once its period ends (``casework.privacy.retention``):
who complained and how to reach them, the free text, the files. What counts stays."""

from __future__ import annotations

from casework.models.kinds import Personal, Retention
from casework.models.retention import PSEUDONYMISED

from .models import Complaint, ComplaintAttachment, ComplaintNote, PartnerMessage
from .models.complaint import ENDED_STATES
from .models.survey import SurveyResponse


def identifiers(complaint: Complaint) -> tuple[str, ...]:
    values = (
        complaint.customer_name,
        complaint.customer_phone,
        complaint.customer_email,
        complaint.account_number,
    )
    return tuple(str(value) for value in values if value and str(value) != PSEUDONYMISED)


RETENTION = Retention(
    ended_states=ENDED_STATES,
    ended_at="updated_at",
    personal=(
        Personal(
            Complaint,
            {
                "customer_name": PSEUDONYMISED,
                "customer_phone": "",
                "customer_email": "",
                "account_number": "",
                "description": PSEUDONYMISED,
                "device": "",
                "findings": PSEUDONYMISED,
                "escalation_reason": PSEUDONYMISED,
                "holding_response": PSEUDONYMISED,
                "resolution_summary": PSEUDONYMISED,
            },
        ),
        Personal(ComplaintNote, {"body": PSEUDONYMISED}, case_field="complaint"),
        Personal(PartnerMessage, {"body": PSEUDONYMISED}, case_field="complaint"),
        Personal(
            ComplaintAttachment, {"description": PSEUDONYMISED}, case_field="complaint", file_field="file"
        ),
        # The rating counts (the dashboard's satisfaction); the comment goes.
        Personal(SurveyResponse, {"comment": PSEUDONYMISED}, case_field="complaint"),
    ),
    identifiers=identifiers,
    # No rule needs the survey's comment kept: an executed erasure request erases it at once.
    erasable=(Personal(SurveyResponse, {"comment": PSEUDONYMISED}, case_field="complaint"),),
)
