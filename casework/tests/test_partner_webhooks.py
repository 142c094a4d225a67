"""Webhooks to partners: each transition of a partner's case is one signed event, written
with the transition, delivered through the outbox to a real HTTP server on the loopback,
signed with the partner's secrets (both while one rotates), retried and recorded try by
try, and delivered by a real worker. Re-sending from the admin and the demo receiver have
their own ``test_partner_webhook_*.py`` modules."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from accounts.models import AccountRequest
from casework.models import Notification, Partner
from casework.notices import outbox, partner_webhooks, webhooks
from casework.tests.partner_endpoint import (
    ACME_SECRET,
    GLOBEX_SECRET,
    INTERNAL_REASON,
    accepted,
    partner_complaint,
    partner_events,
    subscribe,
)
from casework.tests.worker import DELIVERY_TIMEOUT_S, Worker, running_worker, wait_for
from casework.trail.audit import records_for
from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import register
from refunds import services as refund_services
from refunds.tests.factories import open_refund


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
