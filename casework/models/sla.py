"""What every case type shares: teams, partners, calendars, SLA policies and clocks,
the transition record and the notification outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords, ChainedRow, chain_constraint
from casework.core.limits import DESCRIPTION_MAX_LENGTH, bounded_text


class Team(models.Model):
    """A desk that owns cases: frontline, technical team, complaints department..."""

    code = models.SlugField(unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    mailbox = models.EmailField(
        help_text=_("Escalation notices and reminders go here."), verbose_name=_("mailbox")
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Staff of this team: its members may take findings back to the case."),
        verbose_name=_("group"),
    )
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A partner system that files cases through the API with its own credentials."""

    code = models.SlugField(unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner",
        help_text=_("The API identity; its token is the partner's credential."),
        verbose_name=_("user"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    rate_limit = models.CharField(
        max_length=20,
        blank=True,
        help_text=_(
            "Requests this partner may make, e.g. 600/minute; blank is the API_PARTNER_RATE setting."
        ),
        verbose_name=_("rate limit"),
    )
    webhook_url = models.URLField(
        blank=True,
        help_text=_("Where state changes of this partner's cases are POSTed, signed; blank sends none."),
        verbose_name=_("webhook url"),
    )
    webhook_secret = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The whsec_ secret that signs this partner's webhooks."),
        verbose_name=_("webhook secret"),
    )
    previous_webhook_secret = models.CharField(
        max_length=100,
        blank=True,
        help_text=_("The secret before the last rotation: webhooks carry both signatures until it expires."),
        verbose_name=_("previous webhook secret"),
    )
    previous_webhook_secret_expires_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("previous webhook secret expires at")
    )
    # Secrets stay out of the history: auditors see that a rotation happened, not its key.
    history = ChainedHistoricalRecords(excluded_fields=["webhook_secret", "previous_webhook_secret"])

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiScope(models.TextChoices):
    """What one API key may do: per case type read or write (write includes read), and
    the settlement reports that only the payments system's keys may carry."""

    COMPLAINTS_READ = "complaints:read", _("complaints: read")
    COMPLAINTS_WRITE = "complaints:write", _("complaints: file, withdraw and read")
    ACCOUNT_REQUESTS_READ = "account-requests:read", _("account requests: read")
    ACCOUNT_REQUESTS_WRITE = "account-requests:write", _("account requests: submit, cancel and read")
    REFUND_CASES_READ = "refund-cases:read", _("refund cases: read")
    REFUND_CASES_WRITE = "refund-cases:write", _("refund cases: open, add evidence, cancel and read")
    SETTLEMENTS_REPORT = "settlements:report", _("payment instructions: read and report settlement")


class PartnerApiKey(models.Model):
    """One credential of a partner: ``bo_<prefix>_<secret>``, kept as its prefix (to find
    it) and the SHA-256 of the whole key (to check it); the key itself is shown once."""

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("partner")
    )
    name = models.CharField(
        max_length=100,
        help_text=_("What the partner uses it for, e.g. its call centre."),
        verbose_name=_("name"),
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False, verbose_name=_("prefix"))
    key_hash = models.CharField(
        max_length=64, editable=False, help_text=_("SHA-256 of the whole key."), verbose_name=_("key hash")
    )
    scopes = models.JSONField(
        default=list, help_text=_("ApiScope values this key carries."), verbose_name=_("scopes")
    )
    signing_secret = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text=_("Set when requests made with this key must be HMAC-signed (whsec_ secret)."),
        verbose_name=_("signing secret"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Blank: until revoked."), verbose_name=_("expires at")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("last used at"))
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("revoked by"),
    )
    # Every use would be a history row: last use is kept on the row only.
    history = ChainedHistoricalRecords(excluded_fields=["last_used_at", "signing_secret", "key_hash"])

    class Meta:
        verbose_name = _("partner API key")
        verbose_name_plural = _("partner API keys")
        ordering = ["partner", "-created_at"]

    def __str__(self) -> str:
        return f"{self.partner}: {self.name} ({self.shown})"

    @property
    def shown(self) -> str:
        """How the key is named where it may be seen: its prefix, never its secret."""
        return f"bo_{self.prefix}_…"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def status(self, now: dt.datetime | None = None) -> str:
        if self.revoked_at is not None:
            return gettext("revoked")
        if not self.is_usable(now):
            return gettext("expired")
        return gettext("active")


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
        ]

    def __str__(self) -> str:
        return gettext("SLA clock due %(due)s") % {"due": f"{self.resolution_due_at:%Y-%m-%d %H:%M}"}

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


class TransitionRecord(models.Model):
    """Who moved which case from where to where, when and why.

    Written in the same transaction as the transition and its save. Rows are never
    edited or deleted; each carries the hash of its predecessor so tampering shows.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, db_index=True, verbose_name=_("case reference"))
    transition = models.CharField(max_length=60, verbose_name=_("transition"))
    source_state = models.CharField(max_length=40, verbose_name=_("source state"))
    target_state = models.CharField(max_length=40, verbose_name=_("target state"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(
        max_length=150, help_text=_("User name, partner or the SLA clock."), verbose_name=_("actor label")
    )
    # As long as the longest text a service copies in (a complaint's description).
    reason = bounded_text(DESCRIPTION_MAX_LENGTH, blank=True, verbose_name=_("reason"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("created at"))
    previous_hash = models.CharField(max_length=64, blank=True, verbose_name=_("previous hash"))
    record_hash = models.CharField(max_length=64, blank=True, verbose_name=_("record hash"))

    class Meta:
        verbose_name = _("transition record")
        verbose_name_plural = _("transition records")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_reference}: {self.source_state} → {self.target_state} ({self.transition})"


class Notification(models.Model):
    """Outbox row: written with the transition, delivered by a task, never twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WEBHOOK = "webhook", _("signed HTTP POST")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed (gave up)")

    idempotency_key = models.CharField(max_length=120, unique=True, verbose_name=_("idempotency key"))
    kind = models.CharField(
        max_length=40,
        help_text=_("escalation, due_soon, breach, payment_instruction..."),
        verbose_name=_("kind"),
    )
    channel = models.CharField(
        max_length=10, choices=Channel.choices, default=Channel.EMAIL, verbose_name=_("channel")
    )
    recipient = models.CharField(
        max_length=254, help_text=_("An e-mail address, or a webhook's URL."), verbose_name=_("recipient")
    )
    subject = models.CharField(
        max_length=200,
        help_text=_("The e-mail's subject, or a webhook's short label."),
        verbose_name=_("subject"),
    )
    body = models.TextField(
        help_text=_("The e-mail's text, or a webhook's JSON payload, sent exactly as stored."),
        verbose_name=_("body"),
    )
    signing_key = models.CharField(
        max_length=60,
        blank=True,
        help_text=_(
            "Webhooks: the name of the secret that signs it (e.g. payments), never the secret itself."
        ),
        verbose_name=_("signing key"),
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True, verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(
        max_length=40, blank=True, db_index=True, verbose_name=_("case reference")
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="webhook") | ~Q(signing_key=""),
                name="webhook_notice_names_its_signing_key",
                violation_error_message=_("A webhook notice names the secret that signs it."),
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s to %(recipient)s (%(status)s)") % {
            "kind": self.kind,
            "recipient": self.recipient,
            "status": self.status,
        }


class DeliveryAttempt(models.Model):
    """One try at sending a notice: when, how it went, what the other side answered."""

    notification = models.ForeignKey(
        Notification,
        on_delete=models.CASCADE,
        related_name="delivery_attempts",
        verbose_name=_("notification"),
    )
    attempted_at = models.DateTimeField(default=timezone.now, verbose_name=_("attempted at"))
    succeeded = models.BooleanField(verbose_name=_("succeeded"))
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("response status")
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    duration_ms = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("duration ms"))
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who re-sent it from the admin; blank for the worker and the retry sweep."),
        verbose_name=_("triggered by"),
    )

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        template = (
            gettext("%(notice)s delivered at %(at)s")
            if self.succeeded
            else gettext("%(notice)s failed at %(at)s")
        )
        return template % {"notice": self.notification_id, "at": f"{self.attempted_at:%Y-%m-%d %H:%M:%S}"}


class ReferenceSequence(models.Model):
    """Per prefix and day counter behind readable references like CMP-20261124-000123."""

    prefix = models.CharField(max_length=8, verbose_name=_("prefix"))
    day = models.DateField(verbose_name=_("day"))
    last_value = models.PositiveIntegerField(default=0, verbose_name=_("last value"))

    class Meta:
        verbose_name = _("reference sequence")
        verbose_name_plural = _("reference sequences")
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="one_sequence_per_day")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day}: {self.last_value}"


class IdempotencyKey(models.Model):
    """A partner's create remembered under its ``Idempotency-Key``: the request it answered
    (method, path, a hash of the body) and the answer, which a retry gets back until it expires.

    Written in the same transaction as the create, so a crash keeps neither; the unique
    (partner, key) row is what a concurrent retry waits on.
    """

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    key = models.CharField(max_length=255, verbose_name=_("key"))
    request_method = models.CharField(max_length=10, verbose_name=_("request method"))
    request_path = models.CharField(max_length=500, verbose_name=_("request path"))
    request_hash = models.CharField(
        max_length=64, help_text=_("SHA-256 of the canonical request body."), verbose_name=_("request hash")
    )
    response_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("response status")
    )
    response_headers = models.JSONField(
        default=dict, blank=True, help_text=_("Location and ETag."), verbose_name=_("response headers")
    )
    response_body = models.JSONField(null=True, blank=True, verbose_name=_("response body"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    expires_at = models.DateTimeField(db_index=True, verbose_name=_("expires at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="one_idempotency_key_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.request_method} {self.request_path})"


# The log's rows hold up to 300 characters from before a reason was required: no row is cut.
REVEAL_REASON_MAX_LENGTH = 300


class RevealLog(ChainedRow):
    """One look at a masked personal-data value in full, or a refused try at one: who, which
    case and field, when and why. Written only by the reveal view; never edited or deleted.
    Sealed and chained per case (``casework.core.chain``), so an edit or a removal shows.

    The rule (who may reveal, what is masked where) is in ``casework.privacy.masking``.
    """

    class Outcome(models.TextChoices):
        REVEALED = "revealed", _("revealed")
        REFUSED = "refused", _("refused (no permission)")
        NO_REASON = "no_reason", _("refused (no valid reason)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_("The case's reference, or the masked account."),
        verbose_name=_("case reference"),
    )
    field_name = models.CharField(
        max_length=60, help_text=_("Which value: e.g. customer_phone."), verbose_name=_("field name")
    )
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.REVEALED, verbose_name=_("outcome")
    )
    # Required to reveal; a refused try keeps what came (perhaps nothing, a NUL shown as \ufffd).
    reason = models.CharField(
        max_length=REVEAL_REASON_MAX_LENGTH,
        validators=[ProhibitNullCharactersValidator()],
        help_text=_("Why the full value is needed, as the user typed it."),
        verbose_name=_("reason"),
    )
    revealed_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("revealed at"))

    class Meta:
        verbose_name = _("reveal log")
        verbose_name_plural = _("reveal logs")
        ordering = ["-revealed_at", "-id"]
        permissions = [
            (
                "reveal_personal_data",
                _("Can reveal a masked phone, account or ID number (each reveal logged)"),
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "revealed_at"])]
        constraints = [chain_constraint("casework_reveallog", ["content_type", "object_id"])]

    chain_time_field = "revealed_at"

    @classmethod
    def chain_columns(cls) -> tuple[str, ...]:
        return ("content_type_id", "object_id")

    def chain_label(self) -> str:
        return (
            f"reveal log #{self.pk} ({self.case_reference} {self.field_name}, {self.outcome} "
            f"at {self.revealed_at:%Y-%m-%d %H:%M:%S%z}, user #{self.user_id})"
        )

    def __str__(self) -> str:
        template = (
            gettext("%(user)s revealed %(field)s of %(case)s")
            if self.outcome == self.Outcome.REVEALED
            else gettext("%(user)s refused %(field)s of %(case)s")
        )
        return template % {"user": self.user, "field": self.field_name, "case": self.case_reference}


class FileDownload(models.Model):
    """One download of an uploaded file (evidence, a scan, an attachment) by staff, or a
    refused try at one: who, which file of which case, when, from which address. Written
    only by the download view (``casework.admin_downloads``); never edited or deleted."""

    class Outcome(models.TextChoices):
        DOWNLOADED = "downloaded", _("downloaded")
        REFUSED = "refused", _("refused (no permission)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("case type")
    )
    object_id = models.PositiveBigIntegerField(verbose_name=_("case id"))
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, db_index=True, verbose_name=_("case reference"))
    file_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Which kind of record holds the file: refund evidence, authentication evidence..."),
        verbose_name=_("file record type"),
    )
    file_id = models.PositiveBigIntegerField(verbose_name=_("file record id"))
    file_name = models.CharField(max_length=255, help_text=_("As stored."), verbose_name=_("file name"))
    address = models.GenericIPAddressField(
        null=True, blank=True, help_text=_("The address the request came from."), verbose_name=_("address")
    )
    outcome = models.CharField(
        max_length=10, choices=Outcome.choices, default=Outcome.DOWNLOADED, verbose_name=_("outcome")
    )
    downloaded_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("downloaded at"))

    class Meta:
        verbose_name = _("file download")
        verbose_name_plural = _("file downloads")
        ordering = ["-downloaded_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "downloaded_at"])]

    def __str__(self) -> str:
        template = (
            gettext("%(user)s downloaded %(file)s of %(case)s")
            if self.outcome == self.Outcome.DOWNLOADED
            else gettext("%(user)s was refused %(file)s of %(case)s")
        )
        return template % {
            "user": self.user,
            "file": self.file_name.rpartition("/")[2],
            "case": self.case_reference,
        }

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("A download log row is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A download log row is never deleted.")
