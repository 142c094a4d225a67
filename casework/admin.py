"""The staff door to what every case type shares: desks, partners and their API tokens,
calendars, SLA policies, and read-only views of clocks, the transition record and the
notification outbox."""

from __future__ import annotations

import csv

from django import http
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.authtoken.models import Token
from simple_history.admin import SimpleHistoryAdmin

from . import outbox
from .audit import trail_rows
from .models import (
    BusinessCalendar,
    CalendarOverride,
    Notification,
    Partner,
    SlaClock,
    SlaPolicy,
    Team,
    TransitionRecord,
)


class AppendOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History to read, never to write back.

    ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides the revert button: simple-history's
    historical form view still saves a POST. Refuse it, so an old version (an old state,
    past the state machine) cannot be written back by hand.
    """

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            return http.HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """Rows written by the system: staff read them, nobody edits or deletes them here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Team)
class TeamAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "code", "mailbox", "group")
    list_select_related = ("group",)
    search_fields = ("name", "code", "mailbox")


@admin.register(Partner)
class PartnerAdmin(AppendOnlyHistoryAdmin):
    list_display = ("name", "code", "user", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("user",)
    search_fields = ("name", "code")
    actions = ("rotate_api_token",)

    def get_readonly_fields(self, request, obj=None):
        # The token is a credential: only those who may change partners read it whole.
        token_field = "api_token" if self.has_change_permission(request, obj) else "api_token_masked"
        return (*super().get_readonly_fields(request, obj), token_field)

    @staticmethod
    def _token_key(partner: Partner) -> str | None:
        if partner.pk is None:
            return None
        return Token.objects.filter(user_id=partner.user_id).values_list("key", flat=True).first()

    @admin.display(description="API token")
    def api_token(self, partner: Partner) -> str:
        key = self._token_key(partner)
        return key or "None yet: select the partner in the list and run “Rotate API token”."

    @admin.display(description="API token")
    def api_token_masked(self, partner: Partner) -> str:
        key = self._token_key(partner)
        return f"…{key[-4:]}" if key else "None yet."

    @admin.action(description="Rotate API token (the old token stops working)", permissions=["change"])
    def rotate_api_token(self, request, queryset: QuerySet[Partner]) -> None:
        rotated = 0
        for partner in queryset.select_related("user"):
            with transaction.atomic():
                Token.objects.filter(user=partner.user).delete()
                Token.objects.create(user=partner.user)
            self.log_change(request, partner, "Rotated the API token.")
            rotated += 1
        # The keys stay out of the message: messages travel in cookies and sessions.
        self.message_user(
            request,
            f"Issued a new API token for {rotated} partner(s); open a partner to read its token.",
            messages.SUCCESS,
        )


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

    @admin.display(description="first response")
    def first_response(self, policy: SlaPolicy) -> str:
        return f"{policy.first_response_target} {policy.get_first_response_unit_display()}"

    @admin.display(description="resolution")
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

    @admin.display(description="SLA status")
    def sla_status(self, clock: SlaClock) -> str:
        return clock.status().label


@admin.register(TransitionRecord)
class TransitionRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "case_reference",
        "content_type",
        "transition",
        "source_state",
        "target_state",
        "actor_label",
        "reason",
    )
    list_filter = ("transition", "actor_label", "content_type")
    list_select_related = ("content_type",)
    search_fields = ("case_reference",)
    date_hierarchy = "created_at"
    actions = ("export_csv",)

    @admin.action(description="Export selected records as CSV", permissions=["view"])
    def export_csv(self, request, queryset: QuerySet[TransitionRecord]) -> http.StreamingHttpResponse:
        # Pick the period with the date drill-down, then "select all".
        writer = csv.writer(_Echo())
        response = http.StreamingHttpResponse(
            (writer.writerow(row) for row in trail_rows(queryset)), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="transitions-{stamp}.csv"'
        return response


class _Echo:
    """A file-like object csv.writer can write to: each row goes straight out."""

    def write(self, value: str) -> str:
        return value


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "recipient",
        "case_reference",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "kind", "channel")
    search_fields = ("case_reference", "recipient", "idempotency_key")
    date_hierarchy = "created_at"
    actions = ("retry_now",)

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("casework.change_notification")

    @admin.action(description="Deliver now (pending notices only)", permissions=["retry"])
    def retry_now(self, request, queryset: QuerySet[Notification]) -> None:
        # Delivery claims the row, so a notice a worker is sending right now is not sent twice.
        pending = list(queryset.filter(status=Notification.Status.PENDING).values_list("pk", flat=True))
        delivered = sum(outbox.deliver(notification_id) for notification_id in pending)
        skipped = queryset.count() - len(pending)
        message = f"Delivered {delivered} of {len(pending)} pending notice(s)."
        if delivered < len(pending):
            message += " The others failed again: see their last error."
        if skipped:
            message += f" Skipped {skipped} already sent or given up."
        self.message_user(request, message, messages.SUCCESS if delivered else messages.WARNING)
