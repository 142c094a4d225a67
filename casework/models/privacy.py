"""What staff did with personal data and uploaded files: every reveal and every download, logged."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedRow, chain_constraint

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
    only by the download view (``casework.admin.downloads``); never edited or deleted."""

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
