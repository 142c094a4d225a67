"""Routing: new cases nobody holds go round-robin to the members of the team with the skill
who take cases now and have room, or wait in the team's queue; a case not taken in time is
offered once to the overflow team or the supervisors; Take next respects capacity."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.access import roles
from casework.cases import sweep
from casework.core.errors import TransitionRefused
from casework.models import MemberCapacity, Notification, QueuedCase, Team, TeamRouting, TransitionRecord
from casework.routing import assignment, offers
from casework.tests.races import race
from casework.tests.users import make_user
from casework.workspace import queues
from complaints.models import Complaint
from complaints.tests.factories import file_complaint, register
from refunds.tests.factories import open_refund


def team(code: str) -> Team:
    return Team.objects.get(code=code)


def routes(code: str, **skills) -> TeamRouting:
    routing, _ = TeamRouting.objects.update_or_create(team=team(code), defaults=skills)
    return routing


def capacity(user, max_open_cases: int = 5, *, is_available: bool = True) -> MemberCapacity:
    return MemberCapacity.objects.create(user=user, max_open_cases=max_open_cases, is_available=is_available)


def records(case, transition: str) -> list[TransitionRecord]:
    return list(TransitionRecord.objects.filter(object_id=case.pk, transition=transition).order_by("pk"))


@pytest.fixture
def refunds_desk_user(db):
    return make_user("refunds.zhou", roles.REFUNDS_DESK)


@pytest.fixture
def frontline_routes(db) -> TeamRouting:
    return routes("frontline", case_types=["complaint"])


def test_partner_complaints_go_round_robin_among_the_members_with_room(
    frontline_routes, agent, other_agent, partner
):
    capacity(agent)
    capacity(other_agent)

    filed = [file_complaint(partner) for _ in range(3)]

    assert [case.assigned_to for case in filed] == [agent, other_agent, agent]
    record = records(filed[1], "route")[0]
    assert record.reason_code == "casework.routed"
    assert record.actor is None
    assert record.reason == (
        f"Routed to {other_agent.username} of Frontline agents: next in turn with the skill and room"
    )
    history = filed[1].history.order_by("-history_id").first()
    assert history.assigned_to_id == other_agent.pk and history.history_change_reason.startswith("Routed to")
    frontline_routes.refresh_from_db()
    assert frontline_routes.last_assigned == agent


def test_the_round_robin_goes_on_where_it_stopped(frontline_routes, agent, other_agent, partner):
    capacity(agent)
    capacity(other_agent)
    frontline_routes.last_assigned = other_agent
    frontline_routes.save()

    assert file_complaint(partner).assigned_to == agent  # after the last one, from the first again


def test_a_case_someone_holds_is_not_routed(frontline_routes, agent, other_agent):
    capacity(other_agent)

    mine = register(agent)

    assert mine.assigned_to == agent
    assert records(mine, "route") == []


def test_the_category_picks_the_team_and_its_member(frontline_routes, agent, partner, complaints_officer):
    capacity(agent)
    capacity(complaints_officer)
    routes("complaints-dept", case_types=["complaint"], categories=["privacy"])

    privacy = file_complaint(partner, category="privacy")
    other = file_complaint(partner, category="other")

    assert (privacy.assigned_to, privacy.team.code) == (complaints_officer, "complaints-dept")
    assert (other.assigned_to, other.team.code) == (agent, "frontline")


def test_the_customer_language_picks_the_team(frontline_routes, agent, partner):
    english = Group.objects.create(name="English speakers")
    english.permissions.set(Group.objects.get(name=roles.AGENT).permissions.all())
    Team.objects.create(code="english-desk", name="English desk", mailbox="en@wallet.example", group=english)
    routes("english-desk", case_types=["complaint"], languages=["en"])
    speaks_english = make_user("agent.smith", None)
    speaks_english.groups.add(english)
    capacity(speaks_english)
    capacity(agent)

    in_english = file_complaint(partner, customer_language="en")
    in_chinese = file_complaint(partner, customer_language="zh-hans")

    assert (in_english.team.code, in_english.assigned_to) == ("english-desk", speaks_english)
    assert (in_chinese.team.code, in_chinese.assigned_to) == ("frontline", agent)


def test_the_case_type_picks_the_team(frontline_routes, agent, refunds_desk_user, partner):
    capacity(agent)
    capacity(refunds_desk_user)
    routes("refunds", case_types=["refund"])

    refund = open_refund(refunds_desk_user)
    complaint = file_complaint(partner)

    assert refund.handler == refunds_desk_user
    assert records(refund, "route")[0].reason_code == "casework.routed"
    assert complaint.assigned_to == agent


def test_a_team_whose_skills_do_not_match_gets_nothing(agent, partner, db):
    routes("frontline", case_types=["refund"])
    capacity(agent)

    filed = file_complaint(partner)

    assert filed.assigned_to is None
    assert not QueuedCase.objects.exists()  # nobody routes it: it waits as before routing


def test_capacity_counts_every_open_case_of_every_kind(frontline_routes, agent, other_agent, partner):
    capacity(agent, 2)
    capacity(other_agent, 1)
    register(agent)  # one open case already

    filed = [file_complaint(partner) for _ in range(3)]

    assert [case.assigned_to for case in filed] == [agent, other_agent, None]
    waiting = QueuedCase.objects.get()
    assert (waiting.object_id, waiting.team.code, waiting.offered_at) == (filed[2].pk, "frontline", None)
    assert [row.case for row in queues.team_queue(agent)] == [filed[2]]  # the team's queue, as before


def test_members_away_are_skipped(frontline_routes, agent, other_agent, partner):
    capacity(agent, is_available=False)
    capacity(other_agent)

    assert [file_complaint(partner).assigned_to for _ in range(2)] == [other_agent, other_agent]


def test_members_without_a_capacity_get_no_routed_cases(frontline_routes, agent, partner):
    filed = file_complaint(partner)

    assert filed.assigned_to is None
    assert QueuedCase.objects.filter(object_id=filed.pk).exists()


def test_an_email_complaint_is_routed(frontline_routes, agent):
    from complaints.services.customer_messages import open_from_message

    capacity(agent)

    filed = open_from_message(
        sender="li.wei@example.com",
        name="Li Wei",
        subject="Payment failed",
        text="My payment failed.",
        language="zh-hans",
        received_at=timezone.now(),
    )

    assert filed.assigned_to == agent


def test_one_assignment_costs_a_fixed_number_of_queries(frontline_routes, agent, other_agent, partner):
    capacity(agent)
    capacity(other_agent)
    frontline_routes.is_active = False
    frontline_routes.save()
    waiting = [file_complaint(partner) for _ in range(2)]
    frontline_routes.is_active = True
    frontline_routes.save()
    for _ in range(3):
        register(agent)  # what they hold does not change the count

    counts = []
    for case in waiting:
        with CaptureQueriesContext(connection) as queries:
            assignment.route(case)
        counts.append(len(queries))

    assert [case.assigned_to for case in waiting] == [agent, other_agent]
    assert counts[0] == counts[1] <= 16, counts


# Not taken in time.


def _wait_long(case, minutes: int = 31) -> None:
    long_ago = timezone.now() - dt.timedelta(minutes=minutes)
    QueuedCase.objects.filter(object_id=case.pk).update(queued_at=long_ago)


def test_a_case_not_taken_in_time_is_offered_to_the_supervisors_once(frontline_routes, partner, settings):
    settings.ROUTING_OFFER_AFTER_MINUTES = 30
    waiting, fresh = file_complaint(partner), file_complaint(partner)
    _wait_long(waiting)
    _wait_long(fresh, 20)

    first = sweep.run(timezone.now())
    again = sweep.run(timezone.now() + dt.timedelta(minutes=1))

    assert first["routing.offered"] == 1 and again["routing.offered"] == 0
    waiting.refresh_from_db()
    assert (waiting.team.code, waiting.assigned_to) == ("supervisors", None)
    (record,) = records(waiting, "offer")
    assert record.reason_code == "casework.offered"
    assert record.reason == (
        "Nobody took it from the queue of Frontline agents within 30 minutes: offered to Supervisors"
    )
    (notice,) = Notification.objects.filter(kind=offers.OFFER_NOTICE)
    assert notice.recipient == "supervisors@wallet.example"
    assert notice.case_reference == waiting.reference and "waited 30 minutes" in notice.body
    assert QueuedCase.objects.get(object_id=waiting.pk).offered_to.code == "supervisors"
    fresh.refresh_from_db()
    assert fresh.team.code == "frontline" and records(fresh, "offer") == []


def test_the_overflow_team_routes_what_it_is_offered(frontline_routes, partner, complaints_officer):
    routes("complaints-dept", case_types=["complaint"], categories=["privacy"])  # not this category…
    frontline_routes.overflow_team = team("complaints-dept")
    frontline_routes.save()
    capacity(complaints_officer)
    waiting = file_complaint(partner)
    _wait_long(waiting)

    offers.run_offers(timezone.now())

    waiting.refresh_from_db()
    # …but what is offered to a team goes to its members with room whatever its skills.
    assert (waiting.team.code, waiting.assigned_to) == ("complaints-dept", complaints_officer)
    assert records(waiting, "offer")[0].reason_code == "casework.offered_to_member"
    assert Notification.objects.get(kind=offers.OFFER_NOTICE).recipient == "complaints-dept@wallet.example"


def test_a_case_taken_meanwhile_is_not_offered(frontline_routes, partner, agent):
    waiting = file_complaint(partner)
    queues.take(case=waiting, actor=agent)
    _wait_long(waiting)

    counts = offers.run_offers(timezone.now())

    assert counts == {"offered": 0, "taken": 1}
    assert records(waiting, "offer") == []
    assert QueuedCase.objects.get(object_id=waiting.pk).left_at is not None


# Take next.


def test_take_next_refuses_a_member_at_capacity(frontline_routes, agent, partner, client):
    capacity(agent, 1, is_available=False)
    register(agent)
    file_complaint(partner)

    with pytest.raises(TransitionRefused, match="You hold 1 open cases and your capacity is 1"):
        queues.take_next(actor=agent)

    client.force_login(agent)
    page = client.post(reverse("admin-take-next"), follow=True)
    assert "your capacity is 1" in page.content.decode()


def test_take_next_takes_below_capacity_and_without_one(frontline_routes, agent, other_agent, partner):
    capacity(agent, 2, is_available=False)
    first, second = file_complaint(partner), file_complaint(partner)

    assert queues.take_next(actor=agent) == first
    assert queues.take_next(actor=other_agent) == second  # no capacity set: no limit
    assert MemberCapacity.objects.get(user=agent).is_available is False  # taking is not "send me more"


# Two at once (PostgreSQL's row locks).


@pytest.mark.postgres
def test_postgres_two_routers_at_once_never_double_assign_nor_exceed_capacity(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent, partner
):
    routes("frontline", case_types=["complaint"])
    capacity(agent, 1)
    capacity(other_agent, 1)

    outcomes = race(*[lambda: file_complaint(partner) for _ in range(4)])

    assert all(isinstance(outcome, Complaint) for outcome in outcomes), outcomes
    held = sorted(Complaint.objects.exclude(assigned_to=None).values_list("assigned_to", flat=True))
    assert held == sorted([agent.pk, other_agent.pk])  # one each: nobody above capacity
    assert QueuedCase.objects.count() == 2
    assert TransitionRecord.objects.filter(transition="route").count() == 2


@pytest.mark.postgres
def test_postgres_two_routers_on_one_case_give_it_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent, partner
):
    routing = routes("frontline", case_types=["complaint"], is_active=False)
    case = file_complaint(partner)
    routing.is_active = True
    routing.save()
    capacity(agent)
    capacity(other_agent)
    copies = [Complaint.objects.get(pk=case.pk) for _ in range(2)]

    race(*[lambda copy=copy: assignment.route(copy) for copy in copies])

    case.refresh_from_db()
    assert case.assigned_to in (agent, other_agent)
    assert len(records(case, "route")) == 1


@pytest.mark.postgres
def test_postgres_take_next_and_a_router_at_once_respect_capacity(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, partner
):
    routing = routes("frontline", case_types=["complaint"], is_active=False)
    queued = file_complaint(partner)
    routing.is_active = True
    routing.save()
    capacity(agent, 1)

    outcomes = race(lambda: queues.take_next(actor=agent), lambda: file_complaint(partner))

    taken, filed = outcomes
    assert isinstance(taken, (Complaint, TransitionRefused)) and isinstance(filed, Complaint), outcomes
    assert Complaint.objects.filter(assigned_to=agent).count() == 1
    assert queued.pk in Complaint.objects.values_list("pk", flat=True)


def test_the_demo_routes_partner_complaints_to_its_agent(partner):
    from casework.routing import demo

    make_user("agent", roles.AGENT)
    lines = []
    demo.seed(lines.append)
    demo.seed(lines.append)  # again over itself

    assert TeamRouting.objects.get(team__code="frontline").case_types == ["complaint"]
    assert MemberCapacity.objects.get(user__username="agent").max_open_cases == demo.DEMO_CAPACITY
    assert file_complaint(partner).assigned_to.username == "agent"
    assert "Routing" in lines[0]


def test_a_capacity_saved_over_someone_elses_newer_change_is_refused(client, supervisor, agent):
    from casework.admin.routing import seen_token

    row = capacity(agent, 5)
    seen = seen_token(row)
    row.max_open_cases = 8  # another supervisor saved meanwhile
    row.save()
    client.force_login(supervisor)
    url = reverse("admin:casework_membercapacity_change", args=[row.pk])

    page = client.post(url, {"max_open_cases": "3", "is_available": "on", "seen": seen})

    assert page.status_code == 200
    assert "Someone else changed this after you opened it" in page.content.decode()
    assert MemberCapacity.objects.get(pk=row.pk).max_open_cases == 8
    done = client.post(url, {"max_open_cases": "3", "is_available": "on", "seen": seen_token(row)})
    assert done.status_code == 302 and MemberCapacity.objects.get(pk=row.pk).max_open_cases == 3


def test_a_team_routing_refuses_unknown_skills_and_itself_as_overflow(db):
    from django.core.exceptions import ValidationError

    wrongs = (({"languages": ["xx"]}, "languages"), ({"overflow_team": team("frontline")}, "overflow_team"))
    for wrong, field in wrongs:
        with pytest.raises(ValidationError) as refused:
            TeamRouting(team=team("frontline"), **wrong).full_clean()
        assert list(refused.value.message_dict) == [field]
