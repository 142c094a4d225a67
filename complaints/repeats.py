"""Repeat complaints: the same customer complaining again about the same matter.

The rule, in one place. A complaint of a customer (``casework.customers``: by what was
verified, never by the name) is a **repeat** when that customer registered an earlier
complaint, through any door and in any state, in the ``COMPLAINT_REPEAT_WINDOW_DAYS``
before it, on the same transaction reference or in the same category. At registration
(``services.cases.register_complaint``) the complaint records it, as WeChat Pay's
``user_complaint_times`` does, so reports read columns and never scan:

- ``repeat_of``: the earliest of those earlier complaints (the one the customer first
  raised in the window);
- ``repeat_count``: the customer's complaints on the matter in the window, this one
  included (1 for a complaint that is not a repeat, 2 for the first repeat, 3 ...).

**Counted once per window.** Every repeat is flagged (the 2nd, the 3rd ... each), but the
repeat *rate* counts a matter once per window: at the complaint that made it a repeat, the
one with exactly one earlier complaint on it in the window before (``repeat_count == 2``).
A 3rd complaint in the same window is flagged, not counted again; a complaint after a
window with one earlier complaint in its own window (the first having dropped out) counts
again, as the matter is raised again in a new window. The rate of a period is the counted
repeats among the complaints registered in it (``repeat_rates``).

What a repeat does is ``COMPLAINT_REPEAT_ACTION``: ``flag`` (only recorded), ``raise_priority``
(one step up, before the complaint is opened, so its SLA clock starts on that policy) or
``complaints_department`` (its team is the complaints department's, unassigned, in that
team's queue). Whatever it did is in the registration's trail record (``data["repeat"]``).

The check costs one indexed query at registration (the ``complaint_customer_created``
index: customer, then time), the customer being found first as the save would find it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from casework.cases.teams import team_for_code
from casework.core.phones import normalise_phone
from casework.customers import identity
from complaints.duplicates import duplicate_q
from complaints.models import OPEN_STATES, Complaint, Priority

FLAG = "flag"
RAISE_PRIORITY = "raise_priority"
COMPLAINTS_DEPARTMENT = "complaints_department"
ACTIONS = (FLAG, RAISE_PRIORITY, COMPLAINTS_DEPARTMENT)
# The seeded team (casework's roles and desks migration) a routed repeat goes to.
COMPLAINTS_DEPARTMENT_TEAM = "complaints-dept"
# The counted repeat: the matter's second complaint in the window.
COUNTED = 2
PRIORITY_STEPS = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
# How many of the customer's related complaints the intake shows (nearest first).
RELATED_SHOWN = 10

REPEAT_WORDS = _("Repeat complaint: the customer's complaint no. %(count)s on this matter in %(days)s days.")


def window() -> dt.timedelta:
    return dt.timedelta(days=settings.COMPLAINT_REPEAT_WINDOW_DAYS)


def matter_q(*, category: str, transaction_reference: str) -> Q:
    """Complaints about the same matter: the same transaction reference, or the same category."""
    same = Q(category=category)
    if transaction_reference:
        same |= Q(transaction_reference=transaction_reference)
    return same


def earlier_on_matter(
    *, customer_id: int, category: str, transaction_reference: str, at: dt.datetime
) -> QuerySet[Complaint]:
    """The customer's complaints on the matter in the window before ``at``, earliest first."""
    return Complaint.objects.filter(
        matter_q(category=category, transaction_reference=transaction_reference),
        customer_id=customer_id,
        created_at__gte=at - window(),
        created_at__lt=at,
    ).order_by("created_at", "pk")


def is_counted(complaint: Complaint) -> bool:
    """Whether the repeat rate counts this complaint (the matter's 2nd in its window)."""
    return complaint.repeat_count == COUNTED


def raised(priority: str) -> str:
    """One step up; urgent stays urgent."""
    index = PRIORITY_STEPS.index(priority) if priority in PRIORITY_STEPS else 0
    return PRIORITY_STEPS[min(index + 1, len(PRIORITY_STEPS) - 1)]


def mark_repeat(complaint: Complaint) -> dict:
    """Before ``complaint`` (new, unsaved) is opened: find its customer, record whether it
    repeats an earlier complaint and, for a repeat, do what ``COMPLAINT_REPEAT_ACTION``
    says. Returns what the registration's trail record keeps (``{}`` when not a repeat)."""
    if complaint.customer_id is None:
        # The customer its save would find (then not looked up again): one lookup either way.
        complaint.customer = complaint.found_customer()
    if complaint.customer_id is None:
        return {}
    earlier = list(
        earlier_on_matter(
            customer_id=complaint.customer_id,
            category=complaint.category,
            transaction_reference=complaint.transaction_reference,
            at=complaint.created_at,
        ).values_list("pk", "reference")
    )
    if not earlier:
        return {}
    complaint.repeat_of_id = earlier[0][0]
    complaint.repeat_count = len(earlier) + 1
    action = settings.COMPLAINT_REPEAT_ACTION
    done: dict = {
        "of": earlier[0][1],
        "count": complaint.repeat_count,
        "counted": is_counted(complaint),
        "action": action,
    }
    if action == RAISE_PRIORITY:
        higher = raised(complaint.priority)
        if higher != complaint.priority:
            done["priority"] = [complaint.priority, higher]
            complaint.priority = higher
    elif action == COMPLAINTS_DEPARTMENT:
        team = team_for_code(COMPLAINTS_DEPARTMENT_TEAM)
        if team.pk != complaint.team_id:
            done["team"] = [complaint.team.code if complaint.team_id else None, team.code]
            complaint.team = team
            complaint.assigned_to = None  # the department's queue takes it
    return {"repeat": done}


def related_complaints(
    *,
    customer_id: int,
    category: str,
    transaction_reference: str,
    at: dt.datetime,
    partner_id: int | None = None,
    exclude_pk: int | None = None,
) -> QuerySet[Complaint]:
    """What the agent is shown at intake: the customer's open complaints on the matter and
    those registered in the repeat window (any state), nearest first, each annotated with
    ``is_duplicate`` (``complaints.duplicates``' rule). One indexed query.

    ``partner_id`` narrows them to that partner's own complaints: a partner never learns of
    another partner's cases or the back office's."""
    complaints = Complaint.objects.filter(
        matter_q(category=category, transaction_reference=transaction_reference),
        Q(state__in=OPEN_STATES) | Q(created_at__gte=at - window(), created_at__lte=at),
        customer_id=customer_id,
    )
    if partner_id is not None:
        complaints = complaints.filter(partner_id=partner_id)
    if exclude_pk is not None:
        complaints = complaints.exclude(pk=exclude_pk)
    duplicate = duplicate_q(
        customer_id=customer_id, category=category, transaction_reference=transaction_reference, at=at
    )
    return complaints.annotate(
        is_duplicate=ExpressionWrapper(duplicate, output_field=BooleanField())
    ).order_by("-created_at", "-pk")


@dataclass(frozen=True)
class RepeatSeen:
    """A complaint's repeat as one viewer may know it (a partner: among its own complaints)."""

    is_repeat: bool
    repeat_of: Complaint | None
    count: int


def repeat_among(complaint: Complaint, related: list[Complaint]) -> RepeatSeen:
    """The repeat ``complaint`` is among ``related`` (``related_complaints`` of it, as far as
    the viewer may see): the same rule as ``mark_repeat``, over what the viewer sees."""
    start = complaint.created_at - window()
    earlier = sorted(
        (
            other
            for other in related
            if start <= other.created_at < complaint.created_at
            and (
                other.category == complaint.category
                or (
                    complaint.transaction_reference
                    and other.transaction_reference == complaint.transaction_reference
                )
            )
        ),
        key=lambda other: (other.created_at, other.pk),
    )
    return RepeatSeen(
        is_repeat=bool(earlier), repeat_of=earlier[0] if earlier else None, count=len(earlier) + 1
    )


def repeat_rates(complaints: QuerySet[Complaint], by: str) -> list[tuple[str, int, int]]:
    """(value of ``by``, complaints, counted repeats) for ``complaints``, one grouped query."""
    rows = (
        complaints.order_by()
        .values(by)
        .annotate(total=Count("pk"), repeats=Count("pk", filter=Q(repeat_count=COUNTED)))
        .order_by(by)
    )
    return [(row[by], row["total"], row["repeats"]) for row in rows]


def known_customer_id(*, account_number: str = "", phone: str = "", email: str = "") -> int | None:
    """The customer details typed so far name (``casework.customers.identity``), the phone
    read as the phone field would keep it; None for nobody known. Makes nothing."""
    return identity.known_customer_id(
        identity.keys_of(account_number=account_number, phone=normalise_phone(phone.strip()), email=email)
    )
