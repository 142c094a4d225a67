"""The escalation notice through a real Celery worker process, and through the outbox sweep
when the broker is down.

The worker is another process: it must see committed rows (``transactional_db``) in the
test database actually in use, on the broker the settings name (``filesystem://`` locally,
Redis in CI). It consumes a queue of its own, so a demo worker on the same broker, or
another test run, can neither steal these messages nor feed it stale ones. E-mail goes to
files, one per message sent, so the test counts what left the building.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from casework import outbox
from casework.models import Notification
from complaints import services
from complaints.models import Complaint
from config.celery import app as celery_app
from conftest import own_queue, require_service

DELIVER_TASK = "casework.tasks.deliver_notification"
READY_TIMEOUT_S = 60
DELIVERY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def database_url_in_use() -> str:
    """The URL of the database this test runs on (pytest-django's test copy)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    configured = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(configured._replace(path=f"/{db['NAME']}"))


def broker_is_reachable() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        return True
    except Exception:
        return False


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    mail_dir: Path

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results(self) -> list[str]:
        """What each finished delivery task returned, in order."""
        return re.findall(
            rf"Task {re.escape(DELIVER_TASK)}\[[^\]]+\] succeeded in [^:]+: (\w+)", self.read_log()
        )

    def mails_about(self, reference: str) -> list[Path]:
        if not self.mail_dir.exists():
            return []
        return [
            path for path in sorted(self.mail_dir.iterdir()) if reference in path.read_text(errors="replace")
        ]


def wait_for(condition, *, timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(
                f"the worker exited ({worker.process.returncode}) while waiting for {what}:\n"
                f"{worker.read_log()}"
            )
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s; worker log:\n{worker.read_log()}")


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, tmp_path) -> Iterator[Worker]:
    require_service(broker_is_reachable(), f"the Celery broker at {settings.CELERY_BROKER_URL}")
    mail_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url_in_use(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),  # the filesystem broker's folders live there
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    with own_queue("worker-test") as queue, log.open("wb") as log_file:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=prefork", "--concurrency=2",  # two children: the two deliveries really race
            "--queues", queue, "--hostname", f"{queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO",
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole if it hangs
        )
        running = Worker(process=process, log=log, mail_dir=mail_dir)
        try:
            wait_for(
                lambda: " ready." in running.read_log(),
                timeout=READY_TIMEOUT_S,
                what="ready worker",
                worker=running,
            )
            yield running
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown (finish the task in hand), then kill the group if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()  # the main process stops its pool children itself
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)


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
    services.accept_complaint(complaint=complaint, actor=agent)
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
