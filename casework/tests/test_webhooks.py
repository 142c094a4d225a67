"""Signed webhooks: the Standard Webhooks scheme, delivery through the outbox to a real HTTP
server on the loopback, the demo payments receiver, and one webhook through a real worker."""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone

import config.urls
from casework.models import Notification
from casework.notices import outbox, webhooks
from casework.tests.worker import DELIVERY_TIMEOUT_S, Worker, running_worker, wait_for

SECRET = "whsec_" + base64.b64encode(b"payments-secret-for-tests-only!!").decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(b"the-next-payments-secret-to-use!").decode()
STRANGER_SECRET = "whsec_" + base64.b64encode(b"a-secret-the-payments-side-lacks").decode()
NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)
KEY = "refund-1-payment-instruction-v1"
# Non-ASCII and odd spacing on purpose: what is signed and sent is the stored text, as is.
INSTRUCTION = (
    '{"refund": "RFD-20261125-000001",  "amount": "86.40", "currency": "CNY",\n'
    ' "merchant": "罗森 上海徐汇店", "original_transaction": "QR20261125081533"}'
)
DEMO_PATH = "/demo/payments/instructions/"


def signed(body: str | bytes, *, msg_id: str = "msg_1", secret: str = SECRET, now=NOW) -> dict[str, str]:
    return webhooks.headers(secret, msg_id, body, now)


# --- the signing scheme -------------------------------------------------------------


def test_signatures_match_the_standard_webhooks_reference():
    # The scheme's published example: the same bytes as every other implementation.
    signature = webhooks.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        '{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_headers_verify_with_the_same_secret():
    headers = signed(INSTRUCTION, msg_id=KEY)
    assert headers["webhook-id"] == KEY
    assert headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["Content-Type"] == "application/json"
    webhooks.verify(SECRET, headers, INSTRUCTION.encode(), now=NOW)  # bytes on the wire
    webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW + dt.timedelta(seconds=300))


def test_a_tampered_body_is_refused():
    headers = signed(INSTRUCTION)
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(SECRET, headers, INSTRUCTION.replace("86.40", "8640.00"), now=NOW)


def test_a_signature_by_another_secret_is_refused():
    headers = signed(INSTRUCTION, secret=STRANGER_SECRET)
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)


def test_a_signature_for_another_id_is_refused():
    headers = signed(INSTRUCTION, msg_id="msg_1") | {"webhook-id": "msg_2"}
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)


@pytest.mark.parametrize(
    ("received_after_s", "message"),
    [
        (301, "Timestamp too old: signed 301 s ago, over the 300 s allowed"),
        (-301, "Timestamp too new: signed 301 s in the future, over the 300 s allowed"),
    ],
)
def test_a_stale_or_future_timestamp_is_refused(received_after_s, message):
    headers = signed(INSTRUCTION)
    with pytest.raises(webhooks.InvalidSignature, match=message):
        webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW + dt.timedelta(seconds=received_after_s))


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(header):
    headers = signed(INSTRUCTION)
    del headers[header]
    with pytest.raises(webhooks.InvalidSignature, match=f"Missing header: {header}"):
        webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)


def test_a_timestamp_that_is_not_a_number_is_refused():
    headers = signed(INSTRUCTION) | {"webhook-timestamp": "yesterday"}
    with pytest.raises(webhooks.InvalidSignature, match="not a Unix time"):
        webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)


def test_header_names_are_read_whatever_their_case():
    headers = {name.upper(): value for name, value in signed(INSTRUCTION).items()}
    webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)


def test_either_of_two_signatures_is_accepted_while_the_secret_rotates():
    timestamp = int(NOW.timestamp())
    old = webhooks.sign(SECRET, "msg_1", timestamp, INSTRUCTION)
    new = webhooks.sign(ROTATED_SECRET, "msg_1", timestamp, INSTRUCTION)
    headers = signed(INSTRUCTION) | {"webhook-signature": f"v1a,c29tZXRoaW5nIGVsc2U= {old} {new}"}
    webhooks.verify(SECRET, headers, INSTRUCTION, now=NOW)  # a receiver not yet rotated
    webhooks.verify(ROTATED_SECRET, headers, INSTRUCTION, now=NOW)  # one already rotated
    with pytest.raises(webhooks.InvalidSignature, match="No matching signature"):
        webhooks.verify(STRANGER_SECRET, headers, INSTRUCTION, now=NOW)


@pytest.mark.parametrize("secret", ["payments-secret", "whsec_not base64!", "whsec_"])
def test_a_secret_not_in_whsec_base64_form_is_refused(secret):
    with pytest.raises(ValueError, match="webhook secret"):
        webhooks.sign(secret, "msg_1", 1, INSTRUCTION)


def test_unpadded_secrets_sign_like_padded_ones():
    assert webhooks.sign(SECRET.rstrip("="), "msg_1", 1, "{}") == webhooks.sign(SECRET, "msg_1", 1, "{}")


def test_the_payments_secret_is_read_from_settings_at_each_use(settings):
    settings.PAYMENTS_SIGNING_SECRET = SECRET
    assert webhooks.secret_for("payments") == SECRET
    settings.PAYMENTS_SIGNING_SECRET = ROTATED_SECRET
    assert webhooks.secret_for("payments") == ROTATED_SECRET


def test_an_unregistered_signing_key_is_a_clear_error():
    with pytest.raises(webhooks.UnknownSigningKey, match="No webhook secret is registered as 'partner-acme'"):
        webhooks.secret_for("partner-acme")


# --- delivery through the outbox to a real HTTP server -----------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class PaymentsServer(ThreadingHTTPServer):
    """A payments endpoint on the loopback: records each POST, answers ``status``."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.received: list[Received] = []
        self.status = 200
        self.answer_after_s = 0.0
        self.closing = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/payments/instructions"

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up waiting leaves a broken pipe behind: expected here


class RecordingHandler(BaseHTTPRequestHandler):
    server: PaymentsServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append(Received(path=self.path, headers=headers, body=body))
        if self.server.answer_after_s:
            self.server.closing.wait(self.server.answer_after_s)
        status = self.server.status
        answer = b'{"status": "accepted"}' if status < 300 else b'{"error": "ledger unavailable"}'
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args) -> None:
        pass


@pytest.fixture
def payments_server() -> Iterator[PaymentsServer]:
    server = PaymentsServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def payments_secret(settings) -> str:
    settings.PAYMENTS_SIGNING_SECRET = SECRET
    return SECRET


def enqueue_instruction(url: str, *, key: str = KEY, signing_key: str = "payments") -> Notification:
    return outbox.enqueue(
        idempotency_key=key,
        kind="payment_instruction",
        channel=Notification.Channel.WEBHOOK,
        signing_key=signing_key,
        recipient=url,
        subject="RFD-20261125-000001: pay 86.40 CNY back",
        body=INSTRUCTION,
    )


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and nothing listens once closed
    return f"http://127.0.0.1:{port}/payments/instructions"


def test_a_webhook_notice_names_its_channel_and_secret_not_the_secret_itself(db, payments_secret):
    notice = enqueue_instruction("https://payments.wallet.example/instructions")
    notice.refresh_from_db()
    assert (notice.channel, notice.signing_key, notice.kind) == ("webhook", "payments", "payment_instruction")
    assert SECRET not in {notice.signing_key, notice.body, notice.subject, notice.recipient}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signing_key": ""}, "needs a signing_key"),
        ({"recipient": "file:///etc/passwd"}, "http\\(s\\) URL"),
        ({"recipient": "payments.wallet.example/instructions"}, "http\\(s\\) URL"),
        ({"body": "pay 86.40 CNY"}, "body is JSON text"),
    ],
)
def test_enqueue_refuses_a_webhook_it_could_never_send(db, overrides, message):
    arguments = {
        "idempotency_key": KEY,
        "kind": "payment_instruction",
        "channel": Notification.Channel.WEBHOOK,
        "signing_key": "payments",
        "recipient": "https://payments.wallet.example/instructions",
        "subject": "RFD-20261125-000001",
        "body": INSTRUCTION,
    } | overrides
    with pytest.raises(ValueError, match=message):
        outbox.enqueue(**arguments)
    assert not Notification.objects.exists()


def test_a_webhook_is_posted_signed_with_its_body_byte_for_byte(db, payments_server, payments_secret):
    notice = enqueue_instruction(payments_server.url)
    assert outbox.deliver(notice.pk) is True

    [request] = payments_server.received
    assert request.path == "/payments/instructions"
    assert request.body == INSTRUCTION.encode("utf-8")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == notice.idempotency_key  # the receiver dedupes resends by it
    webhooks.verify(SECRET, request.headers, request.body, now=timezone.now())
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (Notification.Status.SENT, 1, "")
    assert notice.sent_at is not None


def test_delivering_the_same_webhook_twice_sends_it_once(db, payments_server, payments_secret):
    notice = enqueue_instruction(payments_server.url)
    assert outbox.deliver(notice.pk) is True
    assert outbox.deliver(notice.pk) is False
    assert len(payments_server.received) == 1


def test_a_500_answer_keeps_the_webhook_pending_with_backoff(db, payments_server, payments_secret):
    payments_server.status = 500
    notice = enqueue_instruction(payments_server.url)
    before = timezone.now()
    assert outbox.deliver(notice.pk) is False
    after = timezone.now()

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 1)
    assert notice.last_error == (
        f"WebhookRefused: {payments_server.url} answered HTTP 500 Internal Server Error: "
        '{"error": "ledger unavailable"}'
    )
    assert before + outbox.backoff(1) <= notice.next_attempt_at <= after + outbox.backoff(1)
    assert notice.pk in outbox.due_for_retry(notice.next_attempt_at)
    assert len(payments_server.received) == 1


def test_a_refused_webhook_goes_out_on_retry_with_the_same_id(db, payments_server, payments_secret):
    payments_server.status = 503
    notice = enqueue_instruction(payments_server.url)
    outbox.deliver(notice.pk)
    payments_server.status = 200
    assert outbox.deliver(notice.pk) is True

    first, second = payments_server.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == KEY
    assert first.body == second.body
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (Notification.Status.SENT, 2, "")


def test_a_redirect_is_a_failure_not_a_delivery(db, payments_server, payments_secret):
    payments_server.status = 302
    notice = enqueue_instruction(payments_server.url)
    assert outbox.deliver(notice.pk) is False
    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert notice.last_error.startswith(f"WebhookRefused: {payments_server.url} answered HTTP 302 Found")
    assert len(payments_server.received) == 1  # not re-sent, as a GET or otherwise, to /elsewhere


def test_an_unreachable_receiver_is_a_failure_retried_later(db, payments_secret):
    url = closed_port_url()
    notice = enqueue_instruction(url)
    assert outbox.deliver(notice.pk) is False

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 1)
    assert notice.last_error.startswith(f"WebhookUnreachable: {url} is unreachable:")
    assert "Connection refused" in notice.last_error
    assert notice.pk not in outbox.due_for_retry(timezone.now())
    assert notice.pk in outbox.due_for_retry(notice.next_attempt_at)


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(db, settings, payments_server, payments_secret):
    settings.WEBHOOK_TIMEOUT = 0.5
    payments_server.answer_after_s = 10
    notice = enqueue_instruction(payments_server.url)
    started = time.monotonic()
    assert outbox.deliver(notice.pk) is False
    assert time.monotonic() - started < 5  # the row lock is not held for the receiver's 10 s

    notice.refresh_from_db()
    assert notice.status == Notification.Status.PENDING
    assert notice.last_error == f"WebhookUnreachable: {payments_server.url} did not answer within 0.5 s"


def test_a_webhook_is_given_up_after_the_maximum_attempts(db, settings, payments_server, payments_secret):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    payments_server.status = 500
    notice = enqueue_instruction(payments_server.url)
    for _ in range(3):
        assert outbox.deliver(notice.pk) is False

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.FAILED, 3)
    assert "answered HTTP 500" in notice.last_error
    assert notice.pk not in outbox.due_for_retry(timezone.now() + dt.timedelta(days=1))
    payments_server.status = 200
    assert outbox.deliver(notice.pk) is False  # failed is final: an operator re-queues by hand
    assert len(payments_server.received) == 3


def test_an_unknown_signing_key_fails_the_delivery_without_sending(db, payments_server):
    notice = enqueue_instruction(payments_server.url, signing_key="partner-acme")
    assert outbox.deliver(notice.pk) is False

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 1)
    assert notice.last_error.startswith(
        "UnknownSigningKey: No webhook secret is registered as 'partner-acme'"
    )
    assert payments_server.received == []


# --- the demo payments receiver -----------------------------------------------------


def use_urlconf(monkeypatch, settings, *, demo_receiver: bool) -> None:
    """Serve requests from a fresh load of config/urls.py, as a server started with
    DEMO_PAYMENTS_RECEIVER set so would: the real module, run under that setting."""
    settings.DEMO_PAYMENTS_RECEIVER = demo_receiver
    name = f"config.urls_with_demo_receiver_{'on' if demo_receiver else 'off'}"
    spec = importlib.util.spec_from_file_location(name, config.urls.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, name, module)
    settings.ROOT_URLCONF = name  # pytest-django's settings fixture clears the URL caches


@pytest.fixture
def demo_receiver(monkeypatch, settings, tmp_path, payments_secret):
    settings.VAR_DIR = tmp_path / "var"
    use_urlconf(monkeypatch, settings, demo_receiver=True)
    return settings.VAR_DIR / "payments"


def post_instruction(client, body: str | bytes, headers: dict[str, str]):
    headers = {name: value for name, value in headers.items() if name != "Content-Type"}
    return client.post(DEMO_PATH, data=body, content_type="application/json", headers=headers)


def test_the_demo_receiver_files_a_signed_instruction(client, demo_receiver):
    body = INSTRUCTION.encode()
    response = post_instruction(client, body, signed(body, msg_id=KEY, now=timezone.now()))

    assert response.status_code == 200
    assert response.json() == {"webhook_id": KEY, "status": "accepted"}
    assert [path.name for path in demo_receiver.iterdir()] == [f"{KEY}.json"]
    assert (demo_receiver / f"{KEY}.json").read_bytes() == body


def forgeries(body: bytes) -> dict[str, tuple[bytes, dict[str, str], str]]:
    """What an impostor or a replayer might send: (body, headers, the refusal's reason)."""
    now = timezone.now()
    genuine = signed(body, msg_id=KEY, now=now)
    return {
        "tampered body": (body.replace(b"86.40", b"8640.00"), genuine, "No matching signature"),
        "other secret": (body, signed(body, msg_id=KEY, secret=STRANGER_SECRET, now=now), "No matching"),
        "replayed": (body, signed(body, msg_id=KEY, now=now - dt.timedelta(minutes=10)), "Timestamp too old"),
        "unsigned": (body, {}, "Missing header: webhook-id, webhook-timestamp, webhook-signature"),
    }


@pytest.mark.parametrize("forgery", ["tampered body", "other secret", "replayed", "unsigned"])
def test_the_demo_receiver_refuses_what_it_cannot_verify(client, demo_receiver, forgery):
    body, headers, reason = forgeries(INSTRUCTION.encode())[forgery]
    response = post_instruction(client, body, headers)

    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_signature"
    assert reason in error["message"]
    assert not demo_receiver.exists() or list(demo_receiver.iterdir()) == []


def test_a_resent_instruction_is_answered_200_and_filed_once(client, demo_receiver):
    first = INSTRUCTION.encode()
    post_instruction(client, first, signed(first, msg_id=KEY, now=timezone.now()))
    # A resend after a worker died mid-send: same id, signed again later; even a changed
    # body under the same id changes nothing already filed.
    again = INSTRUCTION.replace("86.40", "99.99").encode()
    later = timezone.now() + dt.timedelta(seconds=90)
    response = post_instruction(client, again, signed(again, msg_id=KEY, now=later))

    assert response.status_code == 200
    assert response.json() == {"webhook_id": KEY, "status": "duplicate"}
    assert [path.name for path in demo_receiver.iterdir()] == [f"{KEY}.json"]
    assert (demo_receiver / f"{KEY}.json").read_bytes() == first


def test_the_demo_receiver_takes_no_id_that_is_not_a_plain_file_name(client, demo_receiver, tmp_path):
    body = INSTRUCTION.encode()
    response = post_instruction(client, body, signed(body, msg_id="../../escaped", now=timezone.now()))
    assert response.status_code == 400
    assert not (tmp_path / "escaped.json").exists()
    assert not demo_receiver.exists() or list(demo_receiver.iterdir()) == []


def test_the_demo_receiver_answers_post_only(client, demo_receiver):
    assert client.get(DEMO_PATH).status_code == 405


def test_the_demo_receiver_is_not_routed_when_the_setting_is_off(client, monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.PAYMENTS_SIGNING_SECRET = SECRET
    use_urlconf(monkeypatch, settings, demo_receiver=False)
    body = INSTRUCTION.encode()
    response = post_instruction(client, body, signed(body, msg_id=KEY, now=timezone.now()))

    assert response.status_code == 404
    with pytest.raises(Resolver404):
        resolve(DEMO_PATH)
    assert not (settings.VAR_DIR / "payments").exists()


def test_the_demo_receiver_is_routed_when_the_setting_is_on(demo_receiver):
    assert resolve(DEMO_PATH).url_name == "demo-payments-instructions"


def test_a_payment_instruction_reaches_the_demo_receiver_through_the_outbox(
    transactional_db, django_db_serialized_rollback, live_server, demo_receiver
):
    # transactional_db by name, not only through live_server: pytest-django then runs this
    # test among the transactional ones, after every test that expects the migrated data.
    notice = enqueue_instruction(live_server.url + DEMO_PATH)
    assert outbox.deliver(notice.pk) is True
    assert (demo_receiver / f"{KEY}.json").read_bytes() == INSTRUCTION.encode()
    assert json.loads((demo_receiver / f"{KEY}.json").read_text())["amount"] == "86.40"


# --- through a real Celery worker ---------------------------------------------------


@pytest.fixture
def worker(transactional_db, django_db_serialized_rollback, tmp_path) -> Iterator[Worker]:
    # The worker is another process: it signs with the secret its environment gives it.
    with running_worker(
        tmp_path, queue_prefix="webhook-worker-test", env={"PAYMENTS_SIGNING_SECRET": SECRET}
    ) as running:
        yield running


@pytest.mark.worker
def test_a_webhook_is_delivered_once_by_a_real_worker(worker, payments_server):
    # Committed for real: on_commit hands the notice to the worker's queue.
    notice = enqueue_instruction(payments_server.url)
    # The retry sweep publishes the same notice again while the first delivery is in flight.
    outbox.publish(notice.pk)

    wait_for(
        lambda: len(worker.results()) >= 2, timeout=DELIVERY_TIMEOUT_S, what="two deliveries", worker=worker
    )

    assert sorted(worker.results()) == ["False", "True"]  # one sent it, the other found it sent
    [request] = payments_server.received
    assert request.headers["webhook-id"] == KEY
    assert request.body == INSTRUCTION.encode("utf-8")
    webhooks.verify(SECRET, request.headers, request.body, now=timezone.now())
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    assert "Traceback" not in worker.read_log()
