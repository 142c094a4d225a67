"""Readable unique references such as CMP-20261124-000123."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from .models import ReferenceSequence

_TABLE = ReferenceSequence._meta.db_table


def next_reference(prefix: str, *, today: dt.date | None = None) -> str:
    """Hand out the next number of the day for ``prefix``; safe under concurrent callers.

    One statement: the day's row is created at 1 or counted up under its row lock, and the
    new value returned (PostgreSQL and SQLite both speak ``ON CONFLICT … RETURNING``).
    """
    day = today or timezone.localdate()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(_TABLE)} (prefix, day, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {quote(_TABLE)}.last_value + 1 "
            "RETURNING last_value",
            [prefix, connection.ops.adapt_datefield_value(day)],
        )
        (value,) = cursor.fetchone()
    return f"{prefix}-{day:%Y%m%d}-{value:06d}"
