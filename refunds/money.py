"""Money: a ``Decimal`` and an ISO 4217 code, never a float.

Each currency has its minor units (CNY 2, JPY 0, BHD 3); an amount with more decimal
places than its currency has is refused, not rounded, since rounding someone's refund
is a decision for staff, not for the parser. The rules themselves (currencies, the cap,
ASCII digits) are ``casework.core.money``'s, the ones every case type's fields use.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from casework.core.errors import InvalidInput
from casework.core.money import (
    CURRENCY_CHOICES,
    MINOR_UNITS,
    parse_amount,
    validate_amount,
    validate_currency,
    validate_decimal_places,
)

__all__ = [
    "CURRENCY_CHOICES",
    "DECIMAL_PLACES",
    "MAX_DIGITS",
    "MINOR_UNITS",
    "check_amount",
    "check_currency",
]

# Wide enough for 3 minor units and a large merchant settlement.
MAX_DIGITS = 18
DECIMAL_PLACES = 3


def _refusal(error: ValidationError, field: str) -> InvalidInput:
    return InvalidInput(error.messages[0], field=field)


def check_currency(currency: str, *, field: str = "currency") -> str:
    code = (currency or "").strip().upper()
    try:
        validate_currency(code)
    except ValidationError as error:
        # Name what was sent, not its upper-cased form.
        raise InvalidInput(str(error.message) % {"value": currency}, field=field) from error
    return code


def check_amount(amount, currency: str, *, field: str = "amount") -> Decimal:
    """A positive amount, at most the cap, with no more decimal places than the currency's
    minor units."""
    try:
        value = parse_amount(amount)
        validate_amount(value)
        validate_decimal_places(value, currency)
    except ValidationError as error:
        raise _refusal(error, field) from error
    return value.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency]))


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """The stored amount (kept with 3 places for every currency) at the currency's own."""
    return amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)))


def format_money(amount: Decimal, currency: str) -> str:
    return f"{currency} {in_minor_units(amount, currency):,}"
