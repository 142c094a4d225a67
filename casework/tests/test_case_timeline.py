"""One case's timeline in the admin: transitions, notes, messages, evidence, notices with
their delivery attempts and linked cases in one list by time, and beside it the
field-level changes simple-history kept; a constant number of queries per source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import services as account_services
from accounts.admin import AccountRequestAdmin
from accounts.tests.factories import request_in_state, wallet_account
from casework.access import roles
from casework.cases import timeline
from casework.models import DeliveryAttempt, Notification
from casework.tests.admin import admin_url
from casework.tests.users import make_user
from complaints import services
from complaints.admin import ComplaintAdmin
from complaints.models import Category, State
from complaints.tests.factories import complaint_in_state, file_complaint, register
from refunds import services as refund_services
from refunds.admin import RefundCaseAdmin
from refunds.models import RefundType
from refunds.tests.factories import PNG, advance

COMPLAINT_SOURCES = ComplaintAdmin.timeline_sources


@pytest.fixture
def refunds_desk(db):
    return make_user("refunds.zhou", roles.REFUNDS_DESK)


def kinds(entries) -> list[str]:
    return [entry.kind for entry in entries]


def test_the_complaint_timeline_merges_every_source_oldest_first(agent, technician, supervisor):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)  # writes an escalation notice
    services.add_note(complaint=complaint, actor=agent, body="Customer calls back at 3 pm.")
    notice = Notification.objects.get(case_reference=complaint.reference, kind="escalation")
    DeliveryAttempt.objects.create(notification=notice, succeeded=False, response_status=503, error="busy")
    services.return_findings(complaint=complaint, actor=technician, findings="Duplicate debit reversed")

    entries = timeline.timeline(complaint, COMPLAINT_SOURCES)

    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    assert kinds(entries) == [
        "transition",  # register
        "transition",  # verify identity
        "transition",  # accept
        "transition",  # start
        "notice",  # the escalation notice, written in the escalation's transaction
        "transition",  # escalate
        "note",
        "delivery",
        "transition",  # return findings
    ]
    escalate = entries[5]
    assert escalate.actor == "agent.wang"
    assert escalate.what == "escalate: in progress → escalated"
    assert escalate.detail == "Debit without a credit in the ledger"
    assert entries[0].what == "register: → received"
    assert entries[1].what == "verify identity (stays received)"
    assert entries[4].url == admin_url(notice)
    assert entries[6].detail == "Customer calls back at 3 pm."
    assert entries[7].what.endswith(": failed (HTTP 503)") and entries[7].detail == "busy"
    assert entries[8].actor == "tech.chen"


def test_a_partners_complaint_shows_its_messages_and_who_wrote_them(agent, partner):
    complaint = file_complaint(partner)
    services.add_partner_message(complaint=complaint, actor=partner.user, body="Receipt attached.")
    services.reply_to_partner(complaint=complaint, actor=agent, body="Thank you, checking now.")

    messages = [e for e in timeline.timeline(complaint, COMPLAINT_SOURCES) if e.kind == "message"]

    assert [(m.actor, m.what, m.detail) for m in messages] == [
        ("partner:acme", "from the partner", "Receipt attached."),
        ("agent.wang", "reply to the partner", "Thank you, checking now."),
    ]


def linked(case, case_admin) -> list[timeline.Entry]:
    return [e for e in timeline.timeline(case, case_admin.timeline_sources) if e.kind == "linked case"]


def test_linked_cases_show_on_both_sides(agent, refunds_desk, supervisor):
    complaint = register(agent, category=Category.REFUND)
    refund = refund_services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )
    locked = register(agent, category=Category.ACCOUNT_LOCKED, account_number=wallet_account().account_number)
    request = account_services.open_unlock_request_from_complaint(complaint=locked, actor=agent)

    assert [(e.what, e.url, e.at) for e in linked(complaint, ComplaintAdmin)] == [
        (f"opened refund case {refund.reference} from it", admin_url(refund), refund.created_at)
    ]
    assert [(e.what, e.url) for e in linked(refund, RefundCaseAdmin)] == [
        (f"opened from complaint {complaint.reference}", admin_url(complaint))
    ]
    assert [e.what for e in linked(locked, ComplaintAdmin)] == [
        f"opened account request {request.reference} from it"
    ]
    assert [e.what for e in linked(request, AccountRequestAdmin)] == [
        f"opened from complaint {locked.reference}"
    ]


def test_an_account_request_timeline_shows_the_evidence_collected(agent, supervisor):
    request = request_in_state("identity_verified", agent=agent, reviewer=supervisor, authenticated=True)

    entries = timeline.timeline(request, AccountRequestAdmin.timeline_sources)

    evidence = [e for e in entries if e.kind == "evidence"]
    assert [(e.actor, e.what) for e in evidence] == [("agent.wang", "SMS one-time code: passed")]
    assert evidence[0].detail.startswith("One-time code sent")


def test_a_refund_timeline_shows_evidence_and_payment_instructions(agent, refunds_desk, media_root):
    case = refund_services.open_refund_case(
        actor=agent,
        refund_type=RefundType.NOT_RECEIVED,
        requested_amount=Decimal("30.00"),
        reason="Never delivered",
        transaction_reference="TXN-TL-1",
        merchant="Tea House",
        transaction_amount=Decimal("80.00"),
        currency="CNY",
        paid_at=timezone.now() - dt.timedelta(days=2),
    )
    refund_services.add_evidence(
        case=case,
        actor=agent,
        kind="payment_voucher",
        file=SimpleUploadedFile("voucher.png", PNG, content_type="image/png"),
        note="From the customer",
    )
    case = advance(case, "start_review", "approve", "submit", desk=refunds_desk)

    entries = timeline.timeline(case, RefundCaseAdmin.timeline_sources)

    evidence = next(e for e in entries if e.kind == "evidence")
    assert (evidence.actor, evidence.detail) == ("agent.wang", "From the customer")
    payment = next(e for e in entries if e.kind == "payment")
    assert "30.00" in payment.what and payment.actor == "system"
    assert kinds(entries).index("evidence") < kinds(entries).index("payment")


# Field-level changes.


def test_field_changes_say_who_changed_which_field_from_what_to_what(agent, other_agent, supervisor):
    complaint = register(agent, merchant="Lawson Xujiahui")
    services.assign_complaint(
        complaint=complaint, actor=supervisor, assigned_to=other_agent, reason="Holiday"
    )

    history = timeline.field_changes(complaint)

    assert history[0].change == "created" and history[0].actor == "agent.wang" and history[0].changes == []
    reassigned = next(entry for entry in history if any(c.name == "assigned_to" for c in entry.changes))
    assert reassigned.actor == "sup.huang"
    change = next(c for c in reassigned.changes if c.name == "assigned_to")
    assert (change.field, change.old, change.new) == ("assigned to", "agent.wang", "agent.zhao")
    accepted = timeline.field_changes(
        services.accept_complaint(
            complaint=services.verify_identity(complaint=complaint, actor=agent, method="sms_code"),
            actor=agent,
        )
    )[-1]
    state = next(c for c in accepted.changes if c.name == "state")
    assert (state.old, state.new) == ("received", "accepted")  # the choices' labels


def test_the_change_form_shows_the_timeline_and_the_field_changes_to_an_auditor(
    client, agent, other_agent, supervisor, auditor
):
    complaint = register(agent)
    services.assign_complaint(
        complaint=complaint, actor=supervisor, assigned_to=other_agent, reason="Holiday"
    )
    services.add_note(complaint=complaint, actor=agent, body="Called the merchant.")
    client.force_login(auditor)

    page = client.get(admin_url(complaint))

    assert page.status_code == 200
    content = page.content.decode()
    assert "Called the merchant." in content
    assert "Field changes" in content
    assert "agent.zhao" in content and "sup.huang" in content


def test_field_changes_keep_personal_data_masked(client, agent, supervisor, auditor):
    complaint = register(agent, customer_phone="13911002233")
    complaint.customer_phone = "13955556666"
    complaint._history_user = agent
    complaint.save()
    client.force_login(auditor)

    content = client.get(admin_url(complaint)).content.decode()

    assert "13911002233" not in content and "13955556666" not in content
    assert "+86 139 **** 2233" in content and "+86 139 **** 6666" in content


# Queries: one per source, however long the case.


def grow(complaint, agent, supervisor, other_agent, times: int) -> None:
    for number in range(times):
        services.add_note(complaint=complaint, actor=agent, body=f"Note {number}")
        services.reply_to_partner(complaint=complaint, actor=agent, body=f"Reply {number}")
        assignee = other_agent if number % 2 == 0 else agent
        services.assign_complaint(complaint=complaint, actor=supervisor, assigned_to=assignee, reason="Shift")
        notice = Notification.objects.create(
            idempotency_key=f"test-{complaint.pk}-{number}",
            kind="reminder",
            recipient="desk@wallet.example",
            subject="Reminder",
            body="Due soon",
            content_type=ContentType.objects.get_for_model(complaint),
            object_id=complaint.pk,
            case_reference=complaint.reference,
        )
        DeliveryAttempt.objects.create(notification=notice, succeeded=True, response_status=250)


def count_queries(complaint) -> int:
    with CaptureQueriesContext(connection) as captured:
        entries = timeline.timeline(complaint, COMPLAINT_SOURCES)
        history = timeline.field_changes(complaint)
    assert entries and history
    return len(captured)


def test_the_timeline_reads_each_source_once_however_long_the_case(agent, other_agent, supervisor, partner):
    short = file_complaint(partner)
    long = file_complaint(partner)
    grow(short, agent, supervisor, other_agent, 1)
    grow(long, agent, supervisor, other_agent, 12)

    assert count_queries(long) == count_queries(short)
    # One per source (three for notices, the messages to the customer and the attempts; the
    # customer's replies are read for every case), one for the history rows and one per
    # model its foreign keys point at (here users).
    assert count_queries(long) <= len(COMPLAINT_SOURCES) + len(timeline.EVERY_CASE) + 2 + 1 + 2


def test_the_change_form_costs_the_same_queries_for_a_long_case(
    client, agent, other_agent, supervisor, auditor, partner
):
    # Two customers: one complaint repeating the other would show its "Repeat of" box.
    short = file_complaint(partner)
    long = file_complaint(partner, customer_phone="13900002222")
    grow(short, agent, supervisor, other_agent, 1)
    grow(long, agent, supervisor, other_agent, 12)
    client.force_login(auditor)
    client.get(admin_url(short))  # warm the content-type and permission caches

    def page_queries(complaint) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(admin_url(complaint)).status_code == 200
        return len(captured)

    assert page_queries(long) == page_queries(short)
