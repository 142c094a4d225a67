"""Money: a ``Decimal`` and an ISO 4217 code, never a float.

Each currency has its minor units (CNY 2, JPY 0, BHD 3); an amount with more decimal
places than its currency has is refused, not rounded, since rounding someone's refund
is a decision for staff, not for the parser.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from casework.errors import InvalidInput

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
# Wide enough for 3 minor units and a large merchant settlement.
MAX_DIGITS = 18
DECIMAL_PLACES = 3


def check_currency(currency: str, *, field: str = "currency") -> str:
    code = (currency or "").strip().upper()
    if code not in MINOR_UNITS:
        raise InvalidInput(
            _("'%(currency)s' is not a currency refunds are paid in; use an ISO 4217 code such as CNY.")
            % {"currency": currency},
            field=field,
        )
    return code


def check_amount(amount, currency: str, *, field: str = "amount") -> Decimal:
    """A positive amount with no more decimal places than the currency's minor units."""
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    except (InvalidOperation, ValueError) as error:
        raise InvalidInput(_("'%(amount)s' is not an amount.") % {"amount": amount}, field=field) from error
    if not value.is_finite() or value <= 0:
        raise InvalidInput(_("The amount must be more than zero."), field=field)
    if value.adjusted() >= MAX_DIGITS - DECIMAL_PLACES:
        raise InvalidInput(
            _("%(amount)s is larger than any refund this system pays.") % {"amount": value}, field=field
        )
    places = MINOR_UNITS[currency]
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(
            ngettext(
                "%(currency)s has %(places)d decimal place; %(amount)s has more.",
                "%(currency)s has %(places)d decimal places; %(amount)s has more.",
                places,
            )
            % {"currency": currency, "places": places, "amount": value},
            field=field,
        )
    return value.quantize(Decimal(1).scaleb(-places))


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """The stored amount (kept with 3 places for every currency) at the currency's own."""
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)))


def format_money(amount: Decimal, currency: str) -> str:
    return f"{currency} {in_minor_units(amount, currency):,}"
