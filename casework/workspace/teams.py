"""The supervisors' team view, read: for each team, who holds how many open cases of each
kind, how many of those are due today and how many breached, and how many cases wait
unassigned in the team's queue; a member holding more than ``WORKSPACE_OVERLOAD_CASES``
open cases is overloaded.

"Due today" and "breached" are the lists' rules (``casework.sla.selectors``), so each
figure and the changelist it links to count the same cases. The page costs the same few
queries whatever the number of cases and people: the teams, their members, their routing
capacities, and per kind one grouped count of what members hold and one of the queues.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count
from django.utils import timezone

from casework.models import Team, kinds
from casework.routing import capacity
from casework.sla.calendars import business_zone, end_of_day
from casework.sla.selectors import breached_q, due_today_q


@dataclass(frozen=True)
class Load:
    """Open cases of one kind a member holds: all, due by the end of today, breached."""

    open: int = 0
    due_today: int = 0
    breached: int = 0


@dataclass(frozen=True)
class Member:
    user: object
    loads: dict[str, Load]  # by the kind's case type, for every kind with a holder
    # Their routing capacity (``casework.routing``): the most open cases they hold, and
    # whether they take routed cases now; None without one.
    capacity: int | None = None
    is_available: bool | None = None

    @property
    def open(self) -> int:
        return sum(load.open for load in self.loads.values())

    @property
    def is_overloaded(self) -> bool:
        return self.open > settings.WORKSPACE_OVERLOAD_CASES


@dataclass(frozen=True)
class TeamLoad:
    team: Team
    members: list[Member]
    # Unassigned open cases in the team's queue, by case type; a kind is absent where the
    # team has no queue of it (its members may not take such cases).
    queue: dict[str, int] = field(default_factory=dict)

    @property
    def overloaded(self) -> int:
        return sum(member.is_overloaded for member in self.members)


def held_kinds() -> tuple[kinds.CaseKind, ...]:
    """The kinds a person holds (complaints, refund cases): the ones a team view counts."""
    return tuple(kind for kind in kinds.registered() if kind.holder_field)


def _take_groups(kind: kinds.CaseKind) -> set[int]:
    """The groups whose members may take ``kind``'s cases: they share its queue when the
    kind has no team field."""
    app_label, codename = kind.take_permission.split(".", 1)
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return set(permission.values_list("group", flat=True).exclude(group=None))


def team_loads(now: dt.datetime | None = None) -> list[TeamLoad]:
    """Every team with a group, its active staff members (the most loaded first) and its queue."""
    now = now or timezone.now()
    day_ends_at = end_of_day(now, business_zone())
    teams = list(Team.objects.filter(group__isnull=False).select_related("group"))
    group_ids = [team.group_id for team in teams]
    User = get_user_model()
    memberships = User.groups.through.objects.filter(
        group_id__in=group_ids, user__is_active=True, user__is_staff=True
    ).select_related("user")
    members_of: dict[int, list] = defaultdict(list)
    for membership in memberships:
        members_of[membership.group_id].append(membership.user)
    member_ids = User.objects.filter(groups__in=group_ids, is_active=True, is_staff=True).values("pk")

    loads: dict[str, dict[int, Load]] = {}
    queues: dict[str, dict[int, int]] = {}  # case type -> team pk -> unassigned cases
    for kind in held_kinds():
        cases = kind.model._default_manager.filter(kind.open_q())
        held = (
            cases.filter(**{f"{kind.holder_field}__in": member_ids})
            .values(kind.holder_field)
            .annotate(
                open=Count("pk"),
                due_today=Count("pk", filter=due_today_q(now, day_ends_at)),
                breached=Count("pk", filter=breached_q(now)),
            )
            .order_by()
        )
        loads[kind.case_type] = {
            row[kind.holder_field]: Load(row["open"], row["due_today"], row["breached"]) for row in held
        }
        unassigned = cases.filter(**{f"{kind.holder_field}__isnull": True})
        if kind.team_field:
            per_team = unassigned.values(kind.team_field).annotate(count=Count("pk")).order_by()
            counted = {row[kind.team_field]: row["count"] for row in per_team}
            queues[kind.case_type] = {team.pk: counted.get(team.pk, 0) for team in teams}
        else:
            taking = _take_groups(kind) if kind.take_permission else set()
            count = unassigned.count() if taking & set(group_ids) else 0
            queues[kind.case_type] = {team.pk: count for team in teams if team.group_id in taking}

    limits = capacity.capacities(user.pk for users in members_of.values() for user in users)
    result = []
    for team in teams:
        members = []
        for user in members_of[team.group_id]:
            limit = limits.get(user.pk)
            members.append(
                Member(
                    user,
                    {case_type: held.get(user.pk, Load()) for case_type, held in loads.items()},
                    limit.max_open_cases if limit else None,
                    limit.is_available if limit else None,
                )
            )
        members.sort(key=lambda member: (-member.open, member.user.get_username()))
        queue = {kind: per_team[team.pk] for kind, per_team in queues.items() if team.pk in per_team}
        result.append(TeamLoad(team, members, queue))
    return result
