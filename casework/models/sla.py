"""Time: business calendars and their overrides, SLA policies per case type, and each case's clock."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords


class BusinessCalendar(models.Model):
    """Working days from the ``holidays`` package plus overrides, working hours, zone."""

    name = models.CharField(max_length=100, unique=True, verbose_name=_("name"))
    country_code = models.CharField(
        max_length=8,
        default="CN",
        help_text=_("ISO code the holidays package knows, e.g. CN."),
        verbose_name=_("country code"),
    )
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai", verbose_name=_("time zone"))
    workday_starts_at = models.TimeField(default=dt.time(9, 0), verbose_name=_("workday starts at"))
    workday_ends_at = models.TimeField(default=dt.time(18, 0), verbose_name=_("workday ends at"))
    is_default = models.BooleanField(default=False, verbose_name=_("is default"))
    # A new value with every change to the calendar or its overrides, in that change's
    # transaction: processes keep the overrides they read under it (casework.sla.calendars). A
    # save of a calendar read before an override changed cannot bring an old value back.
    overrides_token = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("overrides token"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            ),
            models.CheckConstraint(
                condition=Q(workday_ends_at__gt=models.F("workday_starts_at")),
                name="workday_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.overrides_token = uuid.uuid4()
        super().save(*args, **kwargs)


class CalendarOverride(models.Model):
    """A day that works or rests against what the holidays package says."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("calendar")
    )
    date = models.DateField(verbose_name=_("date"))
    is_working_day = models.BooleanField(verbose_name=_("is working day"))
    note = models.CharField(max_length=200, blank=True, verbose_name=_("note"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_override_per_day")]

    def __str__(self) -> str:
        kind = gettext("working day") if self.is_working_day else gettext("day off")
        return f"{self.date}: {kind}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        self.calendar_changed()

    def calendar_changed(self) -> None:
        """Give the calendar a new overrides token (an UPDATE: no history row of its own;
        the override's history says what changed), on its row and on the calendar object
        this override was given, if any."""
        token = uuid.uuid4()
        BusinessCalendar.objects.filter(pk=self.calendar_id).update(overrides_token=token)
        if CalendarOverride.calendar.is_cached(self):
            self.calendar.overrides_token = token


@receiver(post_delete, sender=CalendarOverride)
def _override_deleted(sender, instance: CalendarOverride, **kwargs) -> None:
    # A receiver, not delete(): the admin's "delete selected" and a cascade delete too.
    instance.calendar_changed()


class TimeUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", _("business hours")
    BUSINESS_DAYS = "business_days", _("business days")
    CALENDAR_HOURS = "calendar_hours", _("calendar hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    # Days as Chinese law counts a period (Civil Code arts. 201, 203): from the day after
    # receipt; a last day that is a rest day moves to the next working day; the period ends
    # when business closes on its last day.
    CIVIL_DAYS = "civil_days", _("days (civil-law count)")


class CaseType(models.TextChoices):
    COMPLAINT = "complaint", _("complaint")
    ACCOUNT_REQUEST = "account_request", _("account lock/unlock request")
    REFUND = "refund", _("refund case")


class SlaPolicy(models.Model):
    """Targets for one case type, optionally narrowed to a category and a priority.

    The most specific active policy wins; blank category or priority means "any".
    """

    name = models.CharField(max_length=120, verbose_name=_("name"))
    case_type = models.CharField(max_length=32, choices=CaseType.choices, verbose_name=_("case type"))
    category = models.CharField(max_length=40, blank=True, verbose_name=_("category"))
    priority = models.CharField(max_length=20, blank=True, verbose_name=_("priority"))
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, verbose_name=_("calendar"))
    first_response_target = models.PositiveIntegerField(verbose_name=_("first response target"))
    first_response_unit = models.CharField(
        max_length=20, choices=TimeUnit.choices, verbose_name=_("first response unit")
    )
    resolution_target = models.PositiveIntegerField(verbose_name=_("resolution target"))
    resolution_unit = models.CharField(
        max_length=20, choices=TimeUnit.choices, verbose_name=_("resolution unit")
    )
    extended_resolution_target = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Limit after a holding response, in the resolution unit (e.g. 35 for 15)."),
        verbose_name=_("extended resolution target"),
    )
    due_soon_minutes = models.PositiveIntegerField(
        default=240,
        help_text=_("Warn this many minutes before a target is due."),
        verbose_name=_("due soon minutes"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("sla policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["case_type", "category", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["case_type", "category", "priority"],
                condition=Q(is_active=True),
                name="one_active_policy_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(extended_resolution_target__isnull=True)
                | Q(extended_resolution_target__gte=models.F("resolution_target")),
                name="extension_is_not_shorter",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class NextDue(Case):
    """A clock's next deadline as SQL: the first response until someone answered, then the
    resolution; none once the clock stopped (an ended case has nothing left to meet).

    The same rule as ``SlaClock.next_due_at``. No list sorts by it any more: each case row
    keeps the value (its ``next_due_at``, kept by ``casework.sla.clocks``) beside its state,
    where one partial index holds the open cases by deadline; this fills that column for
    existing rows and is what the tests hold the column to (bench/README.md)."""

    def desc(self, **kwargs):
        kwargs.setdefault("nulls_last", True)
        return super().desc(**kwargs)


def next_due(path: str = "") -> NextDue:
    """The next deadline of the clock at ``path`` (``"sla_clock__"`` from a case, ``""`` on the clock)."""
    return NextDue(
        When(Q(**{f"{path}stopped_at__isnull": False}), then=Value(None)),
        When(Q(**{f"{path}first_responded_at__isnull": True}), then=F(f"{path}first_response_due_at")),
        default=F(f"{path}resolution_due_at"),
        output_field=models.DateTimeField(),
    )


class SlaClock(models.Model):
    """One case's clock: when targets fall due, pauses, and lateness that outlives resolution."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, verbose_name=_("policy"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    first_response_due_at = models.DateTimeField(verbose_name=_("first response due at"))
    first_responded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first responded at"))
    first_response_breached_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("first response breached at")
    )
    resolution_due_at = models.DateTimeField(verbose_name=_("resolution due at"))
    resolution_warn_at = models.DateTimeField(verbose_name=_("resolution warn at"))
    due_soon_notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("due soon notified at"))
    resolution_breached_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("resolution breached at")
    )
    is_extended = models.BooleanField(default=False, verbose_name=_("is extended"))
    paused_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paused at"))
    paused_minutes_total = models.PositiveIntegerField(
        default=0,
        help_text=_("Business minutes spent waiting on the customer."),
        verbose_name=_("paused minutes total"),
    )
    stopped_at = models.DateTimeField(null=True, blank=True, verbose_name=_("stopped at"))
    # The regime whose limits the deadlines follow (none: the policy's targets), and the
    # extension in force, if one was granted.
    regime = models.ForeignKey(
        "casework.Regime", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("regime")
    )
    extension = models.ForeignKey(
        "casework.RegimeExtension",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("extension in force"),
    )
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("sla clock")
        verbose_name_plural = _("sla clocks")
        indexes = [
            # The sweep reads running clocks by due time.
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, resolution_breached_at__isnull=True
                ),
                name="clock_running_due",
            ),
            models.Index(
                fields=["resolution_warn_at"],
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=True, due_soon_notified_at__isnull=True
                ),
                name="clock_running_warn",
            ),
            models.Index(
                fields=["first_response_due_at"],
                condition=Q(first_responded_at__isnull=True, first_response_breached_at__isnull=True),
                name="clock_first_response_due",
            ),
            # The "breached" lists (selectors.breached_q): one index per arm of the OR, so
            # PostgreSQL reads the few late clocks (a bitmap OR) instead of every clock.
            models.Index(
                fields=["resolution_breached_at"],
                condition=Q(resolution_breached_at__isnull=False),
                name="clock_resolution_breached",
            ),
            models.Index(
                fields=["first_response_breached_at"],
                condition=Q(first_response_breached_at__isnull=False),
                name="clock_first_response_breached",
            ),
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(stopped_at__isnull=True, paused_at__isnull=True),
                name="clock_running_by_due",
            ),
            # The worklists' "due today" and "breached" (selectors.due_today_q, breached_q):
            # the few running clocks marked late, and those waiting on the customer after the
            # first response, each read whole from its own small index.
            models.Index(
                fields=["id"],
                condition=Q(stopped_at__isnull=True)
                & (Q(resolution_breached_at__isnull=False) | Q(first_response_breached_at__isnull=False)),
                name="clock_running_late",
            ),
            models.Index(
                fields=["id"],
                condition=Q(
                    stopped_at__isnull=True, paused_at__isnull=False, first_responded_at__isnull=False
                ),
                name="clock_waiting_answered",
            ),
        ]

    def __str__(self) -> str:
        return gettext("SLA clock due %(due)s") % {"due": f"{self.resolution_due_at:%Y-%m-%d %H:%M}"}

    @property
    def next_due_at(self) -> dt.datetime | None:
        """The next deadline: the first response until someone answered, then the
        resolution; none once the clock stopped (``NextDue`` is the same rule in SQL). Each
        case row keeps it as its own ``next_due_at`` (``casework.sla.clocks``)."""
        if self.stopped_at is not None:
            return None
        if self.first_responded_at is None:
            return self.first_response_due_at
        return self.resolution_due_at

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None

    def is_breached(self, now: dt.datetime | None = None) -> bool:
        """Late: breached once, late forever (reports say "resolved late")."""
        if self.resolution_breached_at or self.first_response_breached_at:
            return True
        now = now or timezone.now()
        if self.stopped_at is not None:
            return self.stopped_at > self.resolution_due_at
        return self.paused_at is None and now >= self.resolution_due_at

    def status(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.is_breached(now):
            return SlaStatus.BREACHED
        if self.stopped_at is None and self.paused_at is None and now >= self.resolution_warn_at:
            return SlaStatus.DUE_SOON
        return SlaStatus.ON_TRACK


class SlaStatus(models.TextChoices):
    ON_TRACK = "on_track", _("on track")
    DUE_SOON = "due_soon", _("due soon")
    BREACHED = "breached", _("breached")
