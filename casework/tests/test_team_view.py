"""The supervisors' team view: who holds what, due today, breached, each team's queue, who is
overloaded; the same few queries at any size; every figure opens the list of those cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.access import roles
from casework.models import CaseType, Team
from casework.tests.users import make_user
from casework.workspace import teams
from complaints.models import State
from complaints.tests.factories import complaint_in_state, file_complaint, register
from refunds.tests.factories import open_refund

TEAM_VIEW = reverse("admin-team")


def _due(case, *, at: dt.datetime) -> None:
    """Move the case's next deadline: its first response while unanswered, else its resolution."""
    clock = case.sla_clock
    if clock.first_responded_at is None:
        clock.first_response_due_at = at
    else:
        clock.resolution_due_at = at
    clock.save()


def _team(loads, code: str) -> teams.TeamLoad:
    return next(load for load in loads if load.team.code == code)


def _member(team_load: teams.TeamLoad, user) -> teams.Member:
    return next(member for member in team_load.members if member.user == user)


def test_each_member_is_counted_by_kind_with_due_today_and_breached(agent, other_agent, supervisor, partner):
    now = timezone.now()
    late, today = register(agent), register(agent)
    register(agent)
    _due(late, at=now - dt.timedelta(hours=1))
    _due(today, at=now + dt.timedelta(minutes=5))
    register(other_agent)
    complaint_in_state(State.RESOLVED, agent=other_agent)  # finished: not counted
    file_complaint(partner)  # the frontline's queue
    file_complaint(partner)
    open_refund(agent)  # nobody handles it: the refunds desk's queue

    loads = teams.team_loads(now=now)

    frontline = _team(loads, "frontline")
    wang = _member(frontline, agent).loads[CaseType.COMPLAINT]
    assert (wang.open, wang.due_today, wang.breached) == (3, 1, 1)
    assert _member(frontline, other_agent).loads[CaseType.COMPLAINT] == teams.Load(1, 0, 0)
    assert _member(frontline, agent).loads[CaseType.REFUND] == teams.Load()
    assert [member.user for member in frontline.members] == [agent, other_agent]  # the most loaded first
    assert frontline.queue == {CaseType.COMPLAINT: 2}  # agents take no refund cases
    assert _team(loads, "technical").queue == {CaseType.COMPLAINT: 0}
    # Who may take refund cases shares their queue: the refunds desk, and supervisors.
    assert _team(loads, "refunds").queue[CaseType.REFUND] == 1
    assert _team(loads, "supervisors").queue == {CaseType.COMPLAINT: 0, CaseType.REFUND: 1}
    assert _member(_team(loads, "supervisors"), supervisor).open == 0


def test_a_member_holding_more_than_the_limit_is_overloaded(settings, agent, other_agent):
    settings.WORKSPACE_OVERLOAD_CASES = 2
    for _ in range(3):
        register(agent)
    register(other_agent)
    register(other_agent)

    frontline = _team(teams.team_loads(), "frontline")

    assert _member(frontline, agent).is_overloaded
    assert not _member(frontline, other_agent).is_overloaded  # at the limit, not over it
    assert frontline.overloaded == 1


def _fill(agents, partner, per_agent: int) -> None:
    for user in agents:
        for _ in range(per_agent):
            register(user)
    for _ in range(per_agent):
        file_complaint(partner)
        open_refund(agents[0])


def test_the_page_costs_the_same_queries_at_any_size(client, supervisor, agent, partner):
    client.force_login(supervisor)
    _fill([agent], partner, 1)
    client.get(TEAM_VIEW)  # warm: the session, the content types
    with CaptureQueriesContext(connection) as small:
        assert client.get(TEAM_VIEW).status_code == 200

    more = [make_user(f"agent.{n}", roles.AGENT) for n in range(4)]
    make_user("refunds.qian", roles.REFUNDS_DESK)
    _fill([agent, *more], partner, 4)
    with CaptureQueriesContext(connection) as large:
        assert client.get(TEAM_VIEW).status_code == 200

    assert len(large) == len(small)


def test_the_reads_cost_the_same_queries_at_any_size(agent, partner):
    _fill([agent], partner, 1)
    with CaptureQueriesContext(connection) as small:
        teams.team_loads()
    _fill([agent, make_user("agent.li", roles.AGENT)], partner, 3)
    with CaptureQueriesContext(connection) as large:
        teams.team_loads()
    assert len(large) == len(small)


def test_each_figure_opens_the_list_of_exactly_those_cases(client, supervisor, agent, partner):
    now = timezone.now()
    late = register(agent)
    _due(late, at=now - dt.timedelta(hours=1))
    register(agent)
    queued = file_complaint(partner)
    client.force_login(supervisor)

    page = client.get(TEAM_VIEW).content.decode()

    complaints = reverse("admin:complaints_complaint_changelist")
    breached_url = f"{complaints}?open=breached&amp;assigned_to__id__exact={agent.pk}"
    open_url = f"{complaints}?open=all&amp;assigned_to__id__exact={agent.pk}"
    frontline = Team.objects.get(code="frontline")
    queue_url = f"{complaints}?open=all&amp;assigned_to__isnull=True&amp;team__id__exact={frontline.pk}"
    for url, count in ((open_url, 2), (breached_url, 1), (queue_url, 1)):
        assert f'href="{url}">{count}</a>' in page
    breached = client.get(breached_url.replace("&amp;", "&"))
    assert [case.pk for case in breached.context["cl"].result_list] == [late.pk]
    queue = client.get(queue_url.replace("&amp;", "&"))
    assert [case.pk for case in queue.context["cl"].result_list] == [queued.pk]


def test_the_page_flags_the_overloaded_and_links_the_saved_views(settings, client, supervisor, agent):
    settings.WORKSPACE_OVERLOAD_CASES = 1
    register(agent)
    register(agent)
    client.force_login(supervisor)

    page = client.get(TEAM_VIEW).content.decode()

    assert f'team-view__member--overloaded" data-member="{agent.username}"' in page
    assert "overloaded</span>" in page
    assert f'href="{reverse("admin:complaints_complaint_changelist")}?open=all&amp;view=mine"' in page
    assert f'href="{reverse("admin:refunds_refundcase_changelist")}?open=breached&amp;view=mine"' in page


def test_the_dashboard_leads_supervisors_to_the_team_view(client, supervisor):
    client.force_login(supervisor)
    assert f'href="{TEAM_VIEW}"' in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("role", [roles.AGENT, roles.REFUNDS_DESK])
def test_only_supervisors_see_the_team_view(client, db, role):
    client.force_login(make_user("clerk", role))
    assert client.get(TEAM_VIEW).status_code == 403


def test_a_member_of_two_teams_is_in_both(agent):
    services_team = Team.objects.get(code="technical")
    agent.groups.add(services_team.group)
    register(agent)
    loads = teams.team_loads()
    assert _member(_team(loads, "frontline"), agent).open == 1
    assert _member(_team(loads, "technical"), agent).open == 1


def test_in_chinese_the_quiet_teams_are_listed_with_the_chinese_comma(client, supervisor):
    client.force_login(supervisor)
    page = client.get(TEAM_VIEW, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    quiet = page.split('class="team-view__quiet">', 1)[1].split("</p>", 1)[0]
    assert "、" in quiet and ", " not in quiet
