"""Readable unique references such as CMP-20261124-000123: a prefix, the day, its number.

On PostgreSQL each prefix's day counts on a sequence of its own
(``casework_reference_cmp_20261124``). ``nextval`` takes no row lock and is not undone by a
rollback, so a case being opened never waits for another one's transaction to end: with a
counter row, every create of the day queued on that row until the create before it
committed. A rolled-back create leaves a gap in the day's numbers; numbers are unique, not
gapless.

A day's sequence is made by the first case of the day, starting after the highest number
of that day already in the case table, so it can be dropped and made again safely. The
sequences of days long past are dropped then.

SQLite, which runs one writer at a time anyway, counts on a row per prefix and day
(``ReferenceSequence``).
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from casework.models import ReferenceSequence

SEQUENCE_PREFIX = "casework_reference_"
# Sequences of days further back than this are dropped when a new day's is made.
KEEP_SEQUENCES_DAYS = 7


def next_reference(prefix: str, *, model: type[models.Model], today: dt.date | None = None) -> str:
    """Hand out the next number of the day for ``prefix`` on ``model``'s cases; safe under
    concurrent callers."""
    if not re.fullmatch(r"[A-Z]{2,8}", prefix):
        raise ValueError(f"A reference prefix is 2 to 8 capital letters, not {prefix!r}")
    day = today or timezone.localdate()
    if connection.vendor == "postgresql":
        value = _next_on_sequence(prefix, day, model)
    else:
        value = _next_on_row(prefix, day)
    return f"{prefix}-{day:%Y%m%d}-{value:06d}"


def _like(stem: str) -> str:
    """A LIKE pattern for names starting with ``stem``, its underscores meant literally."""
    return stem.replace("_", "\\_") + "%"


def sequence_name(prefix: str, day: dt.date) -> str:
    return f"{SEQUENCE_PREFIX}{prefix.lower()}_{day:%Y%m%d}"


def _next_on_row(prefix: str, day: dt.date) -> int:
    """The day's row made at 1 or counted up under its row lock, in one statement."""
    table = connection.ops.quote_name(ReferenceSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [prefix, connection.ops.adapt_datefield_value(day)],
        )
        return cursor.fetchone()[0]


def _next_on_sequence(prefix: str, day: dt.date, model: type[models.Model]) -> int:
    name = sequence_name(prefix, day)
    with connection.cursor() as cursor:
        # nextval(NULL) is NULL: one round trip whether or not the day's sequence exists.
        cursor.execute("SELECT nextval(to_regclass(%s))", [name])
        (value,) = cursor.fetchone()
        if value is not None:
            return value
        _make_sequence(cursor, prefix, day, model)
        cursor.execute("SELECT nextval(%s::regclass)", [name])
        return cursor.fetchone()[0]


def _make_sequence(cursor, prefix: str, day: dt.date, model: type[models.Model]) -> None:
    stem = f"{prefix}-{day:%Y%m%d}-"
    highest = (
        model._base_manager.filter(reference__startswith=stem)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    start = int(highest.removeprefix(stem)) + 1 if highest else 1
    try:
        # A savepoint: a caller opening the day's first case at the same moment makes the
        # same sequence; this one then fails, is rolled back alone, and uses theirs.
        with transaction.atomic():
            cursor.execute(
                f"CREATE SEQUENCE IF NOT EXISTS {connection.ops.quote_name(sequence_name(prefix, day))} "
                f"START WITH {start}"
            )
    except IntegrityError:
        pass
    oldest_kept = sequence_name(prefix, day - dt.timedelta(days=KEEP_SEQUENCES_DAYS))
    _drop_sequences(cursor, f"{SEQUENCE_PREFIX}{prefix.lower()}_", before=oldest_kept)


def _drop_sequences(cursor, stem: str, *, before: str | None = None) -> None:
    """Drop the sequences whose names start with ``stem`` (and sort before ``before``)."""
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s "
        "AND relnamespace = current_schema()::regnamespace",
        [_like(stem)],
    )
    for (name,) in cursor.fetchall():
        if before is None or name < before:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {connection.ops.quote_name(name)}")


def forget_sequences() -> None:
    """Drop every day's sequence: for a database whose cases were all deleted (a flushed
    test database), so that numbering starts again at 1."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            _drop_sequences(cursor, SEQUENCE_PREFIX)
