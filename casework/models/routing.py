"""Routing: which team takes a new case (its skills), how many open cases each member may
hold and whether they take cases now, and where a case goes that nobody took in time.

The rules that read these live in ``casework.routing``; here are the rows and what a
row alone can check (a skill is one of the values the kinds declare).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.models.cases import Team
from casework.models.correspondence import CustomerLanguage
from casework.models.sla import CaseType

DEFAULT_CAPACITY = 10


def category_choices() -> list[tuple[str, str]]:
    """The categories of every kind that has one (a complaint's category), for the skills."""
    from casework.models import kinds  # the registry imports this package: read it when asked

    choices: dict[str, str] = {}
    for kind in kinds.registered():
        if kind.category_field:
            for value, label in kind.model._meta.get_field(kind.category_field).flatchoices:
                choices.setdefault(value, str(label))
    return list(choices.items())


def _refuse_unknown(values, allowed, field: str) -> None:
    if not isinstance(values, list):
        raise ValidationError({field: gettext("Give a list of values.")})
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValidationError(
            {field: gettext("Not a known value: %(values)s.") % {"values": ", ".join(map(str, unknown))}}
        )


class TeamRouting(models.Model):
    """A team's skills (an empty list: any), where its round-robin stands, and where a case
    goes that waited in its queue too long."""

    team = models.OneToOneField(
        Team, on_delete=models.CASCADE, related_name="routing", verbose_name=_("team")
    )
    is_active = models.BooleanField(
        default=True,
        verbose_name=_("routes new cases"),
        help_text=_("New cases nobody holds that match the skills below are given to this team's members."),
    )
    case_types = models.JSONField(
        default=list, blank=True, verbose_name=_("case types"), help_text=_("None ticked: every case type.")
    )
    categories = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("complaint categories"),
        help_text=_("None ticked: every category. Ticked: only cases with one of them (complaints)."),
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        verbose_name=_("customer languages"),
        help_text=_("None ticked: every language. Ticked: only cases whose customer speaks one of them."),
    )
    overflow_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("when nobody takes a case in time"),
        help_text=_("The team a case waiting unassigned too long is offered to; blank: the supervisors."),
    )
    # The round-robin's pointer: who got this team's last routed case (not in the history).
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last assigned to"),
    )
    last_assigned_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("last assigned at")
    )
    history = ChainedHistoricalRecords(excluded_fields=["last_assigned", "last_assigned_at"])

    class Meta:
        verbose_name = _("team routing")
        verbose_name_plural = _("team routing")

    def __str__(self) -> str:
        return gettext("Routing of %(team)s") % {"team": self.team}

    def clean(self) -> None:
        _refuse_unknown(self.case_types, CaseType.values, "case_types")
        _refuse_unknown(self.categories, [value for value, _label in category_choices()], "categories")
        _refuse_unknown(self.languages, CustomerLanguage.values, "languages")
        if self.overflow_team_id is not None and self.overflow_team_id == self.team_id:
            raise ValidationError(
                {"overflow_team": gettext("A case that waited too long goes to another team than this one.")}
            )

    @property
    def specificity(self) -> int:
        """How many of its skills narrow: the most specific team that matches a case wins."""
        return sum(bool(values) for values in (self.case_types, self.categories, self.languages))


class MemberCapacity(models.Model):
    """How many open cases (all kinds together) a member may hold, and whether they take
    routed cases now. A member without one gets no routed cases and takes without a limit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="routing_capacity",
        verbose_name=_("member"),
    )
    max_open_cases = models.PositiveSmallIntegerField(
        default=DEFAULT_CAPACITY,
        verbose_name=_("capacity"),
        help_text=_("The most open cases they hold at once, all case types together."),
    )
    is_available = models.BooleanField(
        default=True,
        verbose_name=_("taking cases now"),
        help_text=_("Untick while they are away: routing skips them."),
    )
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("member capacity")
        verbose_name_plural = _("member capacities")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return gettext("%(user)s: %(capacity)s open cases") % {
            "user": self.user.get_username(),
            "capacity": self.max_open_cases,
        }


class QueuedCase(models.Model):
    """A routed case that found nobody with room and waits in a team's queue: the sweep offers
    it once to the team's overflow (or the supervisors) when it waited too long."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    case = GenericForeignKey("content_type", "object_id")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    queued_at = models.DateTimeField(verbose_name=_("queued at"))
    # Either ends the wait: offered to another team, or found held (or closed) by the sweep.
    offered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("offered at"))
    offered_to = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("offered to")
    )
    left_at = models.DateTimeField(null=True, blank=True, verbose_name=_("left the queue at"))

    class Meta:
        verbose_name = _("queued case")
        verbose_name_plural = _("queued cases")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="one_queue_wait_per_case")
        ]
        indexes = [
            # The sweep's due waits: only the ones still waiting are in it.
            models.Index(
                fields=["queued_at"],
                condition=Q(offered_at__isnull=True, left_at__isnull=True),
                name="queuedcase_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} @ {self.team_id}"
