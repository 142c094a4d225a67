"""SLA clocks: start, first response, pause while waiting on the customer, resume,
extension, stop, and a new policy or regime for a corrected case. A clock may run under a
regime (``casework.models.regimes``): its limits, where it sets them, beat the policy's
targets, on the regime's calendar; ``resolution_target`` is the one place that says which
rule a clock's resolution follows. Callers run
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
from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils.translation import gettext

from casework.core.errors import InvalidInput
from casework.models import (
    BusinessCalendar,
    Milestone,
    Regime,
    RegimeExtension,
    RegimeLimit,
    SlaClock,
    SlaPolicy,
    TimeUnit,
    kinds,
)
from casework.sla import regimes as regime_rules
from casework.sla.calendars import CALENDAR_UNITS, WorkingTime

# The case's field that narrows its regime (Reg E's new account), and the fields refusals name.
CONDITION_FIELD = "regime_condition"
REGIME_FIELD = "regime"
EXTENSION_FIELD = "extension"
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


@dataclass(frozen=True)
class Target:
    """One deadline's rule for one clock: how long, in what unit, on which calendar, and
    the regime's rule it comes from (none: the SLA policy's target)."""

    amount: int
    unit: str
    calendar: BusinessCalendar
    rule: RegimeLimit | RegimeExtension | None = None

    @property
    def working(self) -> WorkingTime:
        return WorkingTime(self.calendar)

    @property
    def counts_wall_clock(self) -> bool:
        return self.unit in CALENDAR_UNITS


def clock_calendar(clock: SlaClock) -> BusinessCalendar:
    """The calendar a clock counts on: its regime's, or else its policy's."""
    regime = clock.regime
    if regime is not None and regime.calendar_id is not None:
        return regime.calendar
    return clock.policy.calendar


def _case_of(clock: SlaClock):
    """The case holding ``clock``: the one in hand, or read by the policy's case type."""
    for kind in kinds.registered():
        relation = kind.model._meta.get_field("sla_clock").remote_field
        if relation.is_cached(clock):
            case = relation.get_cached_value(clock)
            if case is not None:
                return case
    kind = next((k for k in kinds.registered() if k.case_type == clock.policy.case_type), None)
    if kind is None or clock.pk is None:
        return None
    return kind.model._default_manager.filter(sla_clock=clock).first()


def case_condition(clock: SlaClock) -> str:
    """What narrows the clock's regime for its case (``regime_condition`` on the case: the
    condition lives there, not twice); blank for a clock under no regime."""
    if clock.regime_id is None:
        return ""
    return getattr(_case_of(clock), CONDITION_FIELD, "") or ""


def _limit(clock: SlaClock, milestone: str, condition: str | None) -> RegimeLimit | None:
    if clock.regime_id is None:
        return None
    if condition is None:
        condition = case_condition(clock)
    prefetch_related_objects([clock.regime], "limits")
    return regime_rules.limit_for(
        clock.regime, case_type=clock.policy.case_type, milestone=milestone, condition=condition
    )


def first_response_target(clock: SlaClock, condition: str | None = None) -> Target:
    """The first response's rule: the regime's limit on it, or else the policy's target."""
    calendar = clock_calendar(clock)
    limit = _limit(clock, Milestone.FIRST_RESPONSE, condition)
    if limit is not None:
        return Target(limit.target, limit.unit, calendar, limit)
    policy = clock.policy
    return Target(policy.first_response_target, policy.first_response_unit, calendar)


def resolution_target(clock: SlaClock, condition: str | None = None) -> Target:
    """The one answer to "the resolution target, unit and calendar of this clock": the
    extension in force; else the regime's decision limit for the case (``condition``; none:
    the case's own), unless a holding response moved it to the policy's extended target;
    else the policy's target, extended or not."""
    calendar = clock_calendar(clock)
    extension = clock.extension
    if extension is not None:
        return Target(extension.target, extension.unit, calendar, extension)
    policy = clock.policy
    extended_by_policy = clock.is_extended and policy.extended_resolution_target
    limit = None if extended_by_policy else _limit(clock, Milestone.DECISION, condition)
    if limit is not None:
        return Target(limit.target, limit.unit, calendar, limit)
    amount = policy.extended_resolution_target if extended_by_policy else policy.resolution_target
    return Target(amount, policy.resolution_unit, calendar)


def _resolution_due(clock: SlaClock, target: Target) -> dt.datetime:
    working = target.working
    due = working.add(clock.started_at, target.amount, target.unit)
    if clock.paused_minutes_total:
        if target.counts_wall_clock:
            due += dt.timedelta(minutes=clock.paused_minutes_total)
        else:
            due = working.add_business_minutes(due, clock.paused_minutes_total)
    return due


def _set_resolution_due(clock: SlaClock, target: Target) -> None:
    clock.resolution_due_at = _resolution_due(clock, target)
    clock.resolution_warn_at = clock.resolution_due_at - dt.timedelta(minutes=clock.policy.due_soon_minutes)


def start_clock(
    *, policy: SlaPolicy, started_at: dt.datetime, regime: Regime | None = None, condition: str = ""
) -> SlaClock:
    """A running clock on ``policy``, its deadlines from ``regime``'s limits for a case with
    ``condition`` where it sets them (the policy's targets where it does not)."""
    clock = SlaClock(policy=policy, started_at=started_at, regime=regime)
    first = first_response_target(clock, condition)
    clock.first_response_due_at = first.working.add(started_at, first.amount, first.unit)
    _set_resolution_due(clock, resolution_target(clock, condition))
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


def resume_clock(clock: SlaClock, *, at: dt.datetime, condition: str | None = None) -> None:
    """Push the deadline out by the pause, counted as the target counts (to the minute)."""
    if clock.paused_at is None:
        return
    target = resolution_target(clock, condition)
    if target.counts_wall_clock:
        paused = int((at - clock.paused_at).total_seconds() // 60)
    else:
        paused = target.working.business_minutes_between(clock.paused_at, at)
    clock.paused_minutes_total += paused
    clock.paused_at = None
    _set_resolution_due(clock, target)
    if clock.due_soon_notified_at and clock.resolution_warn_at > at:
        clock.due_soon_notified_at = None  # warn again before the new deadline
    clock.save()


def extend_clock(
    clock: SlaClock, extension: RegimeExtension | None = None, *, condition: str | None = None
) -> None:
    """Move the deadline to an extended limit: ``extension``'s (a tier of the clock's regime
    open to its case, later than the one in force), counted from the start as the first
    limit was; without one, a holding response's move to the policy's extended target."""
    if extension is not None:
        _refuse_extension(clock, extension, condition)
        old = resolution_target(clock, condition)
        clock.extension = extension
        _refuse_recount(clock, old, resolution_target(clock, condition), field=EXTENSION_FIELD)
    else:
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
    _set_resolution_due(clock, resolution_target(clock, condition))
    clock.due_soon_notified_at = None
    clock.save()


def _refuse_extension(clock: SlaClock, extension: RegimeExtension, condition: str | None) -> None:
    if condition is None:
        condition = case_condition(clock)
    if (
        extension.regime_id != clock.regime_id
        or extension.case_type != clock.policy.case_type
        or extension.milestone != Milestone.DECISION
        or extension.condition not in {"", condition}
    ):
        raise InvalidInput(
            gettext("The extension '%(extension)s' is not one this case's regime offers it.")
            % {"extension": extension},
            field=EXTENSION_FIELD,
        )
    in_force = clock.extension
    if in_force is not None and extension.tier <= in_force.tier:
        raise InvalidInput(
            gettext(
                "This case runs under extension tier %(in_force)s already: it can only be extended "
                "to a later tier, not to tier %(tier)s."
            )
            % {"in_force": in_force.tier, "tier": extension.tier},
            field=EXTENSION_FIELD,
        )


def _refuse_recount(clock: SlaClock, old: Target, new: Target, *, field: str) -> None:
    """The pauses are kept as one total in the old target's kind of time (wall-clock or
    working minutes); they cannot be counted again in the other kind without the pauses
    themselves."""
    if clock.paused_minutes_total and old.counts_wall_clock != new.counts_wall_clock:
        raise InvalidInput(
            gettext(
                "This case's clock was paused for %(minutes)s minutes counted in %(old)s; its "
                "deadline would count %(new)s, so it cannot be worked out again."
            )
            % {
                "minutes": clock.paused_minutes_total,
                "old": TimeUnit(old.unit).label,
                "new": TimeUnit(new.unit).label,
            },
            field=field,
        )


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


def change_policy(
    clock: SlaClock, policy: SlaPolicy, *, at: dt.datetime, condition: str | None = None
) -> None:
    """Re-target the clock on another policy (the case's category or priority was
    corrected), as if it had run on that policy from its start: both due times from
    ``started_at`` on the new targets and calendar (a regime's limits still beat them). What
    happened to the case stays: the time paused, an extension, a first response already
    given (its due time and lateness with it). Lateness follows the new due times: a mark
    the old targets earned is kept only if the case is late on the new ones too; a running
    clock now past its new deadline is marked by the sweep, which tells the supervisors."""
    if policy.pk == clock.policy_id:
        return
    if condition is None:
        condition = case_condition(clock)
    if clock.is_extended and clock.extension_id is None and not policy.extended_resolution_target:
        raise InvalidInput(
            gettext(
                "A holding response moved this case to its extended limit, and the SLA policy "
                "'%(policy)s' has none: choose one that has."
            )
            % {"policy": policy},
            field="category",
        )
    old = resolution_target(clock, condition)
    clock.policy = policy
    _refuse_recount(clock, old, resolution_target(clock, condition), field="category")
    _retarget(clock, at=at, condition=condition)


def change_regime(clock: SlaClock, regime: Regime, condition: str, *, at: dt.datetime) -> None:
    """Re-target the clock on a corrected regime or condition, as :func:`change_policy`
    does on a corrected policy. An extension in force moves to the same tier of the new
    regime: refused if it has none for the case."""
    if regime.pk == clock.regime_id and condition == case_condition(clock):
        return
    old = resolution_target(clock)
    extension = None
    if clock.extension is not None:
        prefetch_related_objects([regime], "extensions")
        tiers = regime_rules.extensions_for(regime, case_type=clock.policy.case_type, condition=condition)
        extension = next((tier for tier in tiers if tier.tier == clock.extension.tier), None)
        if extension is None:
            raise InvalidInput(
                gettext(
                    "This case runs under extension tier %(tier)s, which %(regime)s does not "
                    "offer it: it cannot move to that regime."
                )
                % {"tier": clock.extension.tier, "regime": regime},
                field=REGIME_FIELD,
            )
    clock.regime = regime
    clock.extension = extension
    _refuse_recount(clock, old, resolution_target(clock, condition), field=REGIME_FIELD)
    _retarget(clock, at=at, condition=condition)


def _retarget(clock: SlaClock, *, at: dt.datetime, condition: str) -> None:
    """Both due times again from the start on the clock's rules as they now are."""
    if clock.first_responded_at is None:
        first = first_response_target(clock, condition)
        clock.first_response_due_at = first.working.add(clock.started_at, first.amount, first.unit)
        # Nobody is told of a late first response: marked here as the sweep would mark it.
        late = clock.stopped_at is None and at >= clock.first_response_due_at
        clock.first_response_breached_at = clock.first_response_due_at if late else None
    _set_resolution_due(clock, resolution_target(clock, condition))
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
