"""Regulatory regimes as data: each a named, versioned set of time limits (first response,
summary resolution, decision, final), each limit in its own unit on the regime's calendar,
and what may extend a limit and what that extension requires (a reason always; an
approval, a customer notice, a provisional credit where the text says so).

A case records the exact regime version it runs under (``Complaint.regime``, its clock's
``regime``): a rule that changes is a new version, and the cases opened under the old one
keep the old one's limits. The seeds, with their sources, are in
``casework/migrations/0029_seed_regimes.py`` and ``docs/regimes.md``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.models.sla import BusinessCalendar, CaseType, SlaClock, TimeUnit

# What a version says: fixed once a clock runs under it (a new rule is a new version). Being
# the default and being offered to new cases are not rules of the text: they may change.
RULE_FIELDS = ("code", "version", "name", "name_zh", "authority", "jurisdiction", "source", "calendar")
IN_USE = _(
    "Cases run under this regime version: its rules and limits are kept as they were. Copy it "
    "as a new version to change them."
)


def in_reader_language(english: str, chinese: str) -> str:
    """A label kept in the row in both languages, shown in the reader's."""
    if chinese and (get_language() or "").lower().startswith("zh"):
        return chinese
    return english


class Milestone(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    SUMMARY_RESOLUTION = "summary_resolution", _("summary resolution")
    DECISION = "decision", _("decision")
    FINAL = "final", _("final response")


class RegimeCondition(models.TextChoices):
    """What narrows a limit to some cases (Reg E's longer limits); blank for every case."""

    STANDARD = "", _("every case")
    NEW_ACCOUNT = "new_account", _("new account (first 30 days)")
    POINT_OF_SALE = "point_of_sale", _("point-of-sale transaction")
    FOREIGN = "foreign", _("transaction initiated abroad")
    OUTSIDE_PAYMENT_SERVICES = "outside_payment_services", _("outside payment services")


class Regime(models.Model):
    """One version of one regulator's rules for handling complaints."""

    code = models.SlugField(max_length=40, verbose_name=_("code"))
    version = models.CharField(max_length=20, verbose_name=_("version"))
    name = models.CharField(max_length=160, verbose_name=_("name"))
    name_zh = models.CharField(max_length=160, blank=True, verbose_name=_("name in Chinese"))
    authority = models.CharField(max_length=160, verbose_name=_("authority"))
    jurisdiction = models.CharField(
        max_length=8, help_text=_("ISO code: CN, EU, GB, US."), verbose_name=_("jurisdiction")
    )
    source = models.TextField(
        help_text=_("The instrument and the articles the limits come from."), verbose_name=_("source")
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The calendar its business days count on; none: the SLA policy's."),
        verbose_name=_("calendar"),
    )
    is_default = models.BooleanField(
        default=False,
        help_text=_("New cases run under it unless the REGIME setting or the case names another."),
        verbose_name=_("is default"),
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("regulatory regime")
        verbose_name_plural = _("regulatory regimes")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="one_regime_per_code_and_version"),
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_regime"
            ),
        ]

    def __str__(self) -> str:
        return f"{in_reader_language(self.name, self.name_zh)} ({self.version})"

    def save(self, *args, **kwargs) -> None:
        # One default: marking this one unmarks the one that was, in the same transaction,
        # each saved (both changes are in the history).
        with transaction.atomic():
            if self.is_default:
                others = Regime.objects.select_for_update().filter(is_default=True).exclude(pk=self.pk)
                for other in others:
                    other.is_default = False
                    other.save(update_fields=["is_default"])
            super().save(*args, **kwargs)

    def validate_constraints(self, exclude=None) -> None:
        # A new default is not refused for the old one: save() unmarks it.
        if self.is_default:
            exclude = {*(exclude or ()), "is_default"}
        super().validate_constraints(exclude=exclude)

    @property
    def is_in_use(self) -> bool:
        """Whether any clock runs under this version: then it is read-only."""
        return self.pk is not None and SlaClock.objects.filter(regime_id=self.pk).exists()

    def clean(self) -> None:
        if self.is_default and not self.is_active:
            raise ValidationError(
                {"is_default": _("Only an active regime can be the default: make it active too.")}
            )
        if self.is_in_use:
            columns = [self._meta.get_field(name).attname for name in RULE_FIELDS]
            stored = Regime.objects.filter(pk=self.pk).values(*columns).get()
            changed = [
                name
                for name, column in zip(RULE_FIELDS, columns, strict=True)
                if stored[column] != getattr(self, column)
            ]
            if changed:
                raise ValidationError({changed[0]: IN_USE})


def refuse_change_in_use(row) -> None:
    """A limit or extension of a version in use is kept as it was."""
    if row.regime_id is not None and row.regime.is_in_use:
        raise ValidationError(IN_USE)


class RegimeLimit(models.Model):
    """A time limit a regime sets on one milestone of one case type, for some cases."""

    regime = models.ForeignKey(
        Regime, on_delete=models.CASCADE, related_name="limits", verbose_name=_("regime")
    )
    case_type = models.CharField(max_length=32, choices=CaseType.choices, verbose_name=_("case type"))
    milestone = models.CharField(max_length=20, choices=Milestone.choices, verbose_name=_("milestone"))
    condition = models.CharField(
        max_length=32, choices=RegimeCondition.choices, blank=True, verbose_name=_("condition")
    )
    target = models.PositiveIntegerField(verbose_name=_("target"))
    unit = models.CharField(max_length=20, choices=TimeUnit.choices, verbose_name=_("unit"))
    article = models.CharField(max_length=120, verbose_name=_("article"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("regime limit")
        verbose_name_plural = _("regime limits")
        ordering = ["regime", "case_type", "milestone", "condition"]
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "case_type", "milestone", "condition"], name="one_limit_per_scope"
            ),
            models.CheckConstraint(condition=Q(target__gt=0), name="limit_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()}: {self.target} {self.get_unit_display()}"

    def clean(self) -> None:
        refuse_change_in_use(self)


class RegimeExtension(models.Model):
    """How far a limit may be extended, and what the extension requires. Tiers run in order:
    tier 2 extends what tier 1 left (NFRA's second 30 days)."""

    regime = models.ForeignKey(
        Regime, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("regime")
    )
    case_type = models.CharField(max_length=32, choices=CaseType.choices, verbose_name=_("case type"))
    milestone = models.CharField(
        max_length=20,
        choices=Milestone.choices,
        default=Milestone.DECISION,
        verbose_name=_("milestone extended"),
    )
    condition = models.CharField(
        max_length=32, choices=RegimeCondition.choices, blank=True, verbose_name=_("condition")
    )
    tier = models.PositiveSmallIntegerField(default=1, verbose_name=_("tier"))
    target = models.PositiveIntegerField(
        help_text=_("The whole limit once extended, counted from receipt (60 for 15 → 60)."),
        verbose_name=_("extended target"),
    )
    unit = models.CharField(max_length=20, choices=TimeUnit.choices, verbose_name=_("unit"))
    requires_approval = models.BooleanField(
        default=False,
        help_text=_("A second person (the complaint-handling lead) must approve it."),
        verbose_name=_("requires approval"),
    )
    requires_customer_notice = models.BooleanField(
        default=True,
        help_text=_("The customer is told of the extension and its reason."),
        verbose_name=_("requires customer notice"),
    )
    requires_provisional_credit = models.BooleanField(
        default=False,
        help_text=_("Only with the disputed amount provisionally credited in time (Reg E)."),
        verbose_name=_("requires provisional credit"),
    )
    provisional_credit_target = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("provisional credit within")
    )
    provisional_credit_unit = models.CharField(
        max_length=20,
        choices=TimeUnit.choices,
        blank=True,
        verbose_name=_("provisional credit unit"),
    )
    article = models.CharField(max_length=120, verbose_name=_("article"))
    note = models.CharField(max_length=300, blank=True, verbose_name=_("note"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("regime extension")
        verbose_name_plural = _("regime extensions")
        ordering = ["regime", "case_type", "milestone", "condition", "tier"]
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "case_type", "milestone", "condition", "tier"],
                name="one_extension_per_tier",
            ),
            models.CheckConstraint(
                condition=Q(requires_provisional_credit=False)
                | (Q(provisional_credit_target__isnull=False) & ~Q(provisional_credit_unit="")),
                name="provisional_credit_has_its_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_milestone_display()} → {self.target} {self.get_unit_display()}"

    def clean(self) -> None:
        refuse_change_in_use(self)
