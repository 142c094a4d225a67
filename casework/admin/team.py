"""The supervisors' team view (``casework.workspace.teams``): who holds what, who is
overloaded, and how long each team's queue is; every figure links to the list of exactly
those cases, and the saved views (``casework.admin.filters``) are a click away.

Routed in ``config.urls`` beside My work, for whoever may see the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from casework.admin.filters import VIEWS
from casework.models import kinds
from casework.supervision.dashboard import PERMISSION
from casework.supervision.filters import OpenCasesFilter
from casework.supervision.panels import Links
from casework.workspace import teams


@dataclass(frozen=True)
class Figure:
    count: int
    url: str  # blank where the user may not open the list


@dataclass(frozen=True)
class MemberRow:
    name: str
    username: str
    is_overloaded: bool
    open: int
    cells: list[tuple[Figure, Figure, Figure]]  # per kind: open, due today, breached
    capacity: int | None = None  # routing's limit of open cases; None: none set
    is_away: bool = False  # has a capacity and takes no routed cases now


@dataclass(frozen=True)
class TeamBlock:
    name: str
    members: list[MemberRow]
    queue: list[Figure | None]  # per kind; None where the team has no queue of it
    overloaded: int


def _member_row(member: teams.Member, held: tuple[kinds.CaseKind, ...], links: Links) -> MemberRow:
    user = member.user
    cells = []
    for kind in held:
        load = member.loads[kind.case_type]
        holder = {f"{kind.holder_field}__id__exact": str(user.pk)}
        open_ = OpenCasesFilter.parameter_name
        cells.append(
            (
                Figure(load.open, links.url(kind, **{open_: OpenCasesFilter.ALL}, **holder)),
                Figure(load.due_today, links.url(kind, **{open_: OpenCasesFilter.DUE_TODAY}, **holder)),
                Figure(load.breached, links.url(kind, **{open_: OpenCasesFilter.BREACHED}, **holder)),
            )
        )
    return MemberRow(
        name=user.get_full_name() or user.get_username(),
        username=user.get_username(),
        is_overloaded=member.is_overloaded,
        open=member.open,
        cells=cells,
        capacity=member.capacity,
        is_away=member.is_available is False,
    )


def _queue_figure(kind: kinds.CaseKind, team_load: teams.TeamLoad, links: Links) -> Figure | None:
    count = team_load.queue.get(kind.case_type)
    if count is None:
        return None
    params = {OpenCasesFilter.parameter_name: OpenCasesFilter.ALL, f"{kind.holder_field}__isnull": "True"}
    if kind.team_field:
        params[f"{kind.team_field}__id__exact"] = str(team_load.team.pk)
    return Figure(count, links.url(kind, **params))


def team_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    held = teams.held_kinds()
    links = Links(request.user)
    blocks = [
        TeamBlock(
            name=str(team_load.team),
            members=[_member_row(member, held, links) for member in team_load.members],
            queue=[_queue_figure(kind, team_load, links) for kind in held],
            overloaded=team_load.overloaded,
        )
        for team_load in teams.team_loads()
    ]
    # A team nobody works in and nothing waits for is named, not drawn as an empty table.
    shown = [block for block in blocks if block.members or any(f and f.count for f in block.queue)]
    views = [
        {"name": kind.name, "links": [(view.label, view.url(kind)) for view in VIEWS]}
        for kind in held
        if links.url(kind)
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Team view"),
        "kinds": held,
        "teams": shown,
        "quiet_teams": [block.name for block in blocks if block not in shown],
        "views": views,
        "overload_limit": settings.WORKSPACE_OVERLOAD_CASES,
        "is_nav_sidebar_enabled": False,  # two teams side by side need the width
    }
    return TemplateResponse(request, "admin/casework/team.html", context)


urls = [
    ("admin/my-work/team/", admin.site.admin_view(team_view), "admin-team"),
]
