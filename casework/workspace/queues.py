"""The reads and the one write of My work.

Four lists: my open cases, my team's unassigned queue, the cases escalated to a team of
mine, and the cases awaiting a decision I may take (never one I made: four eyes). Each
shows only to whoever may have cases in it (``*_kinds``). Every list is ordered by the
case's next deadline, as ``casework.sla.deadlines.next_deadline`` reads it: the first
response while it is unanswered, else the resolution. Each kind costs one query per list
(its clock and its ``row_related`` joined), whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from casework.cases.transitions import run_step
from casework.core.actors import Actor
from casework.models import HandbackKind, kinds
from casework.routing import capacity
from casework.sla import deadlines
from casework.sla.calendars import business_zone, end_of_day
from casework.sla.selectors import breached_q, due_today_q
from casework.trail import reasons
from casework.workspace import handbacks

# How many rows a list shows; the counts count them all.
SHOWN = 50
# Take next's reason in the trail, as a code (casework.trail.reasons).
TAKEN = reasons.register("casework.taken", gettext_lazy("Taken from the team's queue by %(user)s"))


@dataclass(frozen=True)
class Row:
    kind: kinds.CaseKind
    case: Model

    @property
    def next_due(self) -> dt.datetime | None:
        return self.case.next_due_at

    @property
    def order(self) -> tuple:
        """What is due first, first; a case without a deadline last (as the lists sort)."""
        return (self.next_due is None, self.next_due, self.kind.case_type, self.case.pk)

    @property
    def handed_back(self) -> str:
        """What came back to me on this case, unseen yet (its label, for the badge); "" if nothing."""
        value = getattr(self.case, "handed_back", None)
        return str(HandbackKind(value).label) if value in HandbackKind.values else ""


@dataclass(frozen=True)
class Counts:
    due_today: int = 0
    breached: int = 0
    waiting_on_me: int = 0
    handed_back: int = 0


def workspace_kinds(user) -> tuple[kinds.CaseKind, ...]:
    """The kinds with a holder that ``user`` may take cases of."""
    return tuple(
        kind
        for kind in kinds.registered()
        if kind.holder_field and kind.take_permission and user.has_perm(kind.take_permission)
    )


def escalation_kinds(user) -> tuple[kinds.CaseKind, ...]:
    """The kinds whose escalations ``user`` may answer (for a team of theirs)."""
    return tuple(
        kind
        for kind in kinds.registered()
        if kind.escalated_team_field
        and kind.escalated_states
        and kind.escalated_permission
        and user.has_perm(kind.escalated_permission)
    )


def decision_kinds(user) -> tuple[kinds.CaseKind, ...]:
    """The kinds whose waiting decisions ``user`` may take."""
    return tuple(
        kind
        for kind in kinds.registered()
        if kind.decision_states and kind.decide_permission and user.has_perm(kind.decide_permission)
    )


def has_my_work(user) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    return bool(workspace_kinds(user) or escalation_kinds(user) or decision_kinds(user))


def _open(kind: kinds.CaseKind) -> QuerySet:
    return kind.model._default_manager.filter(kind.open_q())


def _mine(kind: kinds.CaseKind, user) -> QuerySet:
    return _open(kind).filter(**{kind.holder_field: user})


def unassigned(kind: kinds.CaseKind, user) -> QuerySet:
    """The open cases nobody holds that ``user``'s team shares: the kind's team is one of
    the user's groups, or, for a kind without a team, whoever may take it shares them."""
    cases = _open(kind).filter(**{f"{kind.holder_field}__isnull": True})
    if kind.team_field:
        cases = cases.filter(**{f"{kind.team_field}__group__in": user.groups.values("pk")})
    return cases


def _my_teams(user) -> QuerySet:
    return user.groups.values("pk")


def escalated_q(kind: kinds.CaseKind, user) -> Q:
    """Escalated to a team whose group ``user`` is in, and waiting on it."""
    return Q(state__in=kind.escalated_states, **{f"{kind.escalated_team_field}__group__in": _my_teams(user)})


def _waits_for_decision(kind: kinds.CaseKind) -> Q:
    waiting = Q(state__in=kind.decision_states)
    return waiting & kind.decision_filter if kind.decision_filter is not None else waiting


def _decision_q(kind: kinds.CaseKind, user) -> Q:
    """Waiting for a decision ``user`` may take: none of the case's makers is ``user``
    (four eyes), and a decision that needs a further permission only if they have it."""
    waiting = _waits_for_decision(kind)
    for field in kind.maker_fields:
        # A subquery, so a many-valued path excludes the case when any of its rows names the user.
        made = kind.model._default_manager.filter(**{field: user}).values("pk")
        waiting &= ~Q(pk__in=made)
    for permission, needing in kind.decision_permissions:
        if not user.has_perm(permission):
            waiting &= ~needing
    return waiting


def _escalated(kind: kinds.CaseKind, user) -> QuerySet:
    return _open(kind).filter(escalated_q(kind, user))


def _awaiting_decision(kind: kinds.CaseKind, user) -> QuerySet:
    return _open(kind).filter(_decision_q(kind, user))


def _rows(querysets: list[tuple[kinds.CaseKind, QuerySet]]) -> list[Row]:
    rows = [
        Row(kind, case)
        for kind, cases in querysets
        for case in cases.select_related("sla_clock", *kind.row_related).order_by(deadlines.NEXT_DUE, "pk")[
            :SHOWN
        ]
    ]
    rows.sort(key=lambda row: row.order)
    return rows[:SHOWN]


def my_cases(user) -> list[Row]:
    """My open cases, each with the kind of my newest unseen hand-back on it (``handed_back``,
    ``None`` if nothing waits): in the same query."""
    return _rows(
        [
            (kind, _mine(kind, user).annotate(handed_back=handbacks.latest_unseen_kind(kind.model, user)))
            for kind in workspace_kinds(user)
        ]
    )


def team_queue(user) -> list[Row]:
    return _rows([(kind, unassigned(kind, user)) for kind in workspace_kinds(user)])


def escalated_to_my_team(user) -> list[Row]:
    """The open cases escalated to a team of mine and waiting on its findings, whoever holds them."""
    return _rows([(kind, _escalated(kind, user)) for kind in escalation_kinds(user)])


def awaiting_my_decision(user) -> list[Row]:
    """The open cases waiting for a decision I may take, never one I made (four eyes)."""
    return _rows([(kind, _awaiting_decision(kind, user)) for kind in decision_kinds(user)])


def _on_me(kind: kinds.CaseKind, user, *, holds: bool, escalated: bool, decides: bool) -> tuple[Q, Q]:
    """Of ``kind``'s open cases: which are on my lists at all, and which of them wait on me:
    mine with the clock running and waiting neither on the team it went to nor on someone
    else's decision, those escalated to my team, those awaiting my decision."""
    on_me, waiting = [], []
    if holds:
        mine = Q(**{kind.holder_field: user})
        running = mine & Q(sla_clock__paused_at__isnull=True)
        if kind.escalated_states:
            running &= ~Q(state__in=kind.escalated_states)
        if kind.decision_states:  # back with me if I may decide it (below)
            running &= ~_waits_for_decision(kind)
        on_me.append(mine)
        waiting.append(running)
    for taken, q in ((escalated, escalated_q), (decides, _decision_q)):
        if taken:
            on_me.append(q(kind, user))
            waiting.append(q(kind, user))
    return functools.reduce(operator.or_, on_me), functools.reduce(operator.or_, waiting)


def counts(user, now: dt.datetime | None = None) -> Counts:
    """Of the open cases on my lists, each once (my own, escalated to my team, awaiting my
    decision; the unassigned queue is nobody's yet): due by the end of today and breached
    (by the next deadline: the team view's and the saved views' rule, in
    ``casework.sla.selectors``), waiting on me (mine with the clock running, not paused
    for the customer nor waiting on the team it went to or on another's decision; those
    escalated to my team; those awaiting my decision), and handed back to
    me (something came back on my own that I have not seen yet). One query per kind."""
    now = now or timezone.now()
    day_ends_at = end_of_day(now, business_zone())
    holding, escalating, deciding = workspace_kinds(user), escalation_kinds(user), decision_kinds(user)
    totals = Counts()
    for kind in kinds.registered():
        holds, escalated, decides = kind in holding, kind in escalating, kind in deciding
        if not (holds or escalated or decides):
            continue
        on_me, waiting = _on_me(kind, user, holds=holds, escalated=escalated, decides=decides)
        figures = {
            "due_today": Count("pk", filter=due_today_q(now, day_ends_at)),
            "breached": Count("pk", filter=breached_q(now)),
            "waiting_on_me": Count("pk", filter=waiting),
        }
        if holds:
            mine = Q(**{kind.holder_field: user})
            figures["handed_back"] = Count("pk", filter=mine & Q(handbacks.has_unseen(kind.model, user)))
        figures = {"handed_back": 0, **_open(kind).filter(on_me).aggregate(**figures)}
        totals = Counts(
            due_today=totals.due_today + figures["due_today"],
            breached=totals.breached + figures["breached"],
            waiting_on_me=totals.waiting_on_me + figures["waiting_on_me"],
            handed_back=totals.handed_back + figures["handed_back"],
        )
    return totals


def take_next(*, actor: Actor) -> Model | None:
    """Give ``actor`` the most urgent open case of their team's queue; ``None`` when it is empty.

    The candidates are locked with ``SKIP LOCKED``: a clerk taking at the same moment skips
    the rows this one holds, so two clerks never take the same case. The taking itself is
    the kind's ``take`` step through ``run_step`` (its permission checked there, once;
    recorded in the trail and the history). A member with a capacity (``casework.routing``)
    who holds that many open cases already is refused, their capacity row locked first so a
    router counting them at the same moment counts this case too.
    """
    with transaction.atomic():
        if workspace_kinds(actor):
            capacity.refuse_at_capacity(actor)
        candidates = []
        for kind in workspace_kinds(actor):
            case = (
                unassigned(kind, actor)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by(deadlines.NEXT_DUE, "pk")
                .first()
            )
            if case is not None:
                candidates.append(Row(kind, case))
        if not candidates:
            return None
        row = min(candidates, key=lambda row: row.order)
        return take(case=row.case, actor=actor, kind=row.kind)


def take(*, case: Model, actor: Actor, kind: kinds.CaseKind | None = None) -> Model:
    """``actor`` takes ``case`` for themselves: the holder becomes the actor."""
    kind = kind or kinds.kind_of(type(case))

    def apply() -> None:
        setattr(case, kind.holder_field, actor)

    return run_step(
        case,
        "take",
        actor=actor,
        permission=kind.take_permission,
        apply=apply,
        reason=TAKEN(user=actor.get_username()),
        data={kind.holder_field: actor.get_username()},
    )
