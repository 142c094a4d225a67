"""Payment instructions through a real Celery worker process to a real payments server.

The worker (``casework.tests.worker``) runs on the configured broker and the test
database; the payments system is an HTTP server on 127.0.0.1 in a thread of this test,
recording every POST it receives. Delivery is at least once: a worker killed while the
request is in flight leaves the notice pending, and it is sent again with the same
``webhook-id``, by which the payments system pays it once. The instruction itself is
written once, with the submission, whatever happens to the worker.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from casework.models import Notification
from casework.notices import outbox, webhooks
from casework.tests.worker import DELIVERY_TIMEOUT_S, Worker, running_worker, wait_for
from refunds import services
from refunds.models import PaymentInstruction, RefundCase, RefundState
from refunds.tests.factories import refund_in_state

PATH = "/v1/refund-instructions"
# The secret the workers sign with: this test's own, so a pass proves the configured one
# is used (not the demo secret, nor whatever the environment holds).
SIGNING_SECRET = "whsec_" + base64.b64encode(b"refunds worker test, not a real key").decode()
WORKER_ENV = {"PAYMENTS_SIGNING_SECRET": SIGNING_SECRET}


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    sender_port: int = 0


@dataclass
class PaymentsServer:
    """What reached the payments system; with ``hold_first``, the first request waits for
    ``release`` before it is answered, as a slow payments system would."""

    url: str = ""
    hold_first: bool = False
    deliveries: list[Delivery] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, delivery: Delivery) -> bool:
        """Record one delivery; True if it is the one to hold."""
        with self.lock:
            self.deliveries.append(delivery)
            first = len(self.deliveries) == 1
        self.arrived.set()
        return first and self.hold_first

    def webhook_ids(self) -> list[str]:
        with self.lock:
            return [d.headers["webhook-id"] for d in self.deliveries]


def handler_for(server: PaymentsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {name.lower(): value for name, value in self.headers.items()}
            held = server.receive(Delivery(self.path, headers, body, self.client_address[1]))
            if held:
                server.release.wait(timeout=120)
            answer = json.dumps({"status": "accepted"}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:  # the sender died while we held its request
                pass

        def log_message(self, format: str, *args) -> None:
            pass

    return Handler


def serve(server: PaymentsServer, settings) -> Iterator[PaymentsServer]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(server))
    http.daemon_threads = True
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{http.server_address[1]}{PATH}"
    settings.PAYMENTS_ENDPOINT_URL = server.url  # read when the instruction is written
    try:
        yield server
    finally:
        server.release.set()
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)


@pytest.fixture
def payments_server(settings) -> Iterator[PaymentsServer]:
    yield from serve(PaymentsServer(), settings)


@pytest.fixture
def slow_payments_server(settings) -> Iterator[PaymentsServer]:
    yield from serve(PaymentsServer(hold_first=True), settings)


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, tmp_path) -> Iterator[Worker]:
    with running_worker(tmp_path, queue_prefix="refunds-worker-test", env=WORKER_ENV) as running:
        yield running


def submitted(agent, desk) -> tuple[RefundCase, PaymentInstruction, Notification]:
    """An approved refund submitted for real: the commit hands the instruction to the worker."""
    case = refund_in_state(RefundState.APPROVED, agent=agent, desk=desk)
    services.submit_to_payments(case=case, actor=desk)
    instruction = PaymentInstruction.objects.get(case=case)
    notice = Notification.objects.get(idempotency_key=instruction.idempotency_key)
    return case, instruction, notice


def verified(delivery: Delivery) -> dict:
    """The payload, once its Standard Webhooks signature checks out with the workers' secret."""
    webhooks.verify(SIGNING_SECRET, delivery.headers, delivery.body, now=timezone.now())
    return json.loads(delivery.body)


def process_sending_from(port: int, parent: int) -> int:
    """The worker's pool process that holds the connection from local ``port``."""
    inodes = {
        columns[9]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (columns := line.split())[1].endswith(f":{port:04X}")
    }
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != parent:
                continue
            sockets = {os.readlink(fd) for fd in (stat.parent / "fd").iterdir()}
        except OSError:  # gone meanwhile
            continue
        if any(f"socket:[{inode}]" in sockets for inode in inodes):
            return int(stat.parent.name)
    raise AssertionError(f"no process of worker {parent} sends from port {port}")


@pytest.mark.worker
def test_a_payment_instruction_reaches_the_payments_system_once_and_signed(
    worker, payments_server, agent, refunds_desk
):
    case, instruction, notice = submitted(agent, refunds_desk)
    # The retry sweep publishes the same notice again while the first delivery is in flight.
    outbox.publish(notice.pk)

    wait_for(
        lambda: len(worker.results()) >= 2, timeout=DELIVERY_TIMEOUT_S, what="two deliveries", worker=worker
    )

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    assert sorted(worker.results()) == ["False", "True"]  # one sent it, the other found it sent
    [delivery] = payments_server.deliveries
    assert delivery.path == PATH
    assert delivery.headers["webhook-id"] == instruction.idempotency_key == f"{case.reference}-PAY-1"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.body == notice.body.encode()  # byte for byte, as signed
    assert verified(delivery) == {
        "type": "refund.payment_instruction",
        "idempotency_key": instruction.idempotency_key,
        "refund_reference": case.reference,
        "attempt": 1,
        "transaction_reference": case.transaction.reference,
        "merchant": case.transaction.merchant,
        "amount": "300.00",
        "currency": "CNY",
    }
    # The signature covers the body: a changed amount does not verify.
    with pytest.raises(webhooks.InvalidSignature):
        verified(Delivery(delivery.path, delivery.headers, delivery.body.replace(b"300.00", b"900.00")))
    assert PaymentInstruction.objects.filter(case=case).count() == 1
    assert RefundCase.objects.get(pk=case.pk).state == RefundState.PROCESSING
    assert "Traceback" not in worker.read_log()


@pytest.mark.worker
def test_a_worker_killed_mid_delivery_leaves_one_instruction_and_a_fresh_worker_resends_the_same_id(
    transactional_db, django_db_serialized_rollback, tmp_path, slow_payments_server, agent, refunds_desk
):
    server = slow_payments_server
    (tmp_path / "killed").mkdir()
    (tmp_path / "fresh").mkdir()
    with running_worker(tmp_path / "killed", queue_prefix="refunds-killed", env=WORKER_ENV) as killed:
        case, instruction, notice = submitted(agent, refunds_desk)
        assert server.arrived.wait(timeout=DELIVERY_TIMEOUT_S), killed.read_log()
        # The request is in flight, the notice's row claimed but not committed: kill it all.
        os.killpg(killed.process.pid, signal.SIGKILL)
        killed.process.wait(timeout=30)
    server.release.set()

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 0)  # the claim rolled back
    with running_worker(tmp_path / "fresh", queue_prefix="refunds-fresh", env=WORKER_ENV) as fresh:
        # Beat's outbox sweep finds the notice once its first retry is due, for a worker.
        due = outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER)
        assert due == [notice.pk]
        for notification_id in due:
            outbox.publish(notification_id)
        wait_for(
            lambda: fresh.results() == ["True"], timeout=DELIVERY_TIMEOUT_S, what="the resend", worker=fresh
        )

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    assert server.webhook_ids() == [instruction.idempotency_key] * 2  # at least once, one id
    assert [verified(d) for d in server.deliveries] == [json.loads(notice.body)] * 2
    assert PaymentInstruction.objects.filter(case=case).count() == 1
    assert Notification.objects.filter(kind="payment_instruction", case_reference=case.reference).count() == 1
    assert RefundCase.objects.get(pk=case.pk).state == RefundState.PROCESSING


@pytest.mark.worker
def test_a_pool_process_killed_mid_delivery_is_replaced_and_the_task_redelivered_with_the_same_id(
    worker, slow_payments_server, agent, refunds_desk
):
    server = slow_payments_server
    case, instruction, notice = submitted(agent, refunds_desk)
    assert server.arrived.wait(timeout=DELIVERY_TIMEOUT_S), worker.read_log()

    # Only the pool process sending it dies: the worker rejects the unacknowledged task back
    # to the broker (acks_late, reject_on_worker_lost) and another pool process takes it.
    os.kill(process_sending_from(server.deliveries[0].sender_port, worker.process.pid), signal.SIGKILL)
    server.release.set()

    wait_for(
        lambda: worker.results() == ["True"],
        timeout=DELIVERY_TIMEOUT_S,
        what="the redelivered task",
        worker=worker,
    )

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    assert "WorkerLostError" in worker.read_log()
    assert server.webhook_ids() == [instruction.idempotency_key] * 2
    assert [verified(d) for d in server.deliveries] == [json.loads(notice.body)] * 2
    assert PaymentInstruction.objects.filter(case=case).count() == 1
