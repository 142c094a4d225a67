"""How a regulator counts complaints: an editable taxonomy of codes on the dimensions of the
PBOC complaint classification standard (JR/T 0169-2018 for banks; the payment-institution
edition has the same shape): business type, cause and channel, plus the product and the
root cause found at resolution. A complaint carries its codes (``Classified``); its outcome
(upheld, partly upheld, not upheld) and the redress paid are recorded when it is resolved.

The seeded codes, and which category and channel each maps from, are in
``complaints/migrations/0018_seed_classification.py``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from casework.core.chain import ChainedHistoricalRecords
from casework.core.money import AmountField
from casework.models import in_reader_language


class Dimension(models.TextChoices):
    BUSINESS_TYPE = "business_type", _("business type")
    CAUSE = "cause", _("cause")
    CHANNEL = "channel", _("channel")
    PRODUCT = "product", _("product")
    ROOT_CAUSE = "root_cause", _("root cause")


class Outcome(models.TextChoices):
    UPHELD = "upheld", _("upheld")
    PARTLY_UPHELD = "partly_upheld", _("partly upheld")
    NOT_UPHELD = "not_upheld", _("not upheld")


class ClassificationCode(models.Model):
    """One code on one dimension, e.g. business type ``B01`` payment, cause ``C03`` system
    failure. ``maps_from`` is the complaint category (business type, cause) or channel
    (channel) a code is the default for: the seed's categories map onto the taxonomy."""

    dimension = models.CharField(max_length=20, choices=Dimension.choices, verbose_name=_("dimension"))
    code = models.CharField(max_length=20, verbose_name=_("code"))
    name = models.CharField(max_length=120, verbose_name=_("name"))
    name_zh = models.CharField(max_length=120, blank=True, verbose_name=_("name in Chinese"))
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    maps_from = models.CharField(
        max_length=20,
        blank=True,
        help_text=_("The complaint category or channel this code is the default for."),
        verbose_name=_("maps from"),
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    history = ChainedHistoricalRecords()

    class Meta:
        verbose_name = _("classification code")
        verbose_name_plural = _("classification codes")
        ordering = ["dimension", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["dimension", "code"], name="one_code_per_dimension"),
            models.UniqueConstraint(
                fields=["dimension", "maps_from"],
                condition=~Q(maps_from="") & Q(is_active=True),
                name="one_default_code_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {in_reader_language(self.name, self.name_zh)}"

    @property
    def label(self) -> str:
        """The name alone, in the reader's language."""
        return in_reader_language(self.name, self.name_zh)

    def clean(self) -> None:
        # What a code may map from: a category (business type, cause), a channel
        # (channel), nothing (product, root cause: found when the complaint is worked).
        from complaints.models.complaint import Category, Channel

        allowed = {
            Dimension.BUSINESS_TYPE: Category,
            Dimension.CAUSE: Category,
            Dimension.CHANNEL: Channel,
        }.get(self.dimension)
        if self.maps_from and allowed is None:
            raise ValidationError(
                {
                    "maps_from": _("A %(dimension)s code maps from nothing: leave it empty.")
                    % {"dimension": Dimension(self.dimension).label}
                }
            )
        if self.maps_from and self.maps_from not in allowed.values:
            raise ValidationError(
                {
                    "maps_from": _("'%(value)s' is not a %(what)s; choose one of: %(allowed)s.")
                    % {
                        "value": self.maps_from,
                        "what": _("channel") if allowed is Channel else _("category"),
                        "allowed": ", ".join(allowed.values),
                    }
                }
            )
        if self.parent_id is not None and self.parent.dimension != self.dimension:
            raise ValidationError({"parent": _("The parent must be a code of the same dimension.")})


def _code(dimension: str, verbose_name, related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        ClassificationCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        limit_choices_to={"dimension": dimension, "is_active": True},
        verbose_name=verbose_name,
    )


class Classified(models.Model):
    """The codes a complaint is counted by, and how it ended: on ``Complaint``."""

    business_type = _code(Dimension.BUSINESS_TYPE, _("business type"), "complaints_of_type")
    cause = _code(Dimension.CAUSE, _("cause"), "complaints_of_cause")
    product = _code(Dimension.PRODUCT, _("product"), "complaints_of_product")
    root_cause = _code(Dimension.ROOT_CAUSE, _("root cause"), "complaints_of_root_cause")
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True, verbose_name=_("outcome"))
    redress_amount = AmountField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Paid to the customer, in the complaint's currency; empty if none."),
        verbose_name=_("redress paid"),
    )

    class Meta:
        abstract = True
