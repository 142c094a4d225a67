"""Auditors, history and no deletion, and the casework admin seen from a complaint: the
trail read-only and exported as CSV, delivering pending notices, local deadlines."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import Notification, TransitionRecord
from casework.tests.admin import admin_url, forbidden, visible_text
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.admin import ADD, CHANGELIST, form_data, open_change_form
from complaints.tests.factories import complaint_in_state, register

# Auditors, history, no deletion.


def test_auditor_reads_everything_and_changes_nothing(client, agent, auditor):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    client.force_login(auditor)
    assert client.get(CHANGELIST).status_code == 200
    page = client.get(admin_url(complaint))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert "_fsm_transition_to" not in content
    assert "Refunded 88.00 CNY" in content  # the timeline's reason
    assert client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])).status_code == 200

    data = form_data(page)
    assert client.post(admin_url(complaint), {**data, "customer_name": "X"}).status_code == 403
    assert client.get(ADD).status_code == 403
    response = client.post(admin_url(complaint, "transition", "reopen"), {"version": 0, "reason": "x"})
    assert "You do not have permission to reopen this complaint." in forbidden(response)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.customer_name) == (State.RESOLVED, "Li Wei")


def test_the_history_page_shows_labels_names_local_time_and_reasons(
    client, agent, technical_team, supervisor
):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.escalate_complaint(complaint=complaint, actor=agent, team=technical_team, reason="Ledger check")
    client.force_login(agent)
    data = open_change_form(client, complaint)
    client.post(
        admin_url(complaint), {**data, "device": "Huawei Mate 60", "change_reason": "Caller corrected it"}
    )
    client.force_login(supervisor)

    text = visible_text(client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])))

    assert "pk=None" not in text and "Deleted" not in text  # an empty foreign key is "—"
    assert f"Escalated to: — → {technical_team.name}" in text  # a foreign key by its name
    assert "Identity verification method: — → SMS one-time code" in text and "sms_code" not in text
    assert "Device:" in text and "Huawei Mate 60" in text  # field labels, not names
    assert "Caller corrected it" in text and "Ledger check" in text  # each change's reason
    assert "None" not in text
    latest = complaint.history.latest()
    assert f"{timezone.localtime(latest.history_date):%Y-%m-%d %H:%M:%S}" in text  # local, to the second
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", text) and "UTC" not in text


def test_the_history_page_masks_what_the_reader_may_not_reveal(client, agent, technician):
    complaint = register(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    client.post(admin_url(complaint), {**data, "customer_phone": "13800138999", "change_reason": "New phone"})
    client.force_login(technician)

    text = visible_text(client.get(reverse("admin:complaints_complaint_history", args=[complaint.pk])))

    assert "13800138999" not in text and "New phone" in text


def test_history_cannot_be_written_back(client, agent, supervisor):
    complaint = register(agent)
    version = complaint.history.earliest()
    client.force_login(supervisor)
    url = reverse("admin:complaints_complaint_simple_history", args=[complaint.pk, version.history_id])
    assert client.get(url).status_code == 200
    assert client.post(url, {"customer_name": "Rewritten"}).status_code == 405


def test_nobody_deletes_a_complaint(client, agent, supervisor):
    complaint = register(agent)
    client.force_login(supervisor)
    url = reverse("admin:complaints_complaint_delete", args=[complaint.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Complaint.objects.filter(pk=complaint.pk).exists()


# The casework admin.


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="x-not-used-x")


def test_transition_records_are_read_only_and_searchable(client, agent, supervisor):
    complaint = register(agent)
    record = TransitionRecord.objects.get()
    client.force_login(supervisor)
    listing = client.get(reverse("admin:casework_transitionrecord_changelist"), {"q": complaint.reference})
    assert list(listing.context["cl"].result_list) == [record]
    change = reverse("admin:casework_transitionrecord_change", args=[record.pk])
    assert client.post(change, {"reason": "tampered"}).status_code == 403
    delete = reverse("admin:casework_transitionrecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.reason != "tampered"


def test_auditor_exports_the_trail_as_csv(client, agent, auditor):
    complaint = complaint_in_state(State.ACCEPTED, agent=agent)
    client.force_login(auditor)
    ids = list(TransitionRecord.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:casework_transitionrecord_changelist"),
        {"action": "export_csv", "_selected_action": ids},
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("time,case_type,case_reference,transition")
    assert len(lines) == 1 + len(ids)
    assert complaint.reference in lines[1]


def test_deliver_now_sends_only_pending_notices(client, superuser, mailoutbox):
    now = timezone.now()
    pending = Notification.objects.create(
        idempotency_key="a", kind="escalation", recipient="t@x.example", subject="s", body="b"
    )
    sent = Notification.objects.create(
        idempotency_key="b",
        kind="escalation",
        recipient="t@x.example",
        subject="s",
        body="b",
        status=Notification.Status.SENT,
        sent_at=now - dt.timedelta(minutes=1),
    )
    client.force_login(superuser)
    client.post(
        reverse("admin:casework_notification_changelist"),
        {"action": "retry_now", "_selected_action": [pending.pk, sent.pk]},
    )
    assert [message.to for message in mailoutbox] == [["t@x.example"]]
    pending.refresh_from_db()
    assert pending.status == Notification.Status.SENT


def test_the_change_form_shows_the_deadline_in_local_time(client, agent):
    complaint = register(agent, received_at=dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC))  # 10:00 Shanghai
    client.force_login(agent)
    page = client.get(admin_url(complaint)).content.decode()
    # PBOC's 15 days (civil-law count) on the China calendar: 13 Oct, at its close.
    assert "2026-10-13 18:00" in page
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)
    services.wait_for_customer(complaint=complaint, actor=agent, reason="Need the receipt")
    assert "paused: waiting on the customer" in client.get(admin_url(complaint)).content.decode()
