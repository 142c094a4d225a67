"""How long free text typed into a case may be: one number per kind of text, used by the
model fields (so the admin's forms and the API's serializers take the same limit), the
transition forms and the services' own check of what a transition writes.

Names and short labels are ``CharField``s (their length is in the column); longer text is a
``TextField`` given a ``max_length`` and the ``MaxLengthValidator`` that enforces it, since
Django enforces a text field's ``max_length`` only in the form it draws.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

from casework.core.errors import InvalidInput

# A customer's own account of what happened (a complaint's description, an internal note,
# findings): a page of text.
DESCRIPTION_MAX_LENGTH = 5000
# What a customer says in a request or a refund claim, and a message to or from a partner.
STATEMENT_MAX_LENGTH = 4000
# A reason, a summary, an explanation, what the customer was asked for, a failure report.
REASON_MAX_LENGTH = 2000


def bounded_text(max_length: int, **options) -> models.TextField:
    """A ``TextField`` that refuses more than ``max_length`` characters wherever it is
    validated, with Django's own words ("Ensure this value has at most ... characters")."""
    return models.TextField(max_length=max_length, validators=[MaxLengthValidator(max_length)], **options)


def text_fields(case: models.Model) -> dict[str, str]:
    """The bounded text of ``case`` as it is now, to tell afterwards what a change wrote."""
    return {
        field.attname: getattr(case, field.attname)
        for field in case._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.max_length
    }


def refuse_overlong_text(case: models.Model, before: dict[str, str]) -> None:
    """Refuse, naming the field, text a change wrote past its field's limit; text it did not
    touch stays as it is, even if longer (written before the limits were set)."""
    for field in case._meta.concrete_fields:
        if field.attname not in before:
            continue
        value = getattr(case, field.attname)
        if value is None or value == before[field.attname]:
            continue
        try:
            for validator in field.validators:
                if isinstance(validator, MaxLengthValidator):
                    validator(value)
        except ValidationError as error:
            raise InvalidInput(error.messages[0], field=field.name) from error


def refuse_overlong_reason(reason: str, *, field: str = "reason") -> None:
    """The reason a transition record keeps: as long as the longest text a service copies in."""
    try:
        MaxLengthValidator(DESCRIPTION_MAX_LENGTH)(reason or "")
    except ValidationError as error:
        raise InvalidInput(error.messages[0], field=field) from error


def max_length_of(model: type[models.Model], name: str) -> int:
    """A model field's length limit, for a field of another door that fills or looks it up
    (an admin form's, a serializer's): one limit, stated once, on the model."""
    return model._meta.get_field(name).max_length
