"""Money and payments as every case type takes them: the currencies the wallet supports,
an amount, and when a payment happened. Each rule is a validator on the model field (a
complaint's amount, a payment's, a refund's), so the admin's forms, the API's serializers and
the services refuse the same input with the same words, next to the field.

- Currency: an ISO 4217 code of ``MINOR_UNITS``, upper case.
- Amount: more than zero and at most ``settings.MONEY_MAX_AMOUNT`` (in the currency's own
  units), with no more decimal places than the currency's minor units (checked where the
  currency is known: the model's ``clean()`` or the service). Typed in ASCII digits only:
  ``Decimal`` takes full-width and other Unicode digits (full-width digits), we do not.
- Time of payment: not before 2000-01-01 (no wallet payment is older, and older times read
  back with a local-mean-time offset no parser takes) and not later than now plus
  ``settings.PAYMENT_TIME_SKEW_SECONDS`` (the clocks of the caller and ours may differ).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# ISO 4217 minor units of the currencies the wallet settles in, and their neighbours.
MINOR_UNITS = {
    "CNY": 2,
    "HKD": 2,
    "MOP": 2,
    "TWD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "SGD": 2,
    "MYR": 2,
    "THB": 2,
    "AUD": 2,
    "CAD": 2,
    "CHF": 2,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "BHD": 3,
    "KWD": 3,
    "JOD": 3,
}
CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]

CURRENCY_MESSAGE = _("'%(value)s' is not a currency the wallet supports; use an ISO 4217 code such as CNY.")
AMOUNT_FORMAT_MESSAGE = _("Enter the amount in the digits 0-9 with a point before the decimals, e.g. 120.50.")
EARLIEST_PAYMENT_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def validate_currency(value: str) -> None:
    if value not in MINOR_UNITS:
        raise ValidationError(CURRENCY_MESSAGE, code="unsupported_currency", params={"value": value})


def max_amount() -> Decimal:
    return Decimal(settings.MONEY_MAX_AMOUNT)


def validate_amount(value: Decimal | None) -> None:
    if value is None:
        return
    if not value.is_finite() or value <= 0:
        raise ValidationError(_("The amount must be more than zero."), code="not_positive")
    if value > max_amount():
        raise ValidationError(
            _("The amount is more than the back office takes: at most %(limit)s."),
            code="too_large",
            params={"limit": f"{max_amount():,}"},
        )


def validate_decimal_places(amount: Decimal, currency: str) -> None:
    """No more decimal places than the currency's minor units: rounding someone's money is a
    decision for staff, not for the parser."""
    places = MINOR_UNITS[currency]
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValidationError(
            ngettext(
                "%(currency)s has %(places)d decimal place; %(amount)s has more.",
                "%(currency)s has %(places)d decimal places; %(amount)s has more.",
                places,
            ),
            code="decimal_places",
            params={"currency": currency, "places": places, "amount": amount},
        )


def validate_payment_time(value: dt.datetime | None) -> None:
    if value is None:
        return
    if value < EARLIEST_PAYMENT_AT:
        raise ValidationError(
            _("Cannot be before 2000-01-01: no wallet payment is that old."), code="too_early"
        )
    if value > timezone.now() + dt.timedelta(seconds=settings.PAYMENT_TIME_SKEW_SECONDS):
        raise ValidationError(_("Cannot be in the future."), code="in_the_future")


def refuse_non_ascii_amount(value) -> None:
    """``Decimal`` reads full-width digits as 123.45: an amount is typed in ASCII digits."""
    if isinstance(value, str) and not value.isascii():
        raise ValidationError(AMOUNT_FORMAT_MESSAGE, code="invalid")


class AmountFormField(forms.DecimalField):
    """The staff door's amount: a decimal in ASCII digits."""

    def to_python(self, value):
        refuse_non_ascii_amount(value)
        return super().to_python(value)


class AmountField(models.DecimalField):
    """An amount of money: more than zero, at most the cap, in ASCII digits."""

    default_validators = [validate_amount]

    def to_python(self, value):
        refuse_non_ascii_amount(value)
        return super().to_python(value)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AmountFormField, **kwargs})


def parse_amount(value) -> Decimal:
    """An amount a service was given (a ``Decimal``, or a string from the shell)."""
    refuse_non_ascii_amount(value)
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(
            _("'%(amount)s' is not an amount."), code="invalid", params={"amount": value}
        ) from error
