"""Webhooks to partners: each transition of a partner's case is one signed event, written
with the transition, delivered through the outbox to a real HTTP server on the loopback,
signed with the partner's secrets (both while one rotates), retried and recorded try by
try, re-sent by hand from the admin with the same id, and checked by the demo receiver."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountRequest
from casework import outbox, partner_webhooks, roles, webhooks
from casework.audit import records_for
from casework.errors import PermissionRefused
from casework.management.commands.receive_webhooks import (
    WebhookReceiver,
    secrets_from_database,
    secrets_from_options,
)
from casework.models import DeliveryAttempt, Notification, Partner
from casework.tests.admin import messages_of
from casework.tests.users import make_user
from casework.tests.worker import DELIVERY_TIMEOUT_S, Worker, running_worker, wait_for
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import register
from refunds import services as refund_services
from refunds.tests.factories import open_refund

ACME_SECRET = "whsec_" + base64.b64encode(b"acme-webhook-secret-for-tests-01").decode()
GLOBEX_SECRET = "whsec_" + base64.b64encode(b"globex-webhook-secret-for-tests!").decode()
INTERNAL_REASON = "Caller sounded rehearsed; agent.wang suspects a mule account"


# --- a partner's endpoint on the loopback --------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class PartnerEndpoint(ThreadingHTTPServer):
    """A partner's webhook endpoint: records each POST and answers ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.received: list[Received] = []
        self.status = 204

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class RecordingHandler(BaseHTTPRequestHandler):
    server: PartnerEndpoint

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append(Received(path=self.path, headers=headers, body=body))
        answer = b"" if self.server.status < 300 else b"partner system down for maintenance"
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args) -> None:
        pass


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def endpoint() -> Iterator[PartnerEndpoint]:
    with serving(PartnerEndpoint()) as server:
        yield server


def subscribe(partner: Partner, url: str, secret: str = ACME_SECRET) -> Partner:
    partner.webhook_url = url
    partner.webhook_secret = secret
    partner.save()
    return partner


@pytest.fixture
def subscribed(partner, endpoint) -> Partner:
    """ACME, with its webhooks going to the endpoint."""
    return subscribe(partner, f"{endpoint.url}/acme/")


def partner_complaint(agent, partner: Partner) -> Complaint:
    return register(agent, partner=partner, channel="partner_api")


def accepted(complaint: Complaint, agent) -> Complaint:
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    return services.accept_complaint(complaint=complaint, actor=agent, reason=INTERNAL_REASON)


def partner_events():
    return Notification.objects.filter(kind=partner_webhooks.KIND).order_by("pk")


def latest_record(case):
    return records_for(case).last()


# --- one event per transition, in the transition's transaction -----------------------


def test_a_transition_of_a_partners_complaint_sends_one_signed_event(db, agent, subscribed, endpoint):
    complaint = accepted(partner_complaint(agent, subscribed), agent)

    [notice] = partner_events()  # registering and verifying identity are no state change
    assert (notice.channel, notice.recipient) == ("webhook", f"{endpoint.url}/acme/")
    assert (notice.signing_key, notice.case_reference) == ("partner:acme", complaint.reference)
    assert outbox.deliver(notice.pk) is True

    [request] = endpoint.received
    assert request.path == "/acme/"
    assert request.headers["webhook-id"] == notice.idempotency_key
    webhooks.verify(ACME_SECRET, request.headers, request.body, now=timezone.now())
    record = latest_record(complaint)
    event = request.event
    assert event == {
        "type": "complaint.state_changed",
        "id": notice.idempotency_key,
        "timestamp": event["timestamp"],
        "data": {
            "reference": complaint.reference,
            "transition": "accept",
            "from_state": "received",
            "to_state": "accepted",
            "occurred_at": record.created_at.isoformat(),
            "url": f"/api/v1/complaints/{complaint.reference}/",
        },
    }
    assert dt.datetime.fromisoformat(event["timestamp"]) >= record.created_at
    assert event["id"].startswith("evt_")


def test_the_event_tells_the_partner_nothing_internal(db, agent, subscribed, endpoint):
    complaint = accepted(partner_complaint(agent, subscribed), agent)
    services.add_note(complaint=complaint, actor=agent, body="Internal: check the merchant's MCC")
    [notice] = partner_events()
    outbox.deliver(notice.pk)

    body = endpoint.received[0].body.decode()
    for internal in (INTERNAL_REASON, agent.get_username(), "merchant's MCC", "sms_code"):
        assert internal not in body
    assert ACME_SECRET not in notice.body + notice.subject + notice.signing_key


def test_every_transition_is_its_own_event(db, agent, subscribed):
    complaint = accepted(partner_complaint(agent, subscribed), agent)
    services.start_complaint(complaint=complaint, actor=agent)
    services.withdraw_complaint(complaint=complaint, actor=subscribed.user)

    bodies = [json.loads(notice.body)["data"] for notice in partner_events()]
    assert [(b["transition"], b["from_state"], b["to_state"]) for b in bodies] == [
        ("accept", "received", "accepted"),
        ("start", "accepted", "in_progress"),
        ("withdraw", "in_progress", "withdrawn"),
    ]
    assert len({notice.idempotency_key for notice in partner_events()}) == 3


def test_a_refund_case_event_names_its_type_and_address(db, agent, subscribed):
    case = open_refund(agent, partner=subscribed)
    refund_services.cancel_refund(case=case, actor=agent)

    [notice] = partner_events()
    event = json.loads(notice.body)
    assert event["type"] == "refund_case.state_changed"
    assert event["data"]["url"] == f"/api/v1/refund-cases/{case.reference}/"
    assert (event["data"]["transition"], event["data"]["to_state"]) == ("cancel", "cancelled")


def test_an_account_request_is_named_as_the_api_names_it():
    request = AccountRequest(reference="ACR-20261125-000001")
    assert partner_webhooks.event_type(request) == "account_request"
    assert partner_webhooks.case_api_path(request) == "/api/v1/account-requests/ACR-20261125-000001/"


def test_no_event_for_a_partner_without_a_webhook_url(db, agent, partner):
    accepted(partner_complaint(agent, partner), agent)
    assert not partner_events().exists()


def test_no_event_for_an_inactive_partner(db, agent, subscribed):
    complaint = partner_complaint(agent, subscribed)
    Partner.objects.filter(pk=subscribed.pk).update(is_active=False)
    accepted(Complaint.objects.get(pk=complaint.pk), agent)
    assert not partner_events().exists()


def test_no_event_for_a_case_filed_by_staff(db, agent, subscribed):
    accepted(register(agent), agent)
    assert not partner_events().exists()


def test_the_hook_costs_no_query_when_there_is_nothing_to_send(db, agent, partner, django_assert_num_queries):
    staff_case = register(agent)
    partner_case = Complaint.objects.select_related("partner").get(pk=partner_complaint(agent, partner).pk)
    staff_record, partner_record = latest_record(staff_case), latest_record(partner_case)
    with django_assert_num_queries(0):
        assert partner_webhooks.announce_transition(staff_case, staff_record) is None
        assert partner_webhooks.announce_transition(partner_case, partner_record) is None


def test_a_rolled_back_transition_sends_nothing(db, agent, subscribed, django_capture_on_commit_callbacks):
    complaint = partner_complaint(agent, subscribed)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.accept_complaint(complaint=complaint, actor=agent)
        assert partner_events().count() == 1  # written with the transition...
        raise RuntimeError("what the caller did next failed")
    assert not partner_events().exists()  # ...and gone with it
    assert callbacks == []
    assert Complaint.objects.get(pk=complaint.pk).state == State.RECEIVED


def test_the_event_is_handed_to_a_worker_only_after_commit(
    db, agent, subscribed, django_capture_on_commit_callbacks
):
    complaint = partner_complaint(agent, subscribed)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    with django_capture_on_commit_callbacks() as callbacks:
        services.accept_complaint(complaint=complaint, actor=agent)
    assert len(callbacks) == 1


# --- the partner's secrets ------------------------------------------------------------


def test_another_partners_secret_does_not_verify(db, agent, subscribed, other_partner, endpoint):
    subscribe(other_partner, f"{endpoint.url}/globex/", GLOBEX_SECRET)
    accepted(partner_complaint(agent, subscribed), agent)
    [notice] = partner_events()
    outbox.deliver(notice.pk)

    [request] = endpoint.received
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(GLOBEX_SECRET, request.headers, request.body, now=timezone.now())
    webhooks.verify(ACME_SECRET, request.headers, request.body, now=timezone.now())


def test_new_secrets_are_whsec_and_never_repeat():
    first, second = webhooks.new_secret(), webhooks.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    webhooks.sign(first, "msg_1", 1, "{}")  # a secret the signer takes


def test_both_secrets_verify_during_the_overlap_and_only_the_new_one_after(
    db, agent, supervisor, subscribed, endpoint
):
    new_secret = partner_webhooks.rotate_webhook_secret(subscribed, actor=supervisor)
    complaint = accepted(partner_complaint(agent, subscribed), agent)
    outbox.deliver(partner_events().get().pk)

    during = endpoint.received[-1]
    assert len(during.headers["webhook-signature"].split()) == 2
    webhooks.verify(ACME_SECRET, during.headers, during.body, now=timezone.now())  # not yet switched
    webhooks.verify(new_secret, during.headers, during.body, now=timezone.now())  # already switched

    Partner.objects.filter(pk=subscribed.pk).update(
        previous_webhook_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    services.start_complaint(complaint=complaint, actor=agent)
    outbox.deliver(partner_events().last().pk)

    after = endpoint.received[-1]
    assert len(after.headers["webhook-signature"].split()) == 1
    webhooks.verify(new_secret, after.headers, after.body, now=timezone.now())
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(ACME_SECRET, after.headers, after.body, now=timezone.now())


def test_rotation_keeps_the_old_secret_for_the_overlap_and_records_who(db, supervisor, subscribed):
    before = timezone.now()
    new_secret = partner_webhooks.rotate_webhook_secret(
        subscribed, actor=supervisor, overlap=dt.timedelta(hours=2)
    )
    stored = Partner.objects.get(pk=subscribed.pk)
    assert (stored.webhook_secret, stored.previous_webhook_secret) == (new_secret, ACME_SECRET)
    assert before + dt.timedelta(hours=2) <= stored.previous_webhook_secret_expires_at
    assert stored.previous_webhook_secret_expires_at <= timezone.now() + dt.timedelta(hours=2)
    assert partner_webhooks.secrets_for_partner(stored) == [new_secret, ACME_SECRET]
    later = stored.previous_webhook_secret_expires_at + dt.timedelta(seconds=1)
    assert partner_webhooks.secrets_for_partner(stored, later) == [new_secret]

    row = stored.history.latest()
    assert (row.history_user, row.history_change_reason) == (supervisor, "Webhook secret rotated")
    assert not hasattr(row, "webhook_secret")  # auditors see that it changed, not the key


def test_a_rotation_without_overlap_drops_the_old_secret_at_once(db, supervisor, subscribed):
    new_secret = partner_webhooks.rotate_webhook_secret(subscribed, actor=supervisor, overlap=dt.timedelta(0))
    assert webhooks.secrets_for("partner:acme") == [new_secret]


def test_the_signing_key_reads_the_partners_secrets_at_each_send(db, supervisor, subscribed):
    assert webhooks.secrets_for("partner:acme") == [ACME_SECRET]
    new_secret = partner_webhooks.rotate_webhook_secret(subscribed, actor=supervisor)
    assert webhooks.secrets_for("partner:acme") == [new_secret, ACME_SECRET]
    with pytest.raises(webhooks.UnknownSigningKey, match="No webhook secret is configured for 'partner:no"):
        webhooks.secrets_for("partner:nobody")
    assert webhooks.secrets_for("payments") == [settings.PAYMENTS_SIGNING_SECRET]  # as before


def test_a_partner_without_a_secret_fails_the_delivery_visibly(db, agent, subscribed, endpoint):
    Partner.objects.filter(pk=subscribed.pk).update(webhook_secret="")
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    assert outbox.deliver(notice.pk) is False

    notice.refresh_from_db()
    assert notice.last_error == "UnknownSigningKey: No webhook secret is configured for 'partner:acme'"
    assert endpoint.received == []


# --- delivery attempts, retries, giving up -----------------------------------------


def test_a_failed_delivery_is_retried_with_backoff_and_every_try_recorded(
    db, settings, agent, subscribed, endpoint
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    endpoint.status = 503
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()

    before = timezone.now()
    assert outbox.deliver(notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert notice.next_attempt_at >= before + outbox.backoff(1)
    assert notice.pk not in outbox.due_for_retry(timezone.now())
    for attempt_number in (2, 3):
        assert outbox.due_for_retry(notice.next_attempt_at) == [notice.pk]
        assert outbox.deliver(notice.pk) is False
        notice.refresh_from_db()
        if attempt_number == 2:
            assert notice.next_attempt_at >= timezone.now() + outbox.backoff(2) - dt.timedelta(seconds=5)

    assert (notice.status, notice.attempts) == (Notification.Status.FAILED, 3)
    assert notice.pk not in outbox.due_for_retry(timezone.now() + dt.timedelta(days=1))
    attempts = list(notice.delivery_attempts.order_by("attempted_at", "pk"))
    assert [(a.succeeded, a.response_status, a.triggered_by) for a in attempts] == [(False, 503, None)] * 3
    assert all(
        a.error == f"WebhookRefused: {endpoint.url}/acme/ answered HTTP 503 Service Unavailable: "
        "partner system down for maintenance"
        for a in attempts
    )
    assert all(a.duration_ms is not None and a.duration_ms < 10_000 for a in attempts)
    # Each try carried the same id: the partner can dedupe whatever got through.
    assert {request.headers["webhook-id"] for request in endpoint.received} == {notice.idempotency_key}
    assert len(endpoint.received) == 3


def test_a_delivery_that_succeeds_is_recorded_with_the_answer(db, agent, subscribed, endpoint):
    endpoint.status = 503
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    outbox.deliver(notice.pk)
    endpoint.status = 202
    assert outbox.deliver(notice.pk) is True

    failed, delivered = notice.delivery_attempts.order_by("attempted_at", "pk")
    assert (failed.succeeded, failed.response_status) == (False, 503)
    assert (delivered.succeeded, delivered.response_status, delivered.error) == (True, 202, "")


def test_an_unreachable_partner_is_recorded_without_a_status(db, agent, subscribed, endpoint):
    url = f"{endpoint.url}/acme/"
    endpoint.shutdown()
    endpoint.server_close()  # nothing listens on the port any more
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    assert outbox.deliver(notice.pk) is False

    [attempt] = notice.delivery_attempts.all()
    assert (attempt.succeeded, attempt.response_status) == (False, None)
    assert attempt.error.startswith(f"WebhookUnreachable: {url} is unreachable:")


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP relay at mail.wallet.example:25 refused the connection")


def test_e_mail_tries_are_recorded_too(db, settings, mailoutbox):
    notice = outbox.enqueue(
        idempotency_key="complaint-9-escalation",
        kind="escalation",
        recipient="tech-team@wallet.example",
        subject="[CMP-20261125-000009] escalated",
        body="Ledger shows a debit without a settlement.",
    )
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    outbox.deliver(notice.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.deliver(notice.pk)

    failed, sent = notice.delivery_attempts.order_by("attempted_at", "pk")
    assert (failed.succeeded, failed.response_status) == (False, None)
    assert failed.error == (
        "ConnectionRefusedError: SMTP relay at mail.wallet.example:25 refused the connection"
    )
    assert (sent.succeeded, sent.response_status, sent.error) == (True, None, "")
    assert len(mailoutbox) == 1


# --- re-sending from the admin --------------------------------------------------------


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@wallet.example", "pw")


@pytest.fixture
def operator(db):
    """A supervisor who was also given the right to act on notices."""
    user = make_user("ops.lin", roles.SUPERVISOR)
    user.user_permissions.add(Permission.objects.get(codename="change_notification"))
    return type(user).objects.get(pk=user.pk)


def resend(client, *notices: Notification):
    return client.post(
        reverse("admin:casework_notification_changelist"),
        {"action": "resend", "_selected_action": [notice.pk for notice in notices]},
        follow=True,
    )


@pytest.fixture
def delivered_event(db, agent, subscribed, endpoint) -> Notification:
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    assert outbox.deliver(notice.pk) is True
    notice.refresh_from_db()
    return notice


def test_re_send_sends_a_sent_webhook_again_with_the_same_id(client, superuser, delivered_event, endpoint):
    first_sent_at = delivered_event.sent_at
    client.force_login(superuser)
    response = resend(client, delivered_event)

    first, again = endpoint.received
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == delivered_event.idempotency_key
    assert again.body == first.body
    webhooks.verify(ACME_SECRET, again.headers, again.body, now=timezone.now())
    latest = delivered_event.delivery_attempts.first()
    assert (latest.succeeded, latest.response_status, latest.triggered_by) == (True, 204, superuser)
    delivered_event.refresh_from_db()
    assert (delivered_event.status, delivered_event.sent_at) == (Notification.Status.SENT, first_sent_at)
    assert messages_of(response) == [
        f"Re-sent {delivered_event.idempotency_key} to {endpoint.url}/acme/ (HTTP 204): delivered."
    ]


def test_re_send_delivers_a_webhook_that_was_given_up(
    client, settings, operator, agent, subscribed, endpoint
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    endpoint.status = 500
    accepted(partner_complaint(agent, subscribed), agent)
    notice = partner_events().get()
    outbox.deliver(notice.pk)
    notice.refresh_from_db()
    assert notice.status == Notification.Status.FAILED

    endpoint.status = 204
    client.force_login(operator)
    response = resend(client, notice)

    notice.refresh_from_db()
    assert (notice.status, notice.last_error) == (Notification.Status.SENT, "")
    assert notice.sent_at is not None
    attempts = notice.delivery_attempts.order_by("attempted_at", "pk")
    assert [(a.succeeded, a.triggered_by) for a in attempts] == [(False, None), (True, operator)]
    assert "delivered" in messages_of(response)[0]


def test_a_failed_re_send_says_so_and_leaves_the_notice_as_it_was(
    client, superuser, delivered_event, endpoint
):
    endpoint.status = 500
    client.force_login(superuser)
    response = resend(client, delivered_event)

    delivered_event.refresh_from_db()
    assert delivered_event.status == Notification.Status.SENT
    assert delivered_event.pk not in outbox.due_for_retry(timezone.now() + dt.timedelta(days=1))
    latest = delivered_event.delivery_attempts.first()
    assert (latest.succeeded, latest.response_status, latest.triggered_by) == (False, 500, superuser)
    [message] = messages_of(response)
    assert message.startswith(f"Re-sent {delivered_event.idempotency_key} to {endpoint.url}/acme/: failed, ")
    assert message.endswith(
        "answered HTTP 500 Internal Server Error: partner system down for maintenance. It stays sent."
    )


def test_re_send_skips_pending_notices_and_e_mails(
    client, superuser, agent, subscribed, endpoint, mailoutbox
):
    accepted(partner_complaint(agent, subscribed), agent)
    pending = partner_events().get()
    mail = outbox.enqueue(
        idempotency_key="mail-1", kind="escalation", recipient="t@wallet.example", subject="s", body="b"
    )
    outbox.deliver(mail.pk)
    client.force_login(superuser)
    response = resend(client, pending, mail)

    assert endpoint.received == [] and len(mailoutbox) == 1
    assert not DeliveryAttempt.objects.filter(triggered_by=superuser).exists()
    assert messages_of(response) == [
        "Skipped 2 notice(s): only webhook notices already sent or given up are re-sent "
        "(a pending one goes out with Deliver now)."
    ]


def test_a_user_without_the_permission_cannot_re_send(client, auditor, delivered_event, endpoint):
    client.force_login(auditor)  # may read notices, not act on them
    changelist = client.get(reverse("admin:casework_notification_changelist"))
    assert changelist.status_code == 200
    assert "Re-send webhook" not in changelist.content.decode()

    response = resend(client, delivered_event)  # posted by hand: the action is not there to run
    assert response.status_code == 403
    assert len(endpoint.received) == 1
    assert delivered_event.delivery_attempts.count() == 1


def test_the_re_send_service_refuses_a_user_without_the_permission(auditor, delivered_event):
    with pytest.raises(PermissionRefused, match="permission to re-send"):
        outbox.resend(delivered_event.pk, actor=auditor)


def test_a_supervisor_may_re_send(supervisor, delivered_event, endpoint):
    assert outbox.resend(delivered_event.pk, actor=supervisor).succeeded
    assert len(endpoint.received) == 2
    assert delivered_event.delivery_attempts.filter(triggered_by=supervisor).count() == 1


def test_the_notice_page_shows_its_delivery_attempts(client, supervisor, delivered_event):
    client.force_login(supervisor)
    page = client.get(reverse("admin:casework_notification_change", args=[delivered_event.pk]))
    assert page.status_code == 200
    [inline] = page.context["inline_admin_formsets"]
    assert [form.original for form in inline] == list(delivered_event.delivery_attempts.all())
    assert "delivered" in page.content.decode()


def test_the_notice_list_filters_by_channel_and_finds_a_case_reference(client, supervisor, delivered_event):
    client.force_login(supervisor)
    url = reverse("admin:casework_notification_changelist")
    webhooks_only = client.get(url, {"channel__exact": "webhook"})
    assert list(webhooks_only.context["cl"].result_list) == [delivered_event]
    found = client.get(url, {"q": delivered_event.case_reference})
    assert list(found.context["cl"].result_list) == [delivered_event]
    assert list(client.get(url, {"channel__exact": "email"}).context["cl"].result_list) == []


# --- the demo receiver: manage.py receive_webhooks -----------------------------------


@dataclass
class RunningReceiver:
    server: WebhookReceiver
    output: io.StringIO
    var_dir: Path

    def url(self, code: str) -> str:
        return f"{self.server.url}/{code}/"

    def lines(self) -> list[str]:
        return self.output.getvalue().splitlines()

    def filed(self, code: str) -> list[dict]:
        path = self.var_dir / "webhooks" / f"{code}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@contextmanager
def running_receiver(tmp_path: Path, secrets_for) -> Iterator[RunningReceiver]:
    output = io.StringIO()
    server = WebhookReceiver(0, secrets_for=secrets_for, var_dir=tmp_path, out=OutputWrapper(output))
    with serving(server):
        yield RunningReceiver(server=server, output=output, var_dir=tmp_path)


@pytest.fixture
def receiver(tmp_path) -> Iterator[RunningReceiver]:
    with running_receiver(tmp_path, secrets_from_options([f"acme={ACME_SECRET}"])) as running:
        yield running


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


EVENT = json.dumps(
    {
        "type": "complaint.state_changed",
        "id": "evt_test",
        "timestamp": "2026-11-25T09:30:00+00:00",
        "data": {
            "reference": "CMP-20261125-000001",
            "transition": "accept",
            "from_state": "received",
            "to_state": "accepted",
            "occurred_at": "2026-11-25T09:30:00+00:00",
            "url": "/api/v1/complaints/CMP-20261125-000001/",
        },
    }
).encode()


def test_the_receiver_verifies_a_partners_event_delivered_by_the_outbox(db, agent, partner, receiver):
    subscribe(partner, receiver.url("acme"))
    complaint = accepted(partner_complaint(agent, partner), agent)
    notice = partner_events().get()
    assert outbox.deliver(notice.pk) is True  # the receiver answered 204

    assert receiver.lines() == [
        f"verified complaint.state_changed {complaint.reference} received → accepted for acme"
    ]
    [filed] = receiver.filed("acme")
    assert filed["webhook_id"] == notice.idempotency_key
    assert filed["event"] == json.loads(notice.body)
    assert notice.delivery_attempts.get().response_status == 204


def test_the_receiver_refuses_another_partners_signature(receiver):
    headers = webhooks.headers(GLOBEX_SECRET, "evt_test", EVENT, timezone.now())
    status, reason = post(receiver.url("acme"), EVENT, headers)

    assert (status, reason) == (400, "No matching signature: the body, the id or the secret differ")
    assert receiver.lines() == [
        "REFUSED acme evt_test: No matching signature: the body, the id or the secret differ"
    ]
    assert receiver.filed("acme") == []


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("tampered", "No matching signature"),
        ("replayed", "Timestamp too old"),
        ("unsigned", "Missing header: webhook-id, webhook-timestamp, webhook-signature"),
        ("unknown partner", "no webhook secret is known for partner 'globex'"),
    ],
)
def test_the_receiver_refuses_what_it_cannot_verify(receiver, case, reason):
    now = timezone.now()
    url, body = receiver.url("acme"), EVENT
    headers = webhooks.headers(ACME_SECRET, "evt_test", EVENT, now)
    if case == "tampered":
        body = EVENT.replace(b"accepted", b"resolved")
    elif case == "replayed":
        headers = webhooks.headers(ACME_SECRET, "evt_test", EVENT, now - dt.timedelta(minutes=10))
    elif case == "unsigned":
        headers = {"Content-Type": "application/json"}
    else:
        url = receiver.url("globex")
    status, answer = post(url, body, headers)

    assert status == 400 and reason in answer
    assert receiver.lines()[-1].startswith("REFUSED ") and reason in receiver.lines()[-1]
    assert receiver.filed("acme") == receiver.filed("globex") == []


def test_the_receiver_files_a_repeat_once(receiver):
    first = webhooks.headers(ACME_SECRET, "evt_test", EVENT, timezone.now())
    again = webhooks.headers(ACME_SECRET, "evt_test", EVENT, timezone.now() + dt.timedelta(seconds=30))
    assert post(receiver.url("acme"), EVENT, first)[0] == 204
    assert post(receiver.url("acme"), EVENT, again)[0] == 204

    assert len(receiver.filed("acme")) == 1
    assert receiver.lines()[-1].endswith("(repeat of evt_test: already filed)")


def test_the_receiver_answers_only_partner_paths(receiver):
    headers = webhooks.headers(ACME_SECRET, "evt_test", EVENT, timezone.now())
    assert post(f"{receiver.server.url}/../etc/", EVENT, headers)[0] == 404
    assert post(f"{receiver.server.url}/acme/events/", EVENT, headers)[0] == 404


def test_secrets_on_the_command_line_are_checked(tmp_path):
    with pytest.raises(CommandError, match="PARTNER_CODE=whsec_"):
        secrets_from_options(["acme"])
    with pytest.raises(CommandError, match="--secret for acme: A webhook secret has the form"):
        secrets_from_options(["acme=not-a-secret"])
    with pytest.raises(CommandError, match="either --secret"):
        call_command("receive_webhooks", "--port", "0")


def test_the_receiver_reads_rotated_secrets_from_the_database(
    transactional_db, django_db_serialized_rollback, tmp_path, agent, supervisor, partner
):
    with running_receiver(tmp_path, secrets_from_database) as receiver:
        subscribe(partner, receiver.url("acme"))
        complaint = accepted(partner_complaint(agent, partner), agent)
        assert outbox.deliver(partner_events().get().pk) is True

        new_secret = partner_webhooks.rotate_webhook_secret(partner, actor=supervisor)
        signed_with_old = webhooks.headers(ACME_SECRET, "evt_old", EVENT, timezone.now())
        assert post(receiver.url("acme"), EVENT, signed_with_old)[0] == 400  # the receiver switched
        services.start_complaint(complaint=complaint, actor=agent)
        assert outbox.deliver(partner_events().last().pk) is True  # carries the new signature too

    assert [line.split()[0] for line in receiver.lines()] == ["verified", "REFUSED", "verified"]
    assert [filed["event"]["data"]["to_state"] for filed in receiver.filed("acme")] == [
        "accepted",
        "in_progress",
    ]
    assert Partner.objects.get(pk=partner.pk).webhook_secret == new_secret


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_receive_webhooks_command_stops_cleanly_on_a_signal(tmp_path, stop_signal):
    process = subprocess.Popen(
        [sys.executable, "manage.py", "receive_webhooks", "--port", "0", "--secret", f"acme={ACME_SECRET}"],
        cwd=settings.BASE_DIR,
        env=os.environ | {"VAR_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert banner.startswith("Receiving partner webhooks at http://127.0.0.1:"), process.stderr.read()
        base = banner.split(" at ", 1)[1].split("/<partner code>/", 1)[0]
        headers = webhooks.headers(ACME_SECRET, "evt_test", EVENT, timezone.now())
        assert post(f"{base}/acme/", EVENT, headers)[0] == 204
        assert process.stdout.readline().startswith("verified complaint.state_changed CMP-20261125-000001")
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    assert out.strip().endswith("Stopped receiving webhooks.")
    assert "Traceback" not in err
    assert len((tmp_path / "webhooks" / "acme.jsonl").read_text().splitlines()) == 1


# --- through a real Celery worker ---------------------------------------------------


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, tmp_path) -> Iterator[Worker]:
    with running_worker(tmp_path, queue_prefix="partner-webhook-test") as running:
        yield running


@pytest.mark.worker
def test_a_partner_event_is_delivered_by_a_real_worker(worker, agent, partner, endpoint):
    # The worker is another process: it finds the partner's secret in the database.
    subscribe(partner, f"{endpoint.url}/acme/")
    accepted(partner_complaint(agent, partner), agent)  # committed: on_commit publishes it

    wait_for(
        lambda: worker.results() == ["True"], timeout=DELIVERY_TIMEOUT_S, what="a delivery", worker=worker
    )
    [request] = endpoint.received
    webhooks.verify(ACME_SECRET, request.headers, request.body, now=timezone.now())
    notice = partner_events().get()
    assert request.headers["webhook-id"] == notice.idempotency_key
    assert notice.status == Notification.Status.SENT
    assert notice.delivery_attempts.get().response_status == 204
