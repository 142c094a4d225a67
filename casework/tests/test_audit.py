"""The transition trail: hash-chained per case, exported as CSV for a period."""

import datetime as dt

from django.utils import timezone

from casework.audit import broken_links, records_for, trail_rows
from casework.models import TransitionRecord
from complaints import services
from complaints.tests.factories import register


def test_each_record_links_to_the_previous_one_of_its_case(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent, reason="Caller verified")
    records = list(records_for(complaint))
    assert [r.transition for r in records] == ["register", "verify_identity", "accept"]
    assert records[0].previous_hash == ""
    assert records[1].previous_hash == records[0].record_hash
    assert broken_links(records) == []


def test_an_edited_reason_breaks_the_chain(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    first = records_for(complaint).first()
    TransitionRecord.objects.filter(pk=first.pk).update(reason="Nothing to see")
    assert [r.pk for r in broken_links(records_for(complaint))] == [first.pk]


def between(start, end):
    return TransitionRecord.objects.filter(created_at__gte=start, created_at__lt=end)


def test_the_trail_exports_a_period_with_actor_and_reason(agent):
    complaint = register(agent)
    services.verify_identity(
        complaint=complaint, actor=agent, method="callback", reason="Called back 138****8000"
    )
    now = timezone.now()
    rows = list(trail_rows(between(now - dt.timedelta(hours=1), now + dt.timedelta(seconds=1))))
    assert rows[0][:4] == ["time", "case_type", "case_reference", "transition"]
    assert [row[3] for row in rows[1:]] == ["register", "verify_identity"]
    assert rows[2][2] == complaint.reference
    assert rows[2][6] == "agent.wang"
    assert rows[2][7] == "Called back 138****8000"
    assert list(trail_rows(between(now + dt.timedelta(hours=1), now + dt.timedelta(hours=2))))[1:] == []
