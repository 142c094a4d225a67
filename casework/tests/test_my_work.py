"""My work: the clerk's open cases and the team's queue, due first; Take next under a row lock."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import RequestState
from accounts.tests.factories import request_in_state
from casework.access import roles
from casework.models import TransitionRecord
from casework.tests.races import race
from casework.tests.users import make_user
from casework.workspace import queues
from complaints.models import Complaint, State
from complaints.services import add_partner_message
from complaints.tests.factories import complaint_in_state, file_complaint, register
from refunds.models import RefundState
from refunds.services import approve_refund
from refunds.tests.factories import large, open_refund, refund_in_state

MY_WORK = reverse("admin-my-work")
TAKE_NEXT = reverse("admin-take-next")


def test_my_cases_and_the_team_queue_are_due_first(agent, other_agent, partner):
    mine = register(agent)
    later, sooner = file_complaint(partner), file_complaint(partner)
    sooner.sla_clock.first_response_due_at = later.sla_clock.first_response_due_at.replace(year=2020)
    sooner.sla_clock.save()
    register(other_agent)

    assert [row.case for row in queues.my_cases(agent)] == [mine]
    assert [row.case for row in queues.team_queue(agent)] == [sooner, later]
    assert queues.counts(agent).waiting_on_me == 1


def test_breached_cases_are_counted(agent):
    late = register(agent)
    late.sla_clock.first_response_due_at = late.sla_clock.started_at.replace(year=2020)
    late.sla_clock.save()
    register(agent)

    counts = queues.counts(agent)
    assert (counts.breached, counts.waiting_on_me) == (1, 2)


def test_take_next_gives_me_the_most_urgent_case_through_the_trail(agent, partner):
    later, sooner = file_complaint(partner), file_complaint(partner)
    sooner.sla_clock.first_response_due_at = later.sla_clock.first_response_due_at.replace(year=2020)
    sooner.sla_clock.save()

    taken = queues.take_next(actor=agent)

    assert taken == sooner
    assert Complaint.objects.get(pk=sooner.pk).assigned_to == agent
    record = TransitionRecord.objects.get(case_reference=sooner.reference, transition="take")
    assert record.actor == agent
    assert queues.take_next(actor=agent) == later
    assert queues.take_next(actor=agent) is None


def test_only_my_teams_queue_is_mine_to_take(technician, partner):
    file_complaint(partner)  # the frontline's
    assert queues.team_queue(technician) == []
    assert queues.take_next(actor=technician) is None


def test_the_refunds_desk_takes_refund_cases(agent):
    refunds_desk = make_user("refunds.qian", roles.REFUNDS_DESK)
    case = open_refund(agent)

    assert [row.case for row in queues.team_queue(refunds_desk)] == [case]
    assert queues.take_next(actor=refunds_desk) == case
    case.refresh_from_db()
    assert case.handler == refunds_desk


def test_the_page_takes_next_and_opens_the_case(client, agent, partner):
    complaint = file_complaint(partner)
    client.force_login(agent)

    page = client.get(MY_WORK)
    assert page.status_code == 200
    assert complaint.reference in page.content.decode()
    assert 'class="deadline deadline--' in page.content.decode()

    response = client.post(TAKE_NEXT, {"next": MY_WORK})
    assert response.status_code == 302
    assert response.url == reverse("admin:complaints_complaint_change", args=[complaint.pk])
    assert Complaint.objects.get(pk=complaint.pk).assigned_to == agent

    response = client.post(TAKE_NEXT, {"next": MY_WORK}, follow=True)
    assert "nothing to take" in response.content.decode()


def test_agents_land_on_my_work_and_supervisors_on_the_dashboard(client, agent, supervisor):
    client.force_login(agent)
    index = client.get(reverse("admin:index")).content.decode()
    assert 'id="my-work-heading"' in index
    assert f'href="{MY_WORK}"' in index

    client.force_login(supervisor)
    index = client.get(reverse("admin:index")).content.decode()
    assert 'id="my-work-heading"' not in index
    assert f'href="{MY_WORK}"' in index  # the link is there for everyone who works cases


def test_staff_without_case_access_have_no_my_work(client, auditor):
    client.force_login(auditor)
    assert client.get(MY_WORK).status_code == 403
    assert client.post(TAKE_NEXT).status_code == 403


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MY_WORK)
    assert response.status_code == 200
    return len(queries)


def _handed_back(agent, partner) -> None:
    """One of my cases a partner wrote on: a hand-back waiting for me."""
    complaint = queues.take(case=file_complaint(partner), actor=agent)
    add_partner_message(complaint=complaint, actor=partner.user, body="The customer sent the receipt.")


def test_my_work_query_count_does_not_grow_with_the_cases(client, agent, partner):
    client.force_login(agent)
    for _ in range(3):
        register(agent)
        file_complaint(partner)
        _handed_back(agent, partner)
    client.get(MY_WORK)  # warm the content-type and session caches
    with_three = _page_queries(client)

    for _ in range(27):
        register(agent)
        file_complaint(partner)
        _handed_back(agent, partner)
    with_thirty = _page_queries(client)

    assert with_three == with_thirty, (with_three, with_thirty)
    assert queues.counts(agent).handed_back == 30


def _escalated_and_awaiting_decisions(agent, supervisor, first_approver, count: int) -> None:
    """``count`` complaints escalated to the technical team, account requests pending
    review and large refunds awaiting their second approval."""
    for _ in range(count):
        complaint_in_state(State.ESCALATED, agent=agent)
        request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
        case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=first_approver, **large())
        approve_refund(case=case, actor=first_approver)


def test_the_escalated_and_decision_lists_cost_the_same_queries_at_any_size(
    client, agent, technician, supervisor, risk_officer
):
    first_approver = make_user("refunds.zhou", roles.REFUNDS_DESK)
    second_approver = make_user("refunds.qian", roles.REFUNDS_DESK)
    _escalated_and_awaiting_decisions(agent, supervisor, first_approver, 3)
    sizes = {}
    for user in (technician, risk_officer, second_approver):
        client.force_login(user)
        client.get(MY_WORK)  # warm the content-type and session caches
        sizes[user.username] = [_page_queries(client)]

    _escalated_and_awaiting_decisions(agent, supervisor, first_approver, 10)
    for user in (technician, risk_officer, second_approver):
        client.force_login(user)
        client.get(MY_WORK)
        sizes[user.username].append(_page_queries(client))

    assert all(with_three == with_thirteen for with_three, with_thirteen in sizes.values()), sizes
    assert len(queues.escalated_to_my_team(technician)) == 13
    assert len(queues.awaiting_my_decision(risk_officer)) == 13
    assert len(queues.awaiting_my_decision(second_approver)) == 13


@pytest.mark.postgres
def test_postgres_two_clerks_taking_at_once_get_two_different_cases(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent, partner
):
    first, second = file_complaint(partner), file_complaint(partner)

    outcomes = race(
        lambda: queues.take_next(actor=agent),
        lambda: queues.take_next(actor=other_agent),
    )

    assert all(isinstance(outcome, Complaint) for outcome in outcomes), outcomes
    assert {outcome.pk for outcome in outcomes} == {first.pk, second.pk}
    holders = dict(Complaint.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "assigned_to"))
    assert sorted(holders.values()) == sorted([agent.pk, other_agent.pk])


def test_a_case_due_today_by_its_first_response_is_due_today_everywhere(client, agent):
    """One rule for "due today" and "breached", by the next deadline: My work's counters,
    the team view and the saved views count the same case the same way."""
    import datetime as dt

    from django.utils import timezone

    from casework.admin.filters import view_counts
    from casework.models import CaseType, kinds
    from casework.sla.calendars import business_zone, end_of_day
    from casework.workspace import teams

    now = timezone.now()
    # Between now and midnight whatever the hour the suite runs at (10 minutes would cross
    # midnight in the last ten minutes of the day).
    due_today = now + (end_of_day(now, business_zone()) - now) / 2
    today, late = register(agent), register(agent)
    for case, due in ((today, due_today), (late, now - dt.timedelta(minutes=10))):
        clock = case.sla_clock
        clock.first_response_due_at = due  # unanswered: the first response is the next deadline
        clock.resolution_due_at = clock.resolution_warn_at = now + dt.timedelta(days=10)
        clock.save()

    counted = queues.counts(agent)
    assert (counted.due_today, counted.breached) == (1, 1)
    frontline = next(load for load in teams.team_loads() if load.team.code == "frontline")
    held = next(member for member in frontline.members if member.user == agent).loads[CaseType.COMPLAINT]
    assert (held.due_today, held.breached) == (1, 1)
    views = view_counts(kinds.kind_of(Complaint), agent)
    assert (views["due_today"], views["breached"]) == (1, 1)
    client.force_login(agent)
    page = client.get(MY_WORK).content.decode()
    assert today.reference in page and late.reference in page
