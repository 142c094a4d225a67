"""References: PREFIX-YYYYMMDD-NNNNNN, unique, counted per prefix and day; on PostgreSQL
on a sequence per day, which no create waits on."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction

from casework.cases.references import (
    KEEP_SEQUENCES_DAYS,
    SEQUENCE_PREFIX,
    forget_sequences,
    next_reference,
    sequence_name,
)
from casework.tests.races import race
from complaints.models import Complaint
from complaints.tests.factories import register

DAY = dt.date(2026, 11, 24)


def sequences() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relkind = 'S'")
        return {name for (name,) in cursor.fetchall() if name.startswith(SEQUENCE_PREFIX)}


def test_each_prefix_counts_its_own_days_from_one(db):
    with transaction.atomic():
        assert next_reference("CMP", model=Complaint, today=DAY) == "CMP-20261124-000001"
        assert next_reference("CMP", model=Complaint, today=DAY) == "CMP-20261124-000002"
        assert next_reference("ACR", model=Complaint, today=DAY) == "ACR-20261124-000001"
        assert (
            next_reference("CMP", model=Complaint, today=DAY + dt.timedelta(days=1)) == "CMP-20261125-000001"
        )


def test_a_prefix_is_capital_letters(db):
    with pytest.raises(ValueError, match="capital letters"):
        next_reference("cmp; drop", model=Complaint, today=DAY)


def test_a_day_made_again_counts_on_after_the_highest_case_of_that_day(require_postgres, agent):
    first = register(agent)
    forget_sequences()  # as if the day's sequence had been dropped with the days long past
    second = register(agent)

    number = int(first.reference.rsplit("-", 1)[1])
    assert second.reference.rsplit("-", 1)[1] == f"{number + 1:06d}"


def test_sequences_of_days_long_past_are_dropped_when_a_new_day_starts(require_postgres):
    with transaction.atomic():
        old = DAY - dt.timedelta(days=KEEP_SEQUENCES_DAYS + 1)
        recent = DAY - dt.timedelta(days=KEEP_SEQUENCES_DAYS - 1)
        next_reference("CMP", model=Complaint, today=old)
        next_reference("CMP", model=Complaint, today=recent)
        next_reference("ACR", model=Complaint, today=old)
        next_reference("CMP", model=Complaint, today=DAY)

        assert sequences() == {
            sequence_name("CMP", recent),
            sequence_name("CMP", DAY),
            sequence_name("ACR", old),  # another prefix's days are its own
        }


@pytest.mark.postgres
def test_a_create_does_not_wait_for_another_still_open(
    require_postgres, transactional_db, django_db_serialized_rollback
):
    """With a counter row, the second create of the day waited on the first's row lock
    until the first committed; on a sequence it goes straight on."""
    with transaction.atomic():
        next_reference("CMP", model=Complaint, today=DAY)  # the day's sequence exists
    holding, release = threading.Event(), threading.Event()

    def first() -> str:
        try:
            with transaction.atomic():
                reference = next_reference("CMP", model=Complaint, today=DAY)
                holding.set()
                assert release.wait(timeout=30)
                return reference
        finally:
            connections.close_all()

    thread_result: list[str] = []
    thread = threading.Thread(target=lambda: thread_result.append(first()))
    thread.start()
    try:
        assert holding.wait(timeout=30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            second = next_reference("CMP", model=Complaint, today=DAY)
    finally:
        release.set()
        thread.join(timeout=30)
    assert thread_result == ["CMP-20261124-000002"]
    assert second == "CMP-20261124-000003"


@pytest.mark.postgres
def test_the_first_cases_of_a_day_opened_at_once_get_distinct_numbers(
    require_postgres, transactional_db, django_db_serialized_rollback, agent
):
    outcomes = race(*[lambda: register(agent).reference for _ in range(6)])

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert sorted(outcomes) == sorted(set(outcomes))
    assert sorted(int(o.rsplit("-", 1)[1]) for o in outcomes) == [1, 2, 3, 4, 5, 6]
    assert Complaint.objects.count() == 6
