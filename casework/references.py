"""Readable unique references such as CMP-20261124-000123."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .models import ReferenceSequence


def next_reference(prefix: str, *, today: dt.date | None = None) -> str:
    """Hand out the next number of the day for ``prefix``; safe under concurrent callers."""
    day = today or timezone.localdate()
    with transaction.atomic():
        ReferenceSequence.objects.get_or_create(prefix=prefix, day=day)
        sequence = ReferenceSequence.objects.select_for_update().get(prefix=prefix, day=day)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
    return f"{prefix}-{day:%Y%m%d}-{sequence.last_value:06d}"
