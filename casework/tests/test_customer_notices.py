"""Telling the customer through the outbox (``casework.notices.customers``): SMS filed
under var/sms, e-mail through a real SMTP server on loopback, quiet hours, opt-outs, the
partner's customers, and exactly once per event, also when the broker is down at the
transition and when a worker dies mid-send."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.utils import timezone

from casework.cases import timeline
from casework.models import ContactOptOut, CustomerMessage, Notification
from casework.notices import customers, outbox, replies
from casework.tasks import run_outbox_sweep
from casework.tests.faults import clock_moved_on
from casework.tests.test_worker import broker_down
from casework.tests.worker import DELIVERY_TIMEOUT_S, running_worker, wait_for
from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import register

NOT_QUIET = ""  # no quiet hours: the tests that are not about them send at once


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = NOT_QUIET


def accepted(agent, **contact) -> Complaint:
    complaint = register(agent, **({"customer_phone": "13800138000"} | contact))
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    return services.accept_complaint(complaint=complaint, actor=agent)


def superuser(user):
    user.is_superuser = True
    user.save()
    return user


def sms_files() -> list[dict]:
    folder = Path(settings.SMS_FILE_PATH)
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))] if folder.exists() else []


def deliver_all() -> list[bool]:
    return [outbox.deliver(pk) for pk in outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER)]


def test_acceptance_is_told_by_sms_once_and_lands_under_var_sms(agent):
    complaint = accepted(agent)

    [message] = CustomerMessage.objects.filter(case_reference=complaint.reference)
    assert (message.kind, message.channel, message.status) == ("acceptance", "sms", "queued")
    assert deliver_all() == [True]
    assert deliver_all() == []

    message.refresh_from_db()
    assert message.status == CustomerMessage.Status.SENT and message.sent_at is not None
    [sms] = sms_files()
    assert sms["to"] == "+8613800138000"
    assert complaint.reference in sms["text"]
    assert sms["idempotency_key"] == message.idempotency_key == message.notification.idempotency_key
    deadline = customers.local_date(complaint.sla_clock.resolution_due_at)
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in sms["text"]  # zh-hans by default


def test_the_same_event_told_twice_is_one_message(agent):
    complaint = accepted(agent)
    again = customers.tell_customer(case=complaint, kind=customers.ACCEPTANCE, context={"reference": "x"})

    assert CustomerMessage.objects.filter(case_reference=complaint.reference).count() == 1
    assert again == CustomerMessage.objects.get(case_reference=complaint.reference)
    assert Notification.objects.filter(kind="customer_acceptance").count() == 1


def test_an_sms_resent_after_a_crash_overwrites_its_file(agent):
    complaint = accepted(agent)
    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    outbox.SENDERS["sms"](message.notification)  # the first send, whose worker then died
    assert deliver_all() == [True]

    assert len(sms_files()) == 1


def test_an_sms_written_in_quiet_hours_is_held_then_sent_by_the_sweep(agent, settings):
    zone = ZoneInfo(settings.CUSTOMER_TIME_ZONE)
    now = timezone.now().astimezone(zone)
    start, end = (now - dt.timedelta(hours=1)).time(), (now + dt.timedelta(hours=1)).time()
    settings.CUSTOMER_QUIET_HOURS = f"{start:%H:%M}-{end:%H:%M}"

    complaint = accepted(agent)

    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert message.status == CustomerMessage.Status.HELD
    ends = message.notification.next_attempt_at.astimezone(zone)
    assert (ends.hour, ends.minute) == (end.hour, end.minute) and ends > now
    assert deliver_all() == []  # the usual first retry comes and goes: still held
    assert outbox.deliver_now([message.notification_id], actor=superuser(agent)) == 0  # nor by hand
    assert sms_files() == []

    with clock_moved_on(ends - now + dt.timedelta(seconds=1)):
        due = outbox.due_for_retry(timezone.now())
        assert due == [message.notification_id]
        assert [outbox.deliver(pk) for pk in due] == [True]
    message.refresh_from_db()
    assert message.status == CustomerMessage.Status.SENT
    assert len(sms_files()) == 1


def test_quiet_hours_may_wrap_midnight(settings):
    settings.CUSTOMER_QUIET_HOURS = "21:00-08:00"
    settings.CUSTOMER_TIME_ZONE = "Asia/Shanghai"
    zone = ZoneInfo("Asia/Shanghai")

    late = dt.datetime(2026, 12, 3, 22, 30, tzinfo=zone)
    early = dt.datetime(2026, 12, 4, 7, 0, tzinfo=zone)
    noon = dt.datetime(2026, 12, 4, 12, 0, tzinfo=zone)

    assert customers.quiet_hours_end(late) == dt.datetime(2026, 12, 4, 8, 0, tzinfo=zone)
    assert customers.quiet_hours_end(early) == dt.datetime(2026, 12, 4, 8, 0, tzinfo=zone)
    assert customers.quiet_hours_end(noon) is None


def test_e_mail_is_not_held_in_quiet_hours(agent, settings):
    settings.CUSTOMER_QUIET_HOURS = "00:00-23:59"
    complaint = accepted(agent, customer_email="li.wei@example.com", preferred_channel="email")

    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert (message.channel, message.status) == ("email", "queued")


def test_a_customer_who_opted_out_is_recorded_as_not_sent(agent):
    ContactOptOut.objects.create(channel="sms", address="+8613800138000", reason="TD")

    complaint = accepted(agent)

    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert message.status == CustomerMessage.Status.SUPPRESSED
    assert message.notification is None
    assert not Notification.objects.filter(kind__startswith="customer_").exists()
    assert deliver_all() == [] and sms_files() == []


def test_a_partners_customer_is_told_by_the_partner_unless_it_opted_in(agent, partner):
    told_by_partner = accepted(agent, partner=partner, channel="partner_api")
    partner.notifies_customers_directly = True
    partner.save()
    told_by_us = accepted(agent, partner=partner, channel="partner_api", customer_phone="13900139000")

    assert not CustomerMessage.objects.filter(case_reference=told_by_partner.reference).exists()
    assert CustomerMessage.objects.filter(case_reference=told_by_us.reference).count() == 1


def test_preferring_e_mail_without_an_address_falls_back_to_sms_for_old_rows(agent):
    complaint = register(agent)
    Complaint.objects.filter(pk=complaint.pk).update(preferred_channel="email")  # as a row from before
    complaint.refresh_from_db()
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    services.accept_complaint(complaint=complaint, actor=agent)

    assert CustomerMessage.objects.get(case_reference=complaint.reference).channel == "sms"


def test_e_mail_goes_multipart_with_reply_to_and_threads_later_messages(
    holding_reply_regime, agent, smtp_server
):
    complaint = accepted(
        agent, customer_email="Li.Wei@Example.com", preferred_channel="email", customer_language="en"
    )
    services.start_complaint(complaint=complaint, actor=agent)
    services.send_holding_response(
        complaint=complaint, actor=agent, holding_response="The merchant's acquirer must trace the payment."
    )

    assert deliver_all() == [True, True]

    first, second = smtp_server.messages
    acceptance, extension = CustomerMessage.objects.filter(case_reference=complaint.reference)
    assert smtp_server.recipients == [["li.wei@example.com"], ["li.wei@example.com"]]
    assert first["Subject"] == f"Your complaint {complaint.reference} is accepted"
    assert first.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in first.iter_parts())
    assert complaint.reference in text and "<p>" in html and complaint.reference in html
    assert (
        first["Message-ID"] == replies.notice_message_id(acceptance.idempotency_key) == acceptance.message_id
    )
    assert first["Reply-To"] == replies.reply_address(acceptance.pk)
    assert replies.message_from_address(first["Reply-To"]) == acceptance.pk
    assert first["In-Reply-To"] is None
    assert second["In-Reply-To"] == first["Message-ID"] == second["References"]
    assert "The merchant's acquirer must trace the payment." in second.get_body(("plain",)).get_content()
    assert extension.status == CustomerMessage.Status.SENT


def test_an_e_mail_the_relay_refuses_leaves_the_message_queued_then_failed(agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.OUTBOX_MAX_ATTEMPTS = 1
    complaint = accepted(agent, customer_email="li.wei@example.com", preferred_channel="email")

    assert deliver_all() == [False]

    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert message.status == CustomerMessage.Status.FAILED


def test_the_timeline_shows_each_message_masked_with_its_status(agent):
    complaint = accepted(agent)
    deliver_all()
    message = CustomerMessage.objects.get(case_reference=complaint.reference)

    entries = timeline.notices(complaint)

    shown = [entry for entry in entries if entry.kind == "customer message"]
    [entry] = shown
    assert entry.what == "Acceptance notice by SMS to +86 138 **** 8000"
    assert entry.detail.startswith(f"sent {timezone.localtime(message.sent_at):%H:%M}: ")
    assert all("13800138000" not in f"{e.what} {e.detail}" for e in timeline.notices(complaint))


def test_a_notice_written_while_the_broker_is_down_is_sent_by_the_sweep(
    agent, django_capture_on_commit_callbacks, caplog
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        complaint = accepted(agent)
    assert "Broker unavailable; notice" in caplog.text
    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert (message.notification.status, message.notification.attempts) == ("pending", 0)

    assert outbox.due_for_retry(timezone.now()) == []
    assert deliver_all() == [True]
    assert deliver_all() == []
    assert len(sms_files()) == 1


@pytest.mark.worker
def test_a_worker_killed_mid_send_leaves_one_sms_once_a_fresh_worker_resends_it(
    transactional_db, django_db_serialized_rollback, tmp_path, agent
):
    sms_dir, hold = tmp_path / "sms", tmp_path / "hold"
    hold.touch()
    env = {
        "SMS_GATEWAY": "casework.tests.holding_sms.HoldingSmsGateway",
        "SMS_FILE_PATH": str(sms_dir),
        "SMS_HOLD_FLAG": str(hold),
        "CUSTOMER_QUIET_HOURS": NOT_QUIET,
    }
    (tmp_path / "killed").mkdir()
    (tmp_path / "fresh").mkdir()
    with running_worker(tmp_path / "killed", queue_prefix="notices-killed", env=env) as killed:
        complaint = accepted(agent)  # commits: the acceptance SMS goes to the worker
        wait_for(
            lambda: any(sms_dir.glob("*.sent")), timeout=DELIVERY_TIMEOUT_S, what="the SMS", worker=killed
        )
        os.killpg(killed.process.pid, signal.SIGKILL)  # sent, not yet recorded
        killed.process.wait(timeout=30)
    message = CustomerMessage.objects.get(case_reference=complaint.reference)
    assert (message.notification.status, message.notification.attempts) == ("pending", 0)

    hold.unlink()
    with running_worker(tmp_path / "fresh", queue_prefix="notices-fresh", env=env) as fresh:
        with clock_moved_on(outbox.FIRST_RETRY_AFTER):
            assert run_outbox_sweep() == 1
        wait_for(
            lambda: fresh.results() == ["True"], timeout=DELIVERY_TIMEOUT_S, what="the resend", worker=fresh
        )

    message.refresh_from_db()
    assert message.status == CustomerMessage.Status.SENT
    [only] = list(sms_dir.glob("*.json"))  # sent twice, one message: the file is its key's
    assert json.loads(only.read_text())["idempotency_key"] == message.idempotency_key


def test_a_supervisor_turns_on_direct_notices_on_the_partners_page(client, supervisor, partner):
    supervisor.user_permissions.add(Permission.objects.get(codename="change_partner"))
    client.force_login(supervisor)

    page = client.get(f"/admin/casework/partner/{partner.pk}/change/").content.decode()

    assert 'name="notifies_customers_directly"' in page
    assert "Notifies customers directly" in page
