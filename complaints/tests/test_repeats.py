"""Repeat complaints (issue 18, item 2): the rule, counted once per window, and what a
repeat does at registration under each COMPLAINT_REPEAT_ACTION."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.models import SlaPolicy, TransitionRecord
from complaints import repeats
from complaints.models import Complaint
from complaints.tests.factories import register

pytestmark = pytest.mark.django_db

LI_WEI = {"customer_phone": "13800138000", "account_number": "6222000011119999"}


def days_ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def li_wei(agent, *, days: float = 0, **overrides) -> Complaint:
    """A complaint of the same customer (same phone and account), ``days`` ago."""
    at = days_ago(days)
    values = {
        **LI_WEI,
        "transaction_reference": "TX-LAWSON-0001",
        "received_at": at,
        "transaction_at": at - dt.timedelta(hours=2),
    }
    return register(agent, **{**values, **overrides})


def registered_record(complaint: Complaint) -> TransitionRecord:
    return TransitionRecord.objects.get(object_id=str(complaint.pk), transition="register")


def test_a_repeat_is_flagged_each_time_and_counted_once_per_window(agent):
    first = li_wei(agent, days=20)
    second = li_wei(agent, days=10)
    third = li_wei(agent, days=1)
    assert (first.repeat_of, first.repeat_count) == (None, 1)
    assert (second.repeat_of, second.repeat_count) == (first, 2)
    assert (third.repeat_of, third.repeat_count) == (first, 3)
    # Both repeats are flagged; the rate counts the matter once, at its second complaint.
    assert [repeats.is_counted(c) for c in (first, second, third)] == [False, True, False]
    assert repeats.repeat_rates(Complaint.objects.all(), "category") == [("transaction", 3, 1)]
    assert registered_record(second).data["repeat"] == {
        "of": first.reference,
        "count": 2,
        "counted": True,
        "action": "flag",
    }
    assert "repeat" not in registered_record(first).data


def test_a_matter_raised_again_in_a_new_window_counts_again(agent, settings):
    settings.COMPLAINT_REPEAT_WINDOW_DAYS = 30
    li_wei(agent, days=50)
    again = li_wei(agent, days=25)  # 25 days after the first: its 2nd in the window
    later = li_wei(agent, days=0)  # the first has left its window; the 2nd is in it
    assert (again.repeat_count, later.repeat_count) == (2, 2)
    assert later.repeat_of == again
    assert repeats.repeat_rates(Complaint.objects.all(), "channel") == [("phone", 3, 2)]


def test_a_complaint_outside_the_window_is_not_a_repeat(agent, settings):
    settings.COMPLAINT_REPEAT_WINDOW_DAYS = 30
    li_wei(agent, days=31)
    latest = li_wei(agent)
    assert (latest.repeat_of, latest.repeat_count) == (None, 1)


def test_another_customers_complaint_never_makes_one(agent):
    # The same name, the same transaction reference, the same category: another person.
    register(agent, customer_name="Li Wei", transaction_reference="TX-LAWSON-0001", received_at=days_ago(2))
    mine = li_wei(agent)
    assert mine.repeat_of is None
    assert mine.customer_id is not None


def test_the_same_category_on_another_transaction_is_a_repeat_and_another_category_is_not(agent):
    first = li_wei(agent, days=3)
    other_transaction = li_wei(agent, days=2, transaction_reference="TX-OTHER-0002")
    assert other_transaction.repeat_of == first
    slow = li_wei(agent, days=1, category="slow_service", transaction_reference="")
    assert slow.repeat_of is None
    # The same transaction reference under another category still repeats it.
    refund = li_wei(
        agent, category="refund", merchant="Lawson Xujiahui", transaction_reference="TX-LAWSON-0001"
    )
    assert refund.repeat_of == first


def test_flag_only_records_the_repeat(agent, settings):
    settings.COMPLAINT_REPEAT_ACTION = "flag"
    li_wei(agent, days=1)
    repeat = li_wei(agent, priority="high")
    assert (repeat.priority, repeat.team.code, repeat.assigned_to) == ("high", "frontline", agent)


def test_raise_priority_starts_the_clock_on_the_higher_policy(agent, settings):
    settings.COMPLAINT_REPEAT_ACTION = "raise_priority"
    li_wei(agent, days=1, priority="high")
    repeat = li_wei(agent, priority="high")
    assert repeat.priority == "urgent"
    urgent = SlaPolicy.objects.get(case_type="complaint", category="", priority="urgent")
    assert Complaint.objects.get(pk=repeat.pk).sla_clock.policy == urgent
    assert registered_record(repeat).data["repeat"]["priority"] == ["high", "urgent"]
    # The first complaint, no repeat, kept what it was given.
    assert Complaint.objects.get(repeat_of=None).priority == "high"


def test_complaints_department_routes_the_repeat_to_its_queue(agent, settings, complaints_department):
    settings.COMPLAINT_REPEAT_ACTION = "complaints_department"
    li_wei(agent, days=1)
    repeat = Complaint.objects.get(pk=li_wei(agent).pk)
    assert (repeat.team, repeat.assigned_to) == (complaints_department, None)
    assert registered_record(repeat).data["repeat"]["team"] == ["frontline", "complaints-dept"]


def test_a_repeat_sent_to_the_complaints_department_is_not_routed_back(
    agent, settings, complaints_department
):
    from casework.models import Team, TeamRouting

    settings.COMPLAINT_REPEAT_ACTION = "complaints_department"
    # The frontline routes every complaint; the complaints department routes none.
    TeamRouting.objects.update_or_create(
        team=Team.objects.get(code="frontline"), defaults={"is_active": True}
    )
    li_wei(agent, days=1)
    repeat = Complaint.objects.get(pk=li_wei(agent).pk)
    assert (repeat.team, repeat.assigned_to) == (complaints_department, None)


def test_the_check_is_one_indexed_query_at_registration(agent):
    li_wei(agent, days=1)
    with CaptureQueriesContext(connection) as queries:
        li_wei(agent)
    checks = [
        q["sql"] for q in queries if 'FROM "complaints_complaint"' in q["sql"] and "customer_id" in q["sql"]
    ]
    assert len(checks) == 1, checks
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")  # a ten-row table: ask what it can use
            cursor.execute("EXPLAIN " + checks[0])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("RESET enable_seqscan")
        # By the customer: (customer, time), or the customer key's own index on few rows.
        by_customer = r"Index.* using (complaint_customer_created|complaints_complaint_customer_id_)"
        assert re.search(by_customer, plan), plan


def test_the_repeat_action_setting_is_one_of_three(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.environment import env_choice

    monkeypatch.delenv("COMPLAINT_REPEAT_ACTION", raising=False)
    assert env_choice("COMPLAINT_REPEAT_ACTION", "flag", repeats.ACTIONS) == "flag"
    monkeypatch.setenv("COMPLAINT_REPEAT_ACTION", " raise_priority ")
    assert env_choice("COMPLAINT_REPEAT_ACTION", "flag", repeats.ACTIONS) == "raise_priority"
    monkeypatch.setenv("COMPLAINT_REPEAT_ACTION", "escalate")
    with pytest.raises(ImproperlyConfigured, match="COMPLAINT_REPEAT_ACTION is one of flag, raise_priority"):
        env_choice("COMPLAINT_REPEAT_ACTION", "flag", repeats.ACTIONS)
