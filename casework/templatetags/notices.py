"""What a notice's text may say of a case: numbers masked, and a link to the case itself.

Notices go to team mailboxes, whose readers may not reveal, and stay readable in the
Notifications admin: a template prints a phone or account number only through
``masked_phone`` / ``masked_account`` (the masks of ``casework.privacy.masking``) and points the
reader to the case with ``case_url``, where the number can be revealed, with a log.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.db.models import Model
from django.urls import reverse

from casework.privacy.masking import mask_account_number, mask_phone

register = template.Library()


@register.filter
def masked_phone(value: str | None) -> str:
    return mask_phone(value)


@register.filter
def masked_account(value: str | None) -> str:
    return mask_account_number(value)


@register.simple_tag
def case_url(case: Model) -> str:
    """The case's page in the staff door, as an absolute address (``BACKOFFICE_BASE_URL``)."""
    meta = case._meta
    path = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[case.pk])
    return f"{settings.BACKOFFICE_BASE_URL}{path}"
