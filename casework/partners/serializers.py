"""Serializers every case type's API shares."""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.core.limits import REASON_MAX_LENGTH
from casework.core.money import AMOUNT_FORMAT_MESSAGE, validate_decimal_places, validate_payment_time
from casework.models import SlaClock, SlaStatus


# A case as a partner reads it, its fields built from the model once per class.
# ``ModelSerializer`` inspects the model and builds every field again for each instance: on
# a create, answering with the new case cost as much as validating it. The fields do not
# depend on the request, so they are built once and each instance gets fresh copies. (No
# docstring: the schema would show it as every case's description.)
class CaseSerializer(serializers.ModelSerializer):
    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)


class SlaSerializer(serializers.Serializer):
    resolution_due_at = serializers.DateTimeField(read_only=True)
    is_breached = serializers.SerializerMethodField(help_text="Late once, late for good.")
    status = serializers.SerializerMethodField()

    def _now(self):
        # One instant per response, so every row of a page is judged at the same time.
        return self.context.get("now") or timezone.now()

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_breached(self, clock: SlaClock) -> bool:
        return clock.is_breached(self._now())

    @extend_schema_field(serializers.ChoiceField(choices=SlaStatus.choices))
    def get_status(self, clock: SlaClock) -> str:
        return clock.status(self._now())


def model_validators(model: type[models.Model], name: str) -> list:
    """The validators of a model field (its length, its format), for the serializer field
    that fills it: the API refuses what the admin refuses, in the same words."""
    return list(model._meta.get_field(name).validators)


class StorableDateTimeField(serializers.DateTimeField):
    """A date-time the database can compare: one with no UTC date (0001-01-01T00:00:00 here,
    eight hours east of UTC; 9999-12-31T23:59:59-01:00) overflows on its way to the query,
    so it is refused as out of range, naming the field, never a 500."""

    def enforce_timezone(self, value):
        try:
            moment = super().enforce_timezone(value)
            moment.astimezone(dt.UTC)
        except OverflowError:
            self.fail("overflow")
        return moment


class PaymentTimeField(StorableDateTimeField):
    """When a customer's payment happened: the model field's rule (``casework.core.money``): not
    before 2000, not in the future. Refusing older times also keeps answers parseable: a time
    before a zone's standard offsets existed reads back with its local mean time offset."""

    default_validators = [validate_payment_time]


def refuse_non_ascii(field: serializers.Field, data) -> None:
    """An amount in ASCII digits: ``Decimal`` would read full-width ones."""
    if isinstance(data, str) and not data.isascii():
        raise serializers.ValidationError(str(AMOUNT_FORMAT_MESSAGE), code="invalid")


# Money as every answer and request of the API writes it.
MONEY_SCHEMA = {"type": "string", "format": "decimal", "pattern": r"^\d+(\.\d+)?$", "example": "120.50"}
# The digits 0-9 with a point before the decimals; a sign only so that a negative amount is
# refused as such ("more than zero"), not as unreadable.
PLAIN_DECIMAL = re.compile(r"-?\d{1,30}(\.\d{1,30})?", re.ASCII)


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.DecimalField):
    """An amount of money, as the whole API takes it: a decimal string in the digits 0-9
    ("120.50"), never a JSON number, which may have been a binary float on its way here and
    lost its exact cents. Give it the model field's validators (``model_validators``): more
    than zero, at most the cap, the stored digits (``casework.core.money``), refused in the
    admin's words; the currency's minor units are checked once the currency is known
    (:func:`refuse_extra_decimal_places`)."""

    default_error_messages = {
        "not_a_string": _('Send the amount as a decimal string such as "120.50", not as a number.'),
    }

    def __init__(self, **kwargs) -> None:
        # The limits are the model field's validators', not a second copy of them here.
        super().__init__(max_digits=None, decimal_places=None, **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        refuse_non_ascii(self, data)
        if not PLAIN_DECIMAL.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


def refuse_extra_decimal_places(attrs: dict, amounts: Iterable[str], *, currency: str = "currency") -> None:
    """A 400 naming each of ``amounts`` with more decimal places than the currency has (JPY
    none, BHD three): asked in a serializer's ``validate()``, where the currency is known,
    as the model's ``clean()`` asks it."""
    code = attrs.get(currency)
    errors = {}
    for name in amounts:
        amount = attrs.get(name)
        if amount is None or not code:
            continue
        try:
            validate_decimal_places(amount, code)
        except DjangoValidationError as error:
            errors[name] = error.messages
    if errors:
        raise serializers.ValidationError(errors)


class VersionedActionSerializer(serializers.Serializer):
    """The body of a partner's action on a case (cancel, withdraw): why, and the version read."""

    reason = serializers.CharField(
        allow_blank=True,
        default="",
        validators=[MaxLengthValidator(REASON_MAX_LENGTH)],
        help_text="Why the customer asks for it.",
    )
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The version you last read; if the case changed since, the answer is 409 "
        "concurrent_change and nothing changes. Same as sending If-Match.",
    )


# A "+" left unescaped in a query string arrives as a space: 10:15:00+08:00 reads 10:15:00 08:00.
OFFSET_AS_SPACE = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class QueryDateTimeField(StorableDateTimeField):
    """An ISO 8601 date-time in a query string, tolerant of the offset's "+" sent unescaped."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            value = OFFSET_AS_SPACE.sub(r"\1+\2", value.strip())
        return super().to_internal_value(value)


DATE_TIME_HELP = (
    "ISO 8601 with an offset, e.g. 2026-03-02T10:15:00+08:00 (escape the + as %2B) or "
    "2026-03-02T02:15:00Z; without one, the back office's time zone."
)


class PartnerCaseFilterSerializer(serializers.Serializer):
    """Query parameters every case list takes; a case type's filters add their own fields.
    Unknown values are refused, naming the parameter."""

    # Parameter -> the queryset lookup it filters on.
    LOOKUPS = {
        "updated_since": "updated_at__gte",
        "created_since": "created_at__gte",
        "created_before": "created_at__lt",
    }

    updated_since = QueryDateTimeField(
        required=False,
        help_text="Only cases changed at or after this time: a new state, a change of their details, "
        "a message (the SLA status moving with the clock alone is no change). Poll with the time "
        "of your last poll to read only what moved. " + DATE_TIME_HELP,
    )
    created_since = QueryDateTimeField(
        required=False, help_text="Only cases received at or after this time. " + DATE_TIME_HELP
    )
    created_before = QueryDateTimeField(
        required=False, help_text="Only cases received before this time. " + DATE_TIME_HELP
    )

    def validate(self, attrs: dict) -> dict:
        since, before = attrs.get("created_since"), attrs.get("created_before")
        if since is not None and before is not None and before <= since:
            raise serializers.ValidationError({"created_before": ["Must be later than created_since."]})
        return attrs

    def lookups(self) -> dict:
        """The validated parameters as queryset lookups, for ``filter(**...)``."""
        return {self.LOOKUPS.get(name, name): value for name, value in self.validated_data.items()}
