"""What members hold and may still take: open cases of every kind with a holder, counted
by the index on each kind's open held cases, one grouped query per kind whatever the
number of cases; and the refusal *Take next* gives a member at capacity."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count
from django.utils.translation import gettext

from casework.core.errors import TransitionRefused
from casework.models import MemberCapacity, kinds


def held_kinds() -> tuple[kinds.CaseKind, ...]:
    return tuple(kind for kind in kinds.registered() if kind.holder_field)


def open_held(user_ids: Iterable[int]) -> Counter[int]:
    """Open cases each of ``user_ids`` holds, all kinds together (one query per kind)."""
    ids = list(user_ids)
    held: Counter[int] = Counter()
    if not ids:
        return held
    for kind in held_kinds():
        rows = (
            kind.model._default_manager.filter(kind.open_q(), **{f"{kind.holder_field}__in": ids})
            .values_list(kind.holder_field)
            .annotate(count=Count("pk"))
            .order_by()
        )
        held.update(dict(rows))
    return held


def refuse_at_capacity(user) -> None:
    """Refuse ``user`` a further case when they hold their capacity already. Their capacity
    row is locked until the caller's transaction ends, so a router counting them at the same
    moment waits and counts the case they take. Without a capacity there is no limit."""
    capacity = MemberCapacity.objects.select_for_update().filter(user=user).first()
    if capacity is None:
        return
    held = open_held([user.pk])[user.pk]
    if held >= capacity.max_open_cases:
        raise TransitionRefused(
            gettext(
                "You hold %(held)s open cases and your capacity is %(capacity)s: finish or hand "
                "on one before you take the next."
            )
            % {"held": held, "capacity": capacity.max_open_cases}
        )


def capacities(user_ids: Iterable[int]) -> dict[int, MemberCapacity]:
    """The capacities of ``user_ids`` that have one, by user id (one query)."""
    return {row.user_id: row for row in MemberCapacity.objects.filter(user_id__in=list(user_ids))}
