"""A clock's deadlines as staff read them: "in 2 d 4 h", "overdue 5 d", with a tone a page
colours them by. The first response counts down until someone answered, the resolution
until the clock stopped; a paused clock says so instead of counting.

Wall-clock time, as a clerk reads a countdown; the due times themselves come from the
business calendar (``casework.sla.clocks``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, pgettext

from casework.models import SlaClock

OK, SOON, LATE, PAUSED, MET = "ok", "soon", "late", "paused", "met"
FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"


@dataclass(frozen=True)
class Deadline:
    kind: str  # FIRST_RESPONSE or RESOLUTION
    due_at: dt.datetime
    tone: str  # OK, SOON, LATE, PAUSED or MET
    text: str

    @property
    def label(self) -> str:
        if self.kind == FIRST_RESPONSE:
            return pgettext("deadline", "first response")
        return pgettext("deadline", "resolution")


def span(delta: dt.timedelta) -> str:
    """A duration in the two largest units that matter: "2 d 4 h", "3 h 20 min", "5 min"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if hours:
            return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
        return gettext("%(days)s d") % {"days": days}
    if hours:
        if minutes:
            return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return gettext("%(hours)s h") % {"hours": hours}
    return gettext("%(minutes)s min") % {"minutes": minutes}


def _counting(kind: str, due_at: dt.datetime, now: dt.datetime, *, soon_at: dt.datetime) -> Deadline:
    if now >= due_at:
        return Deadline(kind, due_at, LATE, gettext("overdue %(span)s") % {"span": span(now - due_at)})
    tone = SOON if now >= soon_at else OK
    return Deadline(kind, due_at, tone, gettext("in %(span)s") % {"span": span(due_at - now)})


def first_response(clock: SlaClock, now: dt.datetime | None = None) -> Deadline:
    now = now or timezone.now()
    due_at = clock.first_response_due_at
    if clock.first_responded_at is not None:
        late = clock.first_responded_at > due_at or clock.first_response_breached_at is not None
        return Deadline(
            FIRST_RESPONSE,
            due_at,
            LATE if late else MET,
            gettext("answered late") if late else gettext("answered"),
        )
    # A first response is short: "soon" in its last quarter.
    soon_at = due_at - (due_at - clock.started_at) / 4
    return _counting(FIRST_RESPONSE, due_at, now, soon_at=soon_at)


def resolution(clock: SlaClock, now: dt.datetime | None = None) -> Deadline:
    now = now or timezone.now()
    due_at = clock.resolution_due_at
    if clock.stopped_at is not None:
        late = clock.is_breached(now)
        return Deadline(
            RESOLUTION,
            due_at,
            LATE if late else MET,
            gettext("resolved late") if late else gettext("resolved in time"),
        )
    if clock.paused_at is not None:
        return Deadline(RESOLUTION, due_at, PAUSED, gettext("paused: waiting on the customer"))
    return _counting(RESOLUTION, due_at, now, soon_at=clock.resolution_warn_at)


def deadlines(clock: SlaClock, now: dt.datetime | None = None) -> list[Deadline]:
    """Both deadlines, first response first."""
    now = now or timezone.now()
    return [first_response(clock, now), resolution(clock, now)]


def next_deadline(clock: SlaClock, now: dt.datetime | None = None) -> Deadline:
    """The deadline a list shows: the first response while it is unanswered, else resolution."""
    now = now or timezone.now()
    if clock.first_responded_at is None and clock.stopped_at is None:
        return first_response(clock, now)
    return resolution(clock, now)


class NextDueColumn(F):
    """The case row's copy of its clock's next deadline (``next_due_at``, kept by
    ``casework.sla.clocks``), to sort by: the ended cases (none) last both ways, as the
    column's two indexes over the open cases hold them."""

    def desc(self, **kwargs):
        kwargs.setdefault("nulls_last", True)
        return super().desc(**kwargs)


# The next deadline to sort the cases by: the same rule as ``next_deadline`` (the first
# response until answered, then the resolution), and none once the clock stopped.
NEXT_DUE = NextDueColumn("next_due_at")
