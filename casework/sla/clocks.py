"""SLA clocks: start, first response, pause while waiting on the customer, resume,
holding-response extension, stop, and a new policy for a corrected case. Callers run
these inside their transition's transaction; the sweep (``casework.cases.sweep``) marks
warnings and breaches (which move no deadline).

Each case row keeps its clock's next deadline (``SlaClock.next_due_at``) as its own
``next_due_at`` column, so the lists, My work and the team view sort and count the open
cases by one index of the case table, never joining every clock (bench/README.md). This
module keeps it: every save of a clock writes it to the case row (an ``UPDATE``: no history
row, no version) and to the case object holding the clock (``_case_row_follows_its_clock``),
and a case saved with its clock in hand takes the clock's value
(``_case_takes_its_clocks_deadline``), as a new case does. A bulk ``UPDATE`` of clocks
bypasses both: write the case rows' ``next_due_at`` with it."""

from __future__ import annotations

import datetime as dt

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext

from casework.core.errors import InvalidInput
from casework.models import RegimeExtension, SlaClock, SlaPolicy, TimeUnit, kinds
from casework.sla.calendars import WorkingTime

CALENDAR_UNITS = (TimeUnit.CALENDAR_HOURS, TimeUnit.CALENDAR_DAYS)
# The case row's copy of its clock's next deadline, on every registered kind's model.
NEXT_DUE_FIELD = "next_due_at"


# What the next deadline is made of: a save that writes none of them moves nothing.
DEADLINE_FIELDS = frozenset(
    {"first_response_due_at", "first_responded_at", "resolution_due_at", "stopped_at"}
)


@receiver(post_save, sender=SlaClock, dispatch_uid="casework.sla.clocks.follow")
def _case_row_follows_its_clock(
    sender, instance: SlaClock, created=False, raw=False, update_fields=None, **kwargs
):
    """Every save of a clock (this module's steps, a test's, an admin's) writes its next
    deadline to its case's row and to the case object holding the clock. A new clock has no
    case yet: the case takes it as it is saved (below)."""
    if created or raw or (update_fields is not None and not DEADLINE_FIELDS & set(update_fields)):
        return
    due = instance.next_due_at
    for kind in kinds.registered():
        relation = kind.model._meta.get_field("sla_clock").remote_field
        case = relation.get_cached_value(instance) if relation.is_cached(instance) else None
        if case is not None:
            setattr(case, NEXT_DUE_FIELD, due)
            if case.pk is not None:
                kind.model._default_manager.filter(pk=case.pk).update(**{NEXT_DUE_FIELD: due})
            return
    # A clock read on its own (a correction locks it apart): its case by the policy's type.
    kind = next((k for k in kinds.registered() if k.case_type == instance.policy.case_type), None)
    if kind is not None:
        kind.model._default_manager.filter(sla_clock=instance).update(**{NEXT_DUE_FIELD: due})


@receiver(pre_save, dispatch_uid="casework.sla.clocks.next_due")
def _case_takes_its_clocks_deadline(sender, instance, raw=False, **kwargs) -> None:
    """A case saved with its clock in hand (a new one, or after a step that moved its clock)
    writes the clock's next deadline, never an older copy of its own."""
    if raw or not any(kind.model is sender for kind in kinds.registered()):
        return
    clock_field = sender._meta.get_field("sla_clock")
    if clock_field.is_cached(instance) and instance.sla_clock is not None:
        setattr(instance, NEXT_DUE_FIELD, instance.sla_clock.next_due_at)


def policy_for(*, case_type: str, category: str = "", priority: str = "") -> SlaPolicy:
    """The most specific active policy: exact category and priority beat "any"."""
    candidates = SlaPolicy.objects.filter(
        case_type=case_type,
        category__in=sorted({category, ""}),
        priority__in=sorted({priority, ""}),
        is_active=True,
    ).select_related("calendar")
    ranked = sorted(candidates, key=lambda p: (p.category == "", p.priority == ""))
    if not ranked:
        raise InvalidInput(
            gettext(
                "No active SLA policy covers %(case_type)s / %(category)s / %(priority)s; "
                "add one in the admin."
            )
            % {
                "case_type": case_type,
                "category": category or gettext("any category"),
                "priority": priority or gettext("any priority"),
            },
            field="category",
        )
    return ranked[0]


def _resolution_due(clock: SlaClock, working: WorkingTime) -> dt.datetime:
    policy = clock.policy
    target, unit = policy.resolution_target, policy.resolution_unit
    if clock.extension_id is not None:
        # A regime's tier: its own limit and unit, on the regime's calendar if it has one.
        extension = clock.extension
        target, unit = extension.target, extension.unit
        if extension.regime.calendar_id is not None:
            working = WorkingTime(extension.regime.calendar)
    elif clock.is_extended and policy.extended_resolution_target:
        target = policy.extended_resolution_target
    due = working.add(clock.started_at, target, unit)
    if clock.paused_minutes_total:
        if unit in (*CALENDAR_UNITS, TimeUnit.CIVIL_DAYS):
            due += dt.timedelta(minutes=clock.paused_minutes_total)
        else:
            due = working.add_business_minutes(due, clock.paused_minutes_total)
    return due


def _set_resolution_due(clock: SlaClock, working: WorkingTime) -> None:
    clock.resolution_due_at = _resolution_due(clock, working)
    clock.resolution_warn_at = clock.resolution_due_at - dt.timedelta(minutes=clock.policy.due_soon_minutes)


def start_clock(*, policy: SlaPolicy, started_at: dt.datetime) -> SlaClock:
    working = WorkingTime(policy.calendar)
    clock = SlaClock(
        policy=policy,
        started_at=started_at,
        first_response_due_at=working.add(
            started_at, policy.first_response_target, policy.first_response_unit
        ),
    )
    _set_resolution_due(clock, working)
    clock.save()
    return clock


def record_first_response(clock: SlaClock, *, at: dt.datetime) -> None:
    if clock.first_responded_at is not None:
        return
    clock.first_responded_at = at
    if at > clock.first_response_due_at and clock.first_response_breached_at is None:
        clock.first_response_breached_at = at
    clock.save()


def pause_clock(clock: SlaClock, *, at: dt.datetime) -> None:
    if clock.paused_at is None and clock.stopped_at is None:
        clock.paused_at = at
        if at > clock.resolution_due_at and clock.resolution_breached_at is None:
            # Late before the sweep saw it: a pause must not hide that.
            clock.resolution_breached_at = clock.resolution_due_at
        clock.save()


def resume_clock(clock: SlaClock, *, at: dt.datetime) -> None:
    """Push the deadline out by the pause, counted as the target counts (to the minute)."""
    if clock.paused_at is None:
        return
    working = WorkingTime(clock.policy.calendar)
    if clock.policy.resolution_unit in CALENDAR_UNITS:
        paused = int((at - clock.paused_at).total_seconds() // 60)
    else:
        paused = working.business_minutes_between(clock.paused_at, at)
    clock.paused_minutes_total += paused
    clock.paused_at = None
    _set_resolution_due(clock, working)
    if clock.due_soon_notified_at and clock.resolution_warn_at > at:
        clock.due_soon_notified_at = None  # warn again before the new deadline
    clock.save()


def extend_clock(clock: SlaClock, extension: RegimeExtension | None = None) -> None:
    """An extension moves the deadline to the regime tier's limit (``extension``); without
    one, a holding response moves it from the policy's normal to its extended limit."""
    if extension is not None:
        clock.extension = extension
        clock.is_extended = True
        _set_resolution_due(clock, WorkingTime(clock.policy.calendar))
        clock.due_soon_notified_at = None
        clock.save()
        return
    if not clock.policy.extended_resolution_target:
        raise InvalidInput(
            gettext("The SLA policy '%(policy)s' has no extended limit for a holding response.")
            % {"policy": clock.policy},
            field="holding_response",
        )
    if clock.is_extended:
        raise InvalidInput(
            gettext("A holding response was already sent for this case."), field="holding_response"
        )
    clock.is_extended = True
    _set_resolution_due(clock, WorkingTime(clock.policy.calendar))
    clock.due_soon_notified_at = None
    clock.save()


def stop_clock(clock: SlaClock, *, at: dt.datetime) -> None:
    """Stop for good; a clock stopped after its deadline stays breached."""
    if clock.paused_at is not None:
        resume_clock(clock, at=at)
    clock.stopped_at = at
    if at > clock.resolution_due_at and clock.resolution_breached_at is None:
        clock.resolution_breached_at = clock.resolution_due_at
    clock.save()


def restart_clock(clock: SlaClock, *, at: dt.datetime) -> None:
    """A reopened case runs again; the time it sat resolved does not count against it."""
    clock.paused_at = clock.stopped_at
    clock.stopped_at = None
    resume_clock(clock, at=at)


def change_policy(clock: SlaClock, policy: SlaPolicy, *, at: dt.datetime) -> None:
    """Re-target the clock on another policy (the case's category or priority was
    corrected), as if it had run on that policy from its start: both due times from
    ``started_at`` on the new targets and calendar. What happened to the case stays: the
    time paused, a holding response's extension, a first response already given (its due
    time and lateness with it). Lateness follows the new due times: a mark the old
    targets earned is kept only if the case is late on the new ones too; a running clock
    now past its new deadline is marked by the sweep, which tells the supervisors."""
    if policy.pk == clock.policy_id:
        return
    old = clock.policy
    if clock.is_extended and not policy.extended_resolution_target:
        raise InvalidInput(
            gettext(
                "A holding response moved this case to its extended limit, and the SLA policy "
                "'%(policy)s' has none: choose one that has."
            )
            % {"policy": policy},
            field="category",
        )
    if clock.paused_minutes_total and (old.resolution_unit in CALENDAR_UNITS) != (
        policy.resolution_unit in CALENDAR_UNITS
    ):
        # The pauses are kept as one total in the old policy's kind of time; it cannot be
        # counted again in the other kind without the pauses themselves.
        raise InvalidInput(
            gettext(
                "This case's clock was paused for %(minutes)s minutes counted in %(old)s; the SLA "
                "policy '%(policy)s' counts %(new)s, so its deadline cannot be worked out again."
            )
            % {
                "minutes": clock.paused_minutes_total,
                "old": TimeUnit(old.resolution_unit).label,
                "policy": policy,
                "new": TimeUnit(policy.resolution_unit).label,
            },
            field="category",
        )
    clock.policy = policy
    working = WorkingTime(policy.calendar)
    if clock.first_responded_at is None:
        clock.first_response_due_at = working.add(
            clock.started_at, policy.first_response_target, policy.first_response_unit
        )
        # Nobody is told of a late first response: marked here as the sweep would mark it.
        late = clock.stopped_at is None and at >= clock.first_response_due_at
        clock.first_response_breached_at = clock.first_response_due_at if late else None
    _set_resolution_due(clock, working)
    due = clock.resolution_due_at
    if clock.stopped_at is not None:
        late = clock.stopped_at > due  # as stop_clock judges it
    elif clock.paused_at is not None:
        late = clock.paused_at > due  # as pause_clock judges it
    else:
        late = clock.resolution_breached_at is not None and at >= due
    clock.resolution_breached_at = due if late else None
    if clock.due_soon_notified_at and clock.resolution_warn_at > at:
        clock.due_soon_notified_at = None  # warn again before the new deadline
    clock.save()
