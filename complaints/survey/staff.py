"""What staff read of the customer's survey answer on the complaint's admin page: a
read-only field beside the outcome (every reader of the complaint, auditors included) and a
line on the timeline, "Customer rated 2/5: …"."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy

from casework.cases.timeline import Entry
from complaints.models import Complaint, SurveyResponse

CUSTOMER = pgettext_lazy("actor", "customer")


def _response(complaint: Complaint) -> SurveyResponse | None:
    try:
        return complaint.survey_response
    except SurveyResponse.DoesNotExist:
        return None


def rated(response: SurveyResponse) -> str:
    return gettext("Customer rated %(rating)s/5") % {"rating": response.rating}


def survey_answer(complaint: Complaint) -> str:
    """The answer as the complaint page shows it, or a dash when there is none yet."""
    response = _response(complaint)
    if response is None:
        return "—"
    return format_html(
        '<div class="survey-answer"><strong>{}</strong> · {} · {}{}</div>',
        rated(response),
        response.get_outcome_display(),
        f"{timezone.localtime(response.answered_at):%Y-%m-%d %H:%M}",
        format_html('<p class="survey-comment">{}</p>', response.comment) if response.comment else "",
    )


def timeline_entries(complaint: Complaint) -> Iterable[Entry]:
    """The answer on the complaint's timeline, by the customer (one query)."""
    response = SurveyResponse.objects.filter(complaint=complaint).first()
    if response is None:
        return
    what = rated(response)
    if response.comment:
        what = f"{what}: {response.comment}"
    yield Entry(response.answered_at, "survey", str(CUSTOMER), what, response.get_outcome_display())
