"""Partner systems: who they are, their API keys and scopes, and the idempotency keys of their creates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords


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
    notifies_customers_directly = models.BooleanField(
        default=False,
        help_text=_(
            "Tell this partner's customers the acceptance, extension and decision of their "
            "complaints by SMS or e-mail ourselves; off, the partner tells them from its webhooks."
        ),
        verbose_name=_("notifies customers directly"),
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
