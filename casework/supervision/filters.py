"""List filters the supervisors' dashboard links to, for every case type's changelist.

Each one asks the same condition as the figure that links to it (``casework.supervision.dashboard``),
so the list a figure opens holds exactly the cases it counted.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.contrib.admin.views.main import ALL_VAR, IS_FACETS_VAR, ORDER_VAR, PAGE_VAR
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import kinds
from casework.sla.calendars import business_zone, end_of_day
from casework.supervision import dashboard


class OpenCasesFilter(admin.SimpleListFilter):
    """Open cases: all of them, those due by the end of today, those breached; or every
    case, closed ones too.

    A list opened bare (no filter, no search: from the sidebar, or "clear all filters")
    shows the open cases; one click shows every case. A list asked for anything (the
    dashboard's links, a search for an old reference) shows exactly what was asked."""

    title = _("open cases")
    parameter_name = "open"
    ALL = "all"
    DUE_TODAY = "due_today"
    BREACHED = "breached"
    ANY = "any"  # every case, closed ones too
    # What a bare list's address may still carry: its order and its page.
    BARE_LIST_PARAMETERS = frozenset({ORDER_VAR, PAGE_VAR, ALL_VAR, IS_FACETS_VAR})

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        if self.parameter_name not in self.used_parameters and set(request.GET) <= self.BARE_LIST_PARAMETERS:
            self.used_parameters[self.parameter_name] = self.ALL

    def lookups(self, request, model_admin):
        return [
            (self.ALL, _("all open")),
            (self.DUE_TODAY, _("due today")),
            (self.BREACHED, _("breached")),
            (self.ANY, _("all cases, closed too")),
        ]

    def choices(self, changelist):
        # No "All" without a value: a bare list means open cases; "all cases" says so.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value not in (self.ALL, self.DUE_TODAY, self.BREACHED):
            return queryset
        now = timezone.now()
        queryset = queryset.filter(kinds.kind_of(queryset.model).open_q())
        if value == self.DUE_TODAY:
            day_ends_at = end_of_day(now, business_zone())
            return queryset.filter(dashboard.due_today_q(now, day_ends_at))
        if value == self.BREACHED:
            return queryset.filter(dashboard.breached_q(now))
        return queryset


class BacklogAgeFilter(admin.SimpleListFilter):
    """Open cases by how long ago they were received."""

    title = _("open for")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [(bucket.key, bucket.label) for bucket in dashboard.AGE_BUCKETS]

    def queryset(self, request, queryset):
        bucket = next((b for b in dashboard.AGE_BUCKETS if b.key == self.value()), None)
        if bucket is None:
            return queryset
        kind = kinds.kind_of(queryset.model)
        return queryset.filter(kind.open_q(), bucket.q(timezone.now()))


class ResolvedInPeriodFilter(admin.SimpleListFilter):
    """Resolved in the last days (and not reopened since): what SLA compliance counts."""

    title = _("resolved in the last")
    parameter_name = "resolved"

    def lookups(self, request, model_admin):
        return [(str(days), gettext("%(days)s days") % {"days": days}) for days in dashboard.PERIODS_DAYS]

    def queryset(self, request, queryset):
        if self.value() not in {str(days) for days in dashboard.PERIODS_DAYS}:
            return queryset
        now = timezone.now()
        since = now - dt.timedelta(days=int(self.value()))
        return queryset.filter(kinds.kind_of(queryset.model).resolved_q(since, now))


class ResolutionDeadlineFilter(admin.SimpleListFilter):
    """Met or missed the resolution deadline (the first-response target aside)."""

    title = _("resolution deadline")
    parameter_name = "resolution"
    MET = "met"
    MISSED = "missed"

    def lookups(self, request, model_admin):
        return [(self.MET, _("met")), (self.MISSED, _("missed"))]

    def queryset(self, request, queryset):
        if self.value() == self.MET:
            return queryset.filter(dashboard.resolution_met_q())
        if self.value() == self.MISSED:
            return queryset.filter(dashboard.resolution_missed_q(timezone.now()))
        return queryset


# Added to each case type's ``list_filter``: the open cases first (the list's default), the others last.
LATER_DASHBOARD_FILTERS = (BacklogAgeFilter, ResolvedInPeriodFilter, ResolutionDeadlineFilter)
DASHBOARD_FILTERS = (OpenCasesFilter, *LATER_DASHBOARD_FILTERS)
