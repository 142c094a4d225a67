"""Giving a new case nobody holds to a member of the team with the skill, round-robin.

:func:`route` runs in the caller's transaction (a savepoint of its own), after the case is
saved. It picks the most specific active team whose skills match the case, then, under
row locks, the next member in the team's round-robin who takes cases now and holds fewer
open cases than their capacity:

1. the team's routing row is locked (``SELECT … FOR UPDATE``): two routers for one team
   queue behind each other, and the pointer (who got the last case) moves one at a time;
2. the candidates' capacity rows are locked, in user order (so two teams' routers sharing
   a member never deadlock, and a member's *Take next*, which locks their row too, waits);
3. their open cases are counted in the same transaction (one grouped query per kind,
   by each kind's index of open held cases), so nobody is given more than their capacity.

The assignment is the case's ``route`` step (``casework.cases.transitions``): the holder
(and the team, where the kind has one and the team that matched is another) changes in
the history, and the trail says who got it and why. With nobody with room the case
waits in the team's queue (``QueuedCase``), for *Take next* and, after
``ROUTING_OFFER_AFTER_MINUTES``, the sweep (``casework.routing.offers``).

Cost of one routed case: 1 query to read the teams' skills, then 1 lock of the team row,
1 read-and-lock of its candidates, 1 count per kind with a holder (2: complaints and
refund cases), 1 update of the pointer, and the step's 6 (claim, save, the history chain's
last link and the history row, the trail's last hash and the record): 12 queries, 16
statements on PostgreSQL with the two savepoints' SAVEPOINT and RELEASE, whatever the
number of cases and members
(``test_one_assignment_costs_a_fixed_number_of_queries``).
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from casework.cases.transitions import PermittedStep
from casework.core.errors import ConcurrentChange
from casework.models import MemberCapacity, QueuedCase, Team, TeamRouting, kinds
from casework.routing.capacity import open_held
from casework.trail import reasons

logger = logging.getLogger(__name__)

ROUTED = reasons.register(
    "casework.routed",
    gettext_lazy("Routed to %(user)s of %(team)s: next in turn with the skill and room"),
)
QUEUED = reasons.register(
    "casework.queued",
    gettext_lazy("Routed to the queue of %(team)s: nobody with the skill has room"),
)


def _value(case: Model, field: str) -> str | None:
    return getattr(case, field, None) if field else None


def matches(routing: TeamRouting, kind: kinds.CaseKind, case: Model) -> bool:
    """Does the team take ``case``? Each skill ticked narrows: the case must have one of its
    values (a case without a category or a known language matches only where none is ticked)."""
    if routing.case_types and kind.case_type not in routing.case_types:
        return False
    skills = ((routing.categories, kind.category_field), (routing.languages, kind.language_field))
    return all(not values or _value(case, field) in values for values, field in skills)


def team_for(kind: kinds.CaseKind, case: Model) -> TeamRouting | None:
    """The most specific active team whose skills match ``case`` (ties: by team name)."""
    active = TeamRouting.objects.filter(is_active=True).select_related("team").order_by("team__name")
    teams = [routing for routing in active if matches(routing, kind, case)]
    return max(teams, key=lambda routing: routing.specificity, default=None)


def _holds_permission(permission: str) -> Q:
    """The users with ``permission``: their own, through a group, or as superusers."""
    User = get_user_model()
    app_label, codename = permission.split(".", 1)
    named = {"permission__content_type__app_label": app_label, "permission__codename": codename}
    own = User.user_permissions.through.objects.filter(**named).values("user_id")
    groups = Group.permissions.through.objects.filter(**named).values("group_id")
    grouped = User.groups.through.objects.filter(group_id__in=groups).values("user_id")
    return Q(user__is_superuser=True) | Q(user_id__in=own) | Q(user_id__in=grouped)


def candidates(team: Team, kind: kinds.CaseKind) -> list[MemberCapacity]:
    """The team's members who take cases now and may take ``kind``'s, locked, in user order."""
    if team.group_id is None:
        return []
    members = get_user_model().groups.through.objects.filter(group_id=team.group_id).values("user_id")
    rows = MemberCapacity.objects.filter(
        user_id__in=members, is_available=True, user__is_active=True, user__is_staff=True
    )
    if kind.take_permission:
        rows = rows.filter(_holds_permission(kind.take_permission))
    return list(rows.select_for_update(of=("self",)).select_related("user").order_by("user_id"))


def next_in_turn(routing: TeamRouting, kind: kinds.CaseKind):
    """The member after the one who got the team's last case, among those with room; None if
    nobody has room. Call with ``routing`` locked."""
    members = candidates(routing.team, kind)
    held = open_held(member.user_id for member in members)
    with_room = [member for member in members if held[member.user_id] < member.max_open_cases]
    if not with_room:
        return None
    pointer = routing.last_assigned_id or 0
    after = [member for member in with_room if member.user_id > pointer]
    return (after or with_room)[0].user


def give(case: Model, kind: kinds.CaseKind, *, user, team: Team, step: str, reason) -> Model:
    """``case`` becomes ``user``'s (and ``team``'s, where the kind has a team field), as a
    step of its trail by the system: routing asked no one's permission but its own rules."""

    def apply() -> None:
        if user is not None:
            setattr(case, kind.holder_field, user)
        if kind.team_field:
            setattr(case, kind.team_field, team)

    data = {kind.holder_field: user.get_username() if user is not None else None, "team": team.code}
    return PermittedStep(case, step, actor=None).run(apply=apply, reason=reason, data=data)


def assign_within(routing: TeamRouting, kind: kinds.CaseKind, case: Model, *, step: str, reason=None):
    """Give ``case`` to the next member of ``routing``'s team with room, the team's row
    locked; returns the member, or None when nobody has room (the case is left as it is).
    ``reason(user)`` words the step; routing's own by default."""
    # Only the routing row (``of``): a lock on the team row too would block every case's
    # foreign-key check on its team, and deadlock with a clerk's Take next.
    routing = TeamRouting.objects.select_for_update(of=("self",)).select_related("team").get(pk=routing.pk)
    user = next_in_turn(routing, kind)
    if user is None:
        return None
    TeamRouting.objects.filter(pk=routing.pk).update(last_assigned=user, last_assigned_at=timezone.now())
    words = reason(user) if reason else ROUTED(user=user.get_username(), team=routing.team.name)
    give(case, kind, user=user, team=routing.team, step=step, reason=words)
    return user


def _wait(case: Model, team: Team) -> None:
    QueuedCase.objects.get_or_create(
        content_type=ContentType.objects.get_for_model(case),
        object_id=case.pk,
        defaults={"team": team, "queued_at": timezone.now()},
    )


def route(case: Model, *, within: Team | None = None) -> Model:
    """Offer a just-opened case nobody holds to routing: the next member of the matching
    team with room gets it; with none it waits in that team's queue. A case someone holds,
    or that no active team's skills match, is left as it is.

    ``within``: a team the case was sent to on purpose (a repeat complaint to the
    complaints department): only its members are tried, and it waits in that team's queue
    when the team does not route or has nobody with room."""
    kind = kinds.kind_of(type(case))
    if not kind.holder_field or getattr(case, f"{kind.holder_field}_id") is not None:
        return case
    if within is None:
        routing = team_for(kind, case)
    else:
        routing = TeamRouting.objects.filter(team=within, is_active=True).select_related("team").first()
    if routing is None:
        return case
    try:
        with transaction.atomic():
            user = assign_within(routing, kind, case, step="route")
            if user is None:
                team = routing.team
                if kind.team_field and getattr(case, f"{kind.team_field}_id") != team.pk:
                    give(case, kind, user=None, team=team, step="route", reason=QUEUED(team=team.name))
                _wait(case, team)
    except ConcurrentChange:
        # Someone took it from the queue between its opening's commit and this: it is theirs.
        logger.info("%s was taken before routing reached it", case)
    return case
