"""The desks that own cases, and the counters their references are numbered on."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords

# The desks the migrations make, under the names they give them there: shown in the reader's
# language. A desk added or renamed in the admin is shown as its name was typed.
SEEDED_TEAM_NAMES = frozenset(
    {
        gettext_noop("Frontline agents"),
        gettext_noop("Technical team"),
        gettext_noop("Complaints department"),
        gettext_noop("Supervisors"),
        gettext_noop("Risk and security"),
        gettext_noop("Refunds desk"),
    }
)


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
        return gettext(self.name) if self.name in SEEDED_TEAM_NAMES else self.name


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
