"""The satisfaction survey: the signed link, one answer per complaint, what a low score
does, the public page's refusals, its rate limit and its CSRF check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from casework.models import Handback, HandbackKind, TransitionRecord
from casework.trail.audit import records_for
from complaints.models import Complaint, State, SurveyOutcome, SurveyResponse
from complaints.survey import links
from complaints.survey.services import AlreadyAnswered, answer_survey
from complaints.tests.factories import complaint_in_state


@pytest.fixture
def resolved(agent) -> Complaint:
    return complaint_in_state(State.RESOLVED, agent=agent)


def page(token: str) -> str:
    """The page in English (the customers of these complaints read Chinese by default)."""
    return f"/survey/{token}/?lang=en"


def test_the_link_is_absolute_and_names_only_the_reference(resolved, settings):
    settings.PUBLIC_BASE_URL = "https://care.wallet.example"
    url = links.survey_url(resolved)
    assert url.startswith(f"https://care.wallet.example/survey/{resolved.reference}.")
    assert resolved.customer_phone not in url and resolved.customer_name.replace(" ", "") not in url


def test_a_valid_link_stores_the_answer_once(resolved):
    token = links.survey_token(resolved)
    response = answer_survey(token=token, rating=5, comment="Quick and clear, thank you")
    assert (response.complaint, response.rating, response.outcome) == (resolved, 5, SurveyOutcome.NOTHING)
    with pytest.raises(AlreadyAnswered):
        answer_survey(token=token, rating=1, comment="changed my mind")
    assert SurveyResponse.objects.get(complaint=resolved).rating == 5


def test_the_page_takes_one_answer_and_then_says_thank_you(resolved, client):
    url = page(links.survey_token(resolved))
    form = client.get(url)
    assert form.status_code == 200
    assert resolved.reference in form.content.decode()
    answered = client.post(url, {"rating": "4", "comment": "Fine"}, follow=True)
    assert answered.status_code == 200
    assert "Thank you" in answered.content.decode()
    again = client.post(url, {"rating": "1", "comment": "again"})
    assert again.status_code == 409
    assert "has been answered" in again.content.decode()
    assert client.get(url).status_code == 200  # a second visit: thank you, already answered
    assert SurveyResponse.objects.get(complaint=resolved).rating == 4


def test_the_page_speaks_the_customers_language_and_switches(resolved, client):
    url = f"/survey/{links.survey_token(resolved)}/"
    chinese = client.get(url)  # zh-hans, the default customer language
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    assert chinese["Content-Language"] == "zh-hans"
    assert "您对我们的服务满意吗" in chinese.content.decode()
    english = client.get(f"{url}?lang=en")
    assert "How did we do?" in english.content.decode()
    # No service sets the language yet (issue 16's intake does): as the field would be set.
    Complaint.objects.filter(pk=resolved.pk).update(customer_language="en")
    assert client.get(url)["Content-Language"] == "en"


def test_an_expired_link_is_refused(resolved, client, settings):
    settings.SURVEY_LINK_DAYS = 14
    token = links.survey_token(resolved, issued_at=timezone.now() - dt.timedelta(days=15))
    with pytest.raises(links.SurveyLinkExpired):
        answer_survey(token=token, rating=5)
    response = client.get(page(token))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token.replace(token.split(".")[0], "CMP-20200101-000001"),  # another case
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused(resolved, client, tamper):
    token = tamper(links.survey_token(resolved))
    with pytest.raises(links.SurveyLinkTampered):
        answer_survey(token=token, rating=5)
    response = client.post(page(token), {"rating": "1"})
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_closed_complaint_can_still_be_rated(agent):
    closed = complaint_in_state(State.CLOSED, agent=agent)
    response = answer_survey(token=links.survey_token(closed), rating=1, comment="Still unhappy")
    closed.refresh_from_db()
    assert (closed.state, response.outcome) == (State.CLOSED, SurveyOutcome.NOTHING)


def test_a_complaint_being_worked_on_cannot_be_rated(agent, client):
    open_complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    response = client.get(page(links.survey_token(open_complaint)))
    assert response.status_code == 409
    assert "Not ready to rate yet" in response.content.decode()


def test_a_low_score_within_the_window_reopens_with_the_comment_in_the_trail(resolved, agent, settings):
    settings.SURVEY_LOW_SCORE_ACTION = "reopen"
    response = answer_survey(token=links.survey_token(resolved), rating=2, comment="The refund never arrived")
    resolved.refresh_from_db()
    assert (resolved.state, response.outcome) == (State.IN_PROGRESS, SurveyOutcome.REOPENED)
    record = records_for(resolved).filter(transition="reopen").get()
    assert record.reason == "Customer rated 2/5 in the satisfaction survey: The refund never arrived"
    assert (record.actor, record.actor_label) == (None, "satisfaction survey")
    told = Handback.objects.get(holder=agent, kind=HandbackKind.LOW_SURVEY_SCORE)
    assert told.case_reference == resolved.reference


def test_a_low_score_escalates_to_the_complaints_department_when_configured(
    resolved, settings, complaints_department
):
    settings.SURVEY_LOW_SCORE_ACTION = "escalate"
    response = answer_survey(complaint=resolved, rating=1, comment="Nobody listened")
    resolved.refresh_from_db()
    assert (resolved.state, resolved.escalated_to, response.outcome) == (
        State.ESCALATED,
        complaints_department,
        SurveyOutcome.ESCALATED,
    )
    assert "Nobody listened" in resolved.escalation_reason
    assert [(r.transition, r.actor_label) for r in records_for(resolved)][-2:] == [
        ("reopen", "satisfaction survey"),
        ("escalate", "satisfaction survey"),
    ]


def test_a_low_score_outside_the_window_is_recorded_and_reopens_nothing(resolved, settings):
    Complaint.objects.filter(pk=resolved.pk).update(
        resolved_at=timezone.now() - dt.timedelta(days=settings.COMPLAINT_REOPEN_WINDOW_DAYS + 1)
    )
    # The link was sent at the resolution and is still valid a while after the window.
    settings.SURVEY_LINK_DAYS = settings.COMPLAINT_REOPEN_WINDOW_DAYS + 7
    before = TransitionRecord.objects.count()
    response = answer_survey(token=links.survey_token(resolved), rating=1, comment="Too late now")
    resolved.refresh_from_db()
    assert (resolved.state, response.outcome, response.comment) == (
        State.RESOLVED,
        SurveyOutcome.NOTHING,
        "Too late now",
    )
    assert TransitionRecord.objects.count() == before


def test_a_good_score_changes_nothing(resolved):
    answer_survey(complaint=resolved, rating=3)
    resolved.refresh_from_db()
    assert resolved.state == State.RESOLVED


def test_a_rating_outside_one_to_five_is_refused_by_the_page(resolved, client):
    url = page(links.survey_token(resolved))
    response = client.post(url, {"rating": "6"})
    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_the_page_is_rate_limited_per_address(resolved, settings):
    settings.SURVEY_RATE_LIMIT = "3/m"
    url = page(links.survey_token(resolved))
    visitor, neighbour = Client(REMOTE_ADDR="10.9.8.7"), Client(REMOTE_ADDR="10.9.8.6")
    assert [visitor.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = visitor.get(url)
    assert limited.status_code == 429
    assert "Too many tries" in limited.content.decode()
    assert neighbour.get(url).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(resolved):
    guarded = Client(enforce_csrf_checks=True)
    url = page(links.survey_token(resolved))
    assert guarded.post(url, {"rating": "1"}).status_code == 403
    assert not SurveyResponse.objects.exists()
    form = guarded.get(url)
    token = form.cookies["csrftoken"].value
    assert guarded.post(url, {"rating": "5", "csrfmiddlewaretoken": token}).status_code == 302
    assert SurveyResponse.objects.get().rating == 5


def test_the_page_uses_no_inline_script_or_style(resolved, client):
    html = client.get(page(links.survey_token(resolved))).content.decode()
    assert "<script" not in html and "<style" not in html and " style=" not in html
    assert "/static/survey/survey.css" in html
