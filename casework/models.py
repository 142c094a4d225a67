"""What every case type shares: teams, partners, calendars, SLA policies and clocks,
the transition record and the notification outbox."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class Team(models.Model):
    """A desk that owns cases: frontline, technical team, complaints department..."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    mailbox = models.EmailField(help_text="Escalation notices and reminders go here.")
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Staff of this team: its members may take findings back to the case.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """A partner system that files cases through the API with its own credentials."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="partner",
        help_text="The API identity; its token is the partner's credential.",
    )
    is_active = models.BooleanField(default=True)
    rate_limit = models.CharField(
        max_length=20,
        blank=True,
        help_text="Requests this partner may make, e.g. 600/minute; blank is the API_PARTNER_RATE setting.",
    )
    webhook_url = models.URLField(
        blank=True,
        help_text="Where state changes of this partner's cases are POSTed, signed; blank sends none.",
    )
    webhook_secret = models.CharField(
        max_length=100, blank=True, help_text="The whsec_ secret that signs this partner's webhooks."
    )
    previous_webhook_secret = models.CharField(
        max_length=100,
        blank=True,
        help_text="The secret before the last rotation: webhooks carry both signatures until it expires.",
    )
    previous_webhook_secret_expires_at = models.DateTimeField(null=True, blank=True)
    # Secrets stay out of the history: auditors see that a rotation happened, not its key.
    history = HistoricalRecords(excluded_fields=["webhook_secret", "previous_webhook_secret"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiScope(models.TextChoices):
    """What one API key may do: per case type read or write (write includes read), and
    the settlement reports that only the payments system's keys may carry."""

    COMPLAINTS_READ = "complaints:read", "complaints: read"
    COMPLAINTS_WRITE = "complaints:write", "complaints: file, withdraw and read"
    ACCOUNT_REQUESTS_READ = "account-requests:read", "account requests: read"
    ACCOUNT_REQUESTS_WRITE = "account-requests:write", "account requests: submit, cancel and read"
    REFUND_CASES_READ = "refund-cases:read", "refund cases: read"
    REFUND_CASES_WRITE = "refund-cases:write", "refund cases: open, add evidence, cancel and read"
    SETTLEMENTS_REPORT = "settlements:report", "payment instructions: read and report settlement"


class PartnerApiKey(models.Model):
    """One credential of a partner: ``bo_<prefix>_<secret>``, kept as its prefix (to find
    it) and the SHA-256 of the whole key (to check it); the key itself is shown once."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text="What the partner uses it for, e.g. its call centre.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the whole key.")
    scopes = models.JSONField(default=list, help_text="ApiScope values this key carries.")
    signing_secret = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="Set when requests made with this key must be HMAC-signed (whsec_ secret).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank: until revoked.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Every use would be a history row: last use is kept on the row only.
    history = HistoricalRecords(excluded_fields=["last_used_at", "signing_secret", "key_hash"])

    class Meta:
        ordering = ["partner", "-created_at"]
        verbose_name = "partner API key"

    def __str__(self) -> str:
        return f"{self.partner}: {self.name} (bo_{self.prefix}_…)"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class BusinessCalendar(models.Model):
    """Working days from the ``holidays`` package plus overrides, working hours, zone."""

    name = models.CharField(max_length=100, unique=True)
    country_code = models.CharField(
        max_length=8, default="CN", help_text="ISO code the holidays package knows, e.g. CN."
    )
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    workday_starts_at = models.TimeField(default=dt.time(9, 0))
    workday_ends_at = models.TimeField(default=dt.time(18, 0))
    is_default = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
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


class CalendarOverride(models.Model):
    """A day that works or rests against what the holidays package says."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    is_working_day = models.BooleanField()
    note = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_override_per_day")]

    def __str__(self) -> str:
        kind = "working day" if self.is_working_day else "day off"
        return f"{self.date}: {kind}"


class TimeUnit(models.TextChoices):
    BUSINESS_HOURS = "business_hours", "business hours"
    BUSINESS_DAYS = "business_days", "business days"
    CALENDAR_HOURS = "calendar_hours", "calendar hours"
    CALENDAR_DAYS = "calendar_days", "calendar days"


class CaseType(models.TextChoices):
    COMPLAINT = "complaint", "complaint"
    ACCOUNT_REQUEST = "account_request", "account lock/unlock request"
    REFUND = "refund", "refund case"


class SlaPolicy(models.Model):
    """Targets for one case type, optionally narrowed to a category and a priority.

    The most specific active policy wins; blank category or priority means "any".
    """

    name = models.CharField(max_length=120)
    case_type = models.CharField(max_length=32, choices=CaseType.choices)
    category = models.CharField(max_length=40, blank=True)
    priority = models.CharField(max_length=20, blank=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT)
    first_response_target = models.PositiveIntegerField()
    first_response_unit = models.CharField(max_length=20, choices=TimeUnit.choices)
    resolution_target = models.PositiveIntegerField()
    resolution_unit = models.CharField(max_length=20, choices=TimeUnit.choices)
    extended_resolution_target = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Limit after a holding response, in the resolution unit (e.g. 35 for 15).",
    )
    due_soon_minutes = models.PositiveIntegerField(
        default=240, help_text="Warn this many minutes before a target is due."
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "SLA policies"
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

    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT)
    started_at = models.DateTimeField()
    first_response_due_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField()
    resolution_warn_at = models.DateTimeField()
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    is_extended = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes_total = models.PositiveIntegerField(
        default=0, help_text="Business minutes spent waiting on the customer."
    )
    stopped_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
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
        ]

    def __str__(self) -> str:
        return f"SLA clock due {self.resolution_due_at:%Y-%m-%d %H:%M}"

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
    ON_TRACK = "on_track", "on track"
    DUE_SOON = "due_soon", "due soon"
    BREACHED = "breached", "breached"


class TransitionRecord(models.Model):
    """Who moved which case from where to where, when and why.

    Written in the same transaction as the transition and its save. Rows are never
    edited or deleted; each carries the hash of its predecessor so tampering shows.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, db_index=True)
    transition = models.CharField(max_length=60)
    source_state = models.CharField(max_length=40)
    target_state = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="User name, partner or the SLA clock.")
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    record_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.case_reference}: {self.source_state} → {self.target_state} ({self.transition})"


class Notification(models.Model):
    """Outbox row: written with the transition, delivered by a task, never twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", "e-mail"
        WEBHOOK = "webhook", "signed HTTP POST"

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed (gave up)"

    idempotency_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40, help_text="escalation, due_soon, breach, payment_instruction...")
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=254, help_text="An e-mail address, or a webhook's URL.")
    subject = models.CharField(max_length=200, help_text="The e-mail's subject, or a webhook's short label.")
    body = models.TextField(
        help_text="The e-mail's text, or a webhook's JSON payload, sent exactly as stored."
    )
    signing_key = models.CharField(
        max_length=60,
        blank=True,
        help_text="Webhooks: the name of the secret that signs it (e.g. payments), never the secret itself.",
    )
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
                violation_error_message="A webhook notice names the secret that signs it.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at sending a notice: when, how it went, what the other side answered."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    attempted_at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who re-sent it from the admin; blank for the worker and the retry sweep.",
    )

    class Meta:
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        outcome = "delivered" if self.succeeded else "failed"
        return f"{self.notification_id} {outcome} at {self.attempted_at:%Y-%m-%d %H:%M:%S}"


class ReferenceSequence(models.Model):
    """Per prefix and day counter behind readable references like CMP-20261124-000123."""

    prefix = models.CharField(max_length=8)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="one_sequence_per_day")]

    def __str__(self) -> str:
        return f"{self.prefix} {self.day}: {self.last_value}"


class IdempotencyKey(models.Model):
    """A partner's create remembered under its ``Idempotency-Key``: the request it answered
    (method, path, a hash of the body) and the answer, which a retry gets back until it expires.

    Written in the same transaction as the create, so a crash keeps neither; the unique
    (partner, key) row is what a concurrent retry waits on.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_method = models.CharField(max_length=10)
    request_path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the canonical request body.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict, blank=True, help_text="Location and ETag.")
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="one_idempotency_key_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.request_method} {self.request_path})"


class RevealLog(models.Model):
    """One look at a masked personal-data value in full, or a refused try at one: who, which
    case and field, when and why. Written only by the reveal view; never edited or deleted.

    The rule (who may reveal, what is masked where) is in ``casework.masking``.
    """

    class Outcome(models.TextChoices):
        REVEALED = "revealed", "revealed"
        REFUSED = "refused", "refused (no permission)"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("content_type", "object_id")
    case_reference = models.CharField(
        max_length=40, blank=True, db_index=True, help_text="The case's reference, or the masked account."
    )
    field_name = models.CharField(max_length=60, help_text="Which value: e.g. customer_phone.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.REVEALED)
    reason = models.CharField(max_length=300, blank=True, help_text="Why, as the user typed it (optional).")
    revealed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-revealed_at", "-id"]
        permissions = [
            (
                "reveal_personal_data",
                "Can reveal a masked phone, account or ID number (each reveal logged)",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "revealed_at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.outcome} {self.field_name} of {self.case_reference}"
