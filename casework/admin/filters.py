"""Saved views: one click from a case list to each worklist of My work, as list filters, so
each view is an address (``?open=all&view=mine``) and the list's own filters, columns and
actions still apply.

:class:`SavedViewsFilter` is a list filter of its own (``view``: my open cases, my team's
queue) that, placed in a case admin's ``list_filter``, draws the "Views" block at the top of
the filter panel: every view with its count for the user, the current one marked. "Due
today" and "Breached" are my open cases under the open-cases filter's own choices
(``casework.supervision.filters.OpenCasesFilter``), so each count is what its list shows.
The team's queue is My work's (``casework.workspace.queues``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.models import kinds
from casework.sla.calendars import business_zone, end_of_day
from casework.sla.selectors import breached_q, due_today_q
from casework.supervision.filters import OpenCasesFilter
from casework.workspace import queues

MINE = "mine"
TEAM = "team"
ESCALATED = "escalated"


@dataclass(frozen=True)
class SavedView:
    slug: str
    label: str
    open: str  # the open-cases filter's choice
    view: str  # SavedViewsFilter's choice

    @property
    def params(self) -> dict[str, str]:
        return {OpenCasesFilter.parameter_name: self.open, SavedViewsFilter.parameter_name: self.view}

    def url(self, kind: kinds.CaseKind) -> str:
        meta = kind.model._meta
        return f"{reverse(f'admin:{meta.app_label}_{meta.model_name}_changelist')}?{urlencode(self.params)}"


VIEWS = (
    SavedView("mine", _("My open cases"), OpenCasesFilter.ALL, MINE),
    SavedView("team", _("My team's queue"), OpenCasesFilter.ALL, TEAM),
    SavedView("due_today", _("Due today"), OpenCasesFilter.DUE_TODAY, MINE),
    SavedView("breached", _("Breached"), OpenCasesFilter.BREACHED, MINE),
)
# Offered on the lists of a kind whose escalations the user answers (casework.workspace.queues).
ESCALATED_VIEW = SavedView("escalated", _("Escalated to my team"), OpenCasesFilter.ALL, ESCALATED)


def views_for(kind: kinds.CaseKind, user) -> tuple[SavedView, ...]:
    return (*VIEWS, ESCALATED_VIEW) if kind in queues.escalation_kinds(user) else VIEWS


def _mine_q(kind: kinds.CaseKind, user) -> Q:
    return Q(**{kind.holder_field: user})


def _team_q(kind: kinds.CaseKind, user) -> Q:
    # My work's queue, by its own rule: the open cases nobody holds that the user's team shares.
    return Q(pk__in=queues.unassigned(kind, user).values("pk"))


def view_counts(kind: kinds.CaseKind, user) -> dict[str, int]:
    """Each view's count for ``user``, by slug, in one query."""
    now = timezone.now()
    day_ends_at = end_of_day(now, business_zone())
    mine, team = _mine_q(kind, user), _team_q(kind, user)
    figures = {
        "mine": Count("pk", filter=mine),
        "team": Count("pk", filter=team),
        "due_today": Count("pk", filter=mine & due_today_q(now, day_ends_at)),
        "breached": Count("pk", filter=mine & breached_q(now)),
    }
    wanted = mine | team
    if kind in queues.escalation_kinds(user):
        escalated = queues.escalated_q(kind, user)
        figures["escalated"] = Count("pk", filter=escalated)
        wanted |= escalated
    return kind.model._default_manager.filter(kind.open_q()).filter(wanted).aggregate(**figures)


class SavedViewsFilter(admin.SimpleListFilter):
    """Whose cases: mine, or my team's unassigned queue. Its block is the "Views"."""

    title = _("views")
    parameter_name = "view"
    template = "admin/casework/saved_views.html"
    is_saved_views = True  # the change list draws it above the other filters

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.request = request
        self.kind = kinds.kind_of(model)

    def lookups(self, request, model_admin):
        return [
            (MINE, _("my open cases")),
            (TEAM, _("my team's queue")),
            (ESCALATED, _("escalated to my team")),
        ]

    def queryset(self, request, queryset):
        if self.value() == MINE:
            return queryset.filter(_mine_q(self.kind, request.user))
        if self.value() == TEAM:
            return queryset.filter(_team_q(self.kind, request.user))
        if self.value() == ESCALATED:
            return queryset.filter(queues.escalated_q(self.kind, request.user))
        return queryset

    def choices(self, changelist):
        counts = view_counts(self.kind, self.request.user)
        asked = self.request.GET
        for view in views_for(self.kind, self.request.user):
            yield {
                "selected": all(asked.get(name) == value for name, value in view.params.items()),
                "query_string": f"?{urlencode(view.params)}",
                "display": view.label,
                "count": counts[view.slug],
                "slug": view.slug,
            }
