"""The survey's one use case: the customer answers. The rule of what a low score does lives
here, and only here; the page (``views``) calls :func:`answer_survey`."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.cases.teams import team_for_code
from casework.core.errors import InvalidInput, TransitionRefused
from casework.models import HandbackKind
from casework.notices import outbox
from casework.workspace import handbacks
from complaints import services as complaint_services
from complaints.models import (
    Complaint,
    State,
    SurveyOutcome,
    SurveyResponse,
    within_reopen_window,
)

from . import links, reasons

# A survey asks about an outcome: a complaint resolved, or resolved and closed since.
RATEABLE_STATES = (State.RESOLVED, State.CLOSED)
REOPEN = "reopen"
ESCALATE = "escalate"
# What the trail names as the actor of a reopen or an escalation the survey caused.
SURVEY_ACTOR = "satisfaction survey"


class AlreadyAnswered(TransitionRefused):
    """The complaint's survey was answered before: one answer per case."""

    code = "already_answered"


class NotRateable(TransitionRefused):
    """The complaint is not (or no longer) resolved: nothing to rate now."""

    code = "not_rateable"


def rateable_refusal(complaint: Complaint) -> TransitionRefused | None:
    """Why ``complaint``'s survey cannot be answered now, or None: the page asks it before it
    draws the form, the service before it writes."""
    if SurveyResponse.objects.filter(complaint=complaint).exists():
        return AlreadyAnswered(_("This complaint's survey has already been answered."))
    if complaint.state not in RATEABLE_STATES:
        return NotRateable(_("This complaint is not resolved at the moment: there is nothing to rate yet."))
    return None


def _clean(rating, comment: str) -> tuple[int, str]:
    response = SurveyResponse(
        rating=rating if isinstance(rating, int) else 0, comment=(comment or "").strip()
    )
    try:
        response.clean_fields(exclude=["complaint", "answered_at", "outcome"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise InvalidInput(messages[0], field=field) from error
    return response.rating, response.comment


def answer_survey(
    *, token: str | None = None, complaint: Complaint | None = None, rating: int, comment: str = ""
) -> SurveyResponse:
    """Record the customer's answer for the complaint ``token`` names (or ``complaint``).

    A rating at or below ``SURVEY_LOW_SCORE`` on a resolved complaint still within its reopen
    window reopens it, with the rating and the comment as the reason, and tells its holder;
    with ``SURVEY_LOW_SCORE_ACTION = "escalate"`` it is then escalated to the complaints
    department too. A closed complaint, or one past its window, keeps the answer only.
    Refuses a second answer (:class:`AlreadyAnswered`), and a link that is expired or forged
    (``links.SurveyLinkRefused``).
    """
    if (token is None) == (complaint is None):
        raise ValueError("answer_survey takes a token or a complaint")
    rating, comment = _clean(rating, comment)
    with transaction.atomic():
        if token is not None:
            complaint = links.complaint_for_token(token, for_update=True)
        else:
            complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        refusal = rateable_refusal(complaint)
        if refusal is not None:
            raise refusal
        response = SurveyResponse(
            complaint=complaint, rating=rating, comment=comment, answered_at=timezone.now()
        )
        try:
            with transaction.atomic():
                response.save()
        except IntegrityError as error:  # answered in the same instant elsewhere
            raise AlreadyAnswered(_("This complaint's survey has already been answered.")) from error
        outcome = _act_on_low_score(complaint, rating, comment)
        if outcome != SurveyOutcome.NOTHING:
            response.outcome = outcome
            response.save(update_fields=["outcome"])
    return response


def is_low(rating: int) -> bool:
    return rating <= settings.SURVEY_LOW_SCORE


def _act_on_low_score(complaint: Complaint, rating: int, comment: str) -> str:
    if not is_low(rating) or complaint.state != State.RESOLVED or not within_reopen_window(complaint):
        return SurveyOutcome.NOTHING
    reason = reasons.low_score(rating, comment)
    # The escalation's field and notice, and the holder's e-mail, keep the words in the
    # deployment's language; the transition record keeps the code (each reader's language).
    with outbox.notice_language():
        written = reason.render()
    complaint = complaint_services.reopen_complaint(
        complaint=complaint, actor=None, reason=reason, system_label=SURVEY_ACTOR
    )
    outcome = SurveyOutcome.REOPENED
    if settings.SURVEY_LOW_SCORE_ACTION == ESCALATE:
        complaint = complaint_services.escalate_complaint(
            complaint=complaint,
            actor=None,
            team=team_for_code(settings.SURVEY_ESCALATION_TEAM),
            reason=written,
            system_label=SURVEY_ACTOR,
        )
        outcome = SurveyOutcome.ESCALATED
    handbacks.hand_back(complaint, kind=HandbackKind.LOW_SURVEY_SCORE, actor=None, detail=written)
    return outcome
