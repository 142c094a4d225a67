"""What staff see of the survey: CSAT on the dashboard, the answer on the complaint page and
its timeline."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import State
from complaints.survey.services import answer_survey
from complaints.tests.factories import complaint_in_state

INDEX = reverse("admin:index")


def answered(agent, rating: int, comment: str = "", *, days_ago: float = 0):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    at = timezone.now() - dt.timedelta(days=days_ago)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: at)
        answer_survey(complaint=complaint, rating=rating, comment=comment)
    return complaint


def satisfaction_panel(html: str) -> str:
    match = re.search(r'<div class="dashboard-satisfaction".*?</figure>', html, flags=re.S)
    assert match, "no satisfaction panel on the dashboard"
    return match.group(0)


def test_the_dashboard_shows_csat_the_average_and_the_weekly_trend(client, agent, supervisor, settings):
    settings.SURVEY_LOW_SCORE = 0  # nothing reopens: these are figures, not rules
    # Two answers in last week (weeks start on Monday, local time), whatever day it is today.
    now = timezone.localtime()
    last_monday_noon = (now - dt.timedelta(days=now.weekday() + 7)).replace(hour=12, minute=0)
    last_week = (now - last_monday_noon).total_seconds() / 86400
    answered(agent, 5)
    answered(agent, 4, days_ago=last_week)
    answered(agent, 2, days_ago=last_week - 1)
    answered(agent, 1, days_ago=40)  # before the 30-day period
    client.force_login(supervisor)
    panel = satisfaction_panel(client.get(INDEX).content.decode())
    assert 'data-csat="67%"' in panel
    assert "2 of 3 survey answers in the period rated the outcome 4 or 5 of 5; average rating 3.7." in panel
    assert "Satisfied customers (4 or 5 of 5) by week" in panel
    assert "50% (1 of 2)" in panel and "100% (1 of 1)" in panel
    week_of_90 = satisfaction_panel(client.get(f"{INDEX}?period=90").content.decode())
    assert 'data-csat="50%"' in week_of_90  # 2 of 4


def test_the_dashboards_survey_figures_cost_the_same_for_more_answers(client, agent, supervisor, settings):
    settings.SURVEY_LOW_SCORE = 0
    client.force_login(supervisor)
    answered(agent, 5)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured)

    few = queries()
    for days in (1, 3, 8, 15, 22):
        answered(agent, 3, days_ago=days)
    assert queries() == few


def test_the_complaint_page_and_its_timeline_show_the_answer(client, agent, auditor, settings):
    settings.SURVEY_LOW_SCORE_ACTION = "reopen"
    complaint = answered(agent, 2, "The money is still missing")
    client.force_login(auditor)
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert "Customer&#x27;s survey answer" in page or "Customer's survey answer" in page
    assert "Customer rated 2/5</strong> · reopened the complaint" in page
    assert "Customer rated 2/5: The money is still missing" in page
    assert "Customer rated 2/5 in the satisfaction survey: The money is still missing" in page  # the reopen
