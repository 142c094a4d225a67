"""The reasons a survey answer writes into the trail (``casework.trail.reasons``), with the
customer's comment as they typed it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from casework.trail import reasons

LOW_SCORE = reasons.register(
    "complaints.survey_low_score", _("Customer rated %(rating)s/5 in the satisfaction survey: %(comment)s")
)
LOW_SCORE_NO_COMMENT = reasons.register(
    "complaints.survey_low_score_no_comment",
    _("Customer rated %(rating)s/5 in the satisfaction survey, with no comment"),
)


def low_score(rating: int, comment: str) -> reasons.SystemReason:
    if comment:
        return LOW_SCORE(rating=rating, comment=comment)
    return LOW_SCORE_NO_COMMENT(rating=rating)
