"""The configuration every case type shares: desks, business calendars, SLA policies, and a
read-only view of the clocks."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.admin.base import AppendOnlyHistoryAdmin, ReadOnlyAdminMixin
from casework.admin.routing import TeamRoutingInline
from casework.models import (
    BusinessCalendar,
    CalendarOverride,
    SlaClock,
    SlaPolicy,
    Team,
)

# What every case type shares.


@admin.register(Team)
class TeamAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "code", "mailbox", "group")
    list_select_related = ("group",)
    search_fields = ("name", "code", "mailbox")
    inlines = (TeamRoutingInline,)  # its skills, overflow and round-robin (casework.routing)


class CalendarOverrideInline(admin.TabularInline):
    model = CalendarOverride
    extra = 1
    fields = ("date", "is_working_day", "note")


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "country_code", "time_zone", "workday_starts_at", "workday_ends_at", "is_default")
    inlines = (CalendarOverrideInline,)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AppendOnlyHistoryAdmin):
    list_display = (
        "name",
        "case_type",
        "category",
        "priority",
        "first_response",
        "resolution",
        "extended_resolution_target",
        "calendar",
        "is_active",
    )
    list_filter = ("case_type", "is_active", "calendar")
    list_select_related = ("calendar",)
    search_fields = ("name", "category")

    @admin.display(description=_("first response"))
    def first_response(self, policy: SlaPolicy) -> str:
        return f"{policy.first_response_target} {policy.get_first_response_unit_display()}"

    @admin.display(description=_("resolution"))
    def resolution(self, policy: SlaPolicy) -> str:
        return f"{policy.resolution_target} {policy.get_resolution_unit_display()}"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # clocks point at their policy; retire one with "is active" instead


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, AppendOnlyHistoryAdmin):
    list_display = (
        "id",
        "policy",
        "started_at",
        "first_response_due_at",
        "resolution_due_at",
        "sla_status",
        "is_extended",
        "paused_at",
        "stopped_at",
    )
    list_filter = ("policy", "is_extended")
    list_select_related = ("policy",)

    @admin.display(description=_("SLA status"))
    def sla_status(self, clock: SlaClock) -> str:
        return clock.status().label
