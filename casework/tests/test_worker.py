"""The escalation notice through a real Celery worker process, and through the outbox sweep
when the broker is down.

The worker (``casework.tests.worker``) is another process on its own queue, seeing the
committed rows of the test database; e-mail goes to files, one per message sent, so the
test counts what left the building.
"""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from celery import Celery
from django.utils import timezone

from casework.models import Notification
from casework.notices import outbox
from casework.tests.worker import DELIVERY_TIMEOUT_S, Worker, running_worker, wait_for
from complaints import services
from complaints.models import Complaint
from config.celery import app as celery_app


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, tmp_path) -> Iterator[Worker]:
    with running_worker(tmp_path, queue_prefix="worker-test") as running:
        yield running


def escalate(agent, team, **details) -> Complaint:
    complaint = services.register_complaint(
        actor=agent,
        channel="phone",
        category="transaction",
        customer_name="Wang Jianguo",
        customer_phone="13800138000",
        account_number="WLT-1100-0042",
        description="QR payment showed 'failed (5003)' but 86.40 CNY left the balance; paid again.",
        transaction_at=timezone.now() - dt.timedelta(hours=2),
        amount=Decimal("86.40"),
        transaction_reference="QR20261125081533",
        merchant="Lawson Shanghai Xuhui store",
        device="Xiaomi 14, HyperOS 1.0, wallet app 10.6.2",
        **details,
    )
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    # No acceptance SMS: these tests count the deliveries of the escalation notice alone.
    services.accept_complaint(complaint=complaint, actor=agent, tell_customer=False)
    return services.escalate_complaint(
        complaint=complaint, actor=agent, team=team, reason="Debit without settlement: trace and reverse"
    )


@pytest.mark.worker
def test_escalation_notice_is_delivered_once_by_a_real_worker(worker, agent, technical_team):
    # Committed for real: on_commit hands the notice to the worker's queue.
    complaint = escalate(agent, technical_team)
    notice = Notification.objects.get(kind="escalation", case_reference=complaint.reference)
    # The retry sweep publishes the same notice again while the first delivery is in flight.
    outbox.publish(notice.pk)

    wait_for(
        lambda: len(worker.results()) >= 2, timeout=DELIVERY_TIMEOUT_S, what="two deliveries", worker=worker
    )

    notice.refresh_from_db()
    assert notice.status == Notification.Status.SENT
    assert notice.attempts == 1 and notice.sent_at is not None
    assert sorted(worker.results()) == ["False", "True"]  # one sent it, the other found it sent
    [mail] = worker.mails_about(complaint.reference)
    text = mail.read_text()
    assert f"Subject: [{complaint.reference}] escalated to Technical team" in text
    assert "To: tech-team@wallet.example" in text
    assert f"X-Idempotency-Key: {notice.idempotency_key}" in text
    assert "Traceback" not in worker.read_log()


@contextmanager
def broker_down() -> Iterator[None]:
    """Publish through a Celery app whose broker refuses connections, as when Redis is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # free, and nothing listens once closed
    down = Celery("broker-down", set_as_current=False)
    # The write URL: Celery prefers a CELERY_BROKER_URL in the environment (CI) to broker_url.
    down.conf.update(broker_write_url=f"redis://127.0.0.1:{closed_port}/0", broker_connection_timeout=2)
    down.set_current()  # the shared task proxies resolve through the current app
    try:
        yield
    finally:
        celery_app.set_current()
        down.close()


def test_a_notice_written_while_the_broker_is_down_goes_out_with_the_outbox_sweep(
    agent, technical_team, django_capture_on_commit_callbacks, mailoutbox, caplog
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True) as published:
        complaint = escalate(agent, technical_team)
    assert len(published) == 1  # the hand-off was attempted after commit, and failed
    assert "Broker unavailable; notice" in caplog.text
    notice = Notification.objects.get(kind="escalation")
    assert complaint.state == "escalated"  # the escalation itself is not lost either
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 0)

    # The sweep leaves it to the worker for a while, then finds it due once the broker is back.
    assert outbox.due_for_retry(timezone.now()) == []
    due = outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER)
    assert due == [notice.pk]
    assert [outbox.deliver(pk) for pk in due] == [True]

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    [mail] = mailoutbox
    assert mail.subject.startswith(f"[{complaint.reference}] escalated to Technical team")
    assert outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER) == []
