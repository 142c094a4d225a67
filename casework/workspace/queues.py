"""The reads and the one write of My work.

Every list is ordered by the case's next deadline, as ``casework.sla.deadlines.next_deadline``
reads it: the first response while it is unanswered, else the resolution. Each kind costs
one query per list (its clock joined), whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from casework.cases.transitions import run_step
from casework.core.actors import Actor
from casework.models import HandbackKind, kinds
from casework.sla import deadlines
from casework.sla.calendars import business_zone, end_of_day
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
    def next_due(self) -> dt.datetime:
        return self.case.next_due

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


def has_my_work(user) -> bool:
    return bool(user.is_active and user.is_staff and workspace_kinds(user))


def _open(kind: kinds.CaseKind) -> QuerySet:
    return kind.model._default_manager.filter(kind.open_q()).annotate(next_due=deadlines.NEXT_DUE)


def _mine(kind: kinds.CaseKind, user) -> QuerySet:
    return _open(kind).filter(**{kind.holder_field: user})


def _queue(kind: kinds.CaseKind, user) -> QuerySet:
    """The open cases nobody holds that ``user``'s team shares: the kind's team is one of
    the user's groups, or, for a kind without a team, whoever may take it shares them."""
    cases = _open(kind).filter(**{f"{kind.holder_field}__isnull": True})
    if kind.team_field:
        cases = cases.filter(**{f"{kind.team_field}__group__in": user.groups.values("pk")})
    return cases


def _rows(querysets: list[tuple[kinds.CaseKind, QuerySet]]) -> list[Row]:
    rows = [
        Row(kind, case)
        for kind, cases in querysets
        for case in cases.select_related("sla_clock").order_by("next_due", "pk")[:SHOWN]
    ]
    rows.sort(key=lambda row: (row.next_due, row.kind.case_type, row.case.pk))
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
    return _rows([(kind, _queue(kind, user)) for kind in workspace_kinds(user)])


def counts(user, now: dt.datetime | None = None) -> Counts:
    """Of my open cases: due by the end of today (and not yet late), breached (the next
    deadline passed), waiting on me (the clock runs: not paused for the customer), and
    handed back to me (something came back that I have not seen yet)."""
    now = now or timezone.now()
    day_ends_at = end_of_day(now, business_zone())
    totals = Counts()
    for kind in workspace_kinds(user):
        figures = _mine(kind, user).aggregate(
            due_today=Count("pk", filter=Q(next_due__gte=now, next_due__lt=day_ends_at)),
            breached=Count("pk", filter=Q(next_due__lt=now)),
            waiting_on_me=Count("pk", filter=Q(sla_clock__paused_at__isnull=True)),
            handed_back=Count("pk", filter=Q(handbacks.has_unseen(kind.model, user))),
        )
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
    recorded in the trail and the history).
    """
    with transaction.atomic():
        candidates = []
        for kind in workspace_kinds(actor):
            case = (
                _queue(kind, actor)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_due", "pk")
                .first()
            )
            if case is not None:
                candidates.append(Row(kind, case))
        if not candidates:
            return None
        row = min(candidates, key=lambda row: (row.next_due, row.kind.case_type, row.case.pk))
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
