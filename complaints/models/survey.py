"""The customer's answer to the satisfaction survey after a complaint was resolved: one per
complaint, a rating from 1 to 5, an optional comment, and what the answer caused.

Written by ``complaints.survey.services.answer_survey`` only; the page that asks is
``complaints.survey.views``."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.core.limits import REASON_MAX_LENGTH, bounded_text
from complaints.models.complaint import Complaint

RATING_MIN = 1
RATING_MAX = 5
# A comment is what the customer says about the outcome: as long as a reason.
SURVEY_COMMENT_MAX_LENGTH = REASON_MAX_LENGTH


class SurveyOutcome(models.TextChoices):
    """What the answer did to the complaint."""

    NOTHING = "nothing", _("nothing (recorded)")
    REOPENED = "reopened", _("reopened the complaint")
    ESCALATED = "escalated", _("reopened and escalated the complaint")


class SurveyResponse(models.Model):
    complaint = models.OneToOneField(
        Complaint, on_delete=models.PROTECT, related_name="survey_response", verbose_name=_("complaint")
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)],
        help_text=_("1 (very dissatisfied) to 5 (very satisfied)."),
        verbose_name=_("rating"),
    )
    comment = bounded_text(SURVEY_COMMENT_MAX_LENGTH, blank=True, verbose_name=_("comment"))
    answered_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("answered at"))
    outcome = models.CharField(
        max_length=10, choices=SurveyOutcome.choices, default=SurveyOutcome.NOTHING, verbose_name=_("outcome")
    )
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-answered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="surveyresponse_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return gettext("Customer rated %(rating)s/5") % {"rating": self.rating}

    @property
    def is_satisfied(self) -> bool:
        """A 4 or a 5: what CSAT counts."""
        return self.rating >= 4
