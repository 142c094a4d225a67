"""A customer's phone number: parsed with ``phonenumbers`` (numbers without a country code
are read in ``settings.PHONE_DEFAULT_REGION``), refused unless it is a valid number, and
stored in E.164 (``+8613800138000``), whatever way it was typed ("138 0013 8000",
"+86 138-0013-8000"). A lookup by the field normalises the value looked up the same way,
so searching "13800138000" finds the number stored as ``+8613800138000``.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

PHONE_MESSAGE = _("Enter a valid phone number, e.g. 13800138000 or +86 138 0013 8000.")
# E.164 is at most 15 digits after the "+".
PHONE_MAX_LENGTH = 20


def parse_phone(value: str | None) -> phonenumbers.PhoneNumber | None:
    """The number ``value`` is, or ``None`` if it is not a valid one."""
    if not value or len(value) > 50:
        return None
    try:
        number = phonenumbers.parse(value, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_phone(value: str) -> str:
    """``value`` in E.164 if it is a valid number; otherwise as it was (the validator refuses it)."""
    number = parse_phone(value)
    if number is None:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def international_format(value: str) -> str:
    """``+8613800138000`` -> ``+86 138 0013 8000``, as people read it; other values as they are."""
    number = parse_phone(value) if value.startswith("+") else None
    if number is None:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def written_forms(value: str) -> set[str]:
    """The ways a stored number may have been written in a text: as stored (E.164), as
    people read it internationally, and as dialled at home (``13911002233``)."""
    number = parse_phone(value) if value.startswith("+") else None
    if number is None:
        return {value}
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {
        value,
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
        national,
        "".join(char for char in national if char.isdigit()),
    }


def validate_phone_number(value: str) -> None:
    if parse_phone(value) is None:
        raise ValidationError(PHONE_MESSAGE, code="invalid_phone")


class PhoneNumberField(models.CharField):
    """A valid phone number, kept in E.164; looked up by any way of writing it."""

    default_validators = [validate_phone_number]

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", PHONE_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        # Also what saves and lookups store and compare (CharField.get_prep_value).
        value = super().to_python(value)
        return normalise_phone(value) if value else value
