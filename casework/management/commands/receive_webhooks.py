"""A stand-in for the partners' webhook endpoints, so the demo shows both ends on one machine.

    python manage.py receive_webhooks --port 8001 --secret acme=whsec_... [--secret ...]
    python manage.py receive_webhooks --port 8001 --from-database

It listens on 127.0.0.1 only and behaves as a partner's receiver must: POST /<partner
code>/ is believed only when its Standard Webhooks signature verifies with that
partner's secret (204), and refused otherwise (400, with the reason). ``webhook-id`` is
the idempotency key: a re-send is acknowledged and filed once. Verified events are
appended to ``VAR_DIR/webhooks/<code>.jsonl``.

With ``--from-database`` each request reads the partner's current secret from the back
office's database (the demo shares it), so a secret rotated in the admin is the one
checked at once: the webhooks sent during the overlap still verify, as they carry both
signatures.
"""

from __future__ import annotations

import json
import re
import signal
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connections
from django.utils import timezone

from casework.models import Partner
from casework.notices import webhooks

HOST = "127.0.0.1"
PARTNER_PATH = re.compile(r"/(?P<code>[A-Za-z0-9][A-Za-z0-9_-]*)/?")
MAX_BODY_BYTES = 1024 * 1024

SecretLookup = Callable[[str], Sequence[str]]


def secrets_from_database(code: str) -> list[str]:
    """The secret an active partner holds now, as the admin last set it."""
    found = Partner.objects.filter(code=code, is_active=True).values_list("webhook_secret", flat=True)
    secret = found.first()
    return [secret] if secret else []


def secrets_from_options(pairs: Sequence[str]) -> SecretLookup:
    """``CODE=whsec_…`` pairs; one code may be given twice (a partner holding two secrets)."""
    table: dict[str, list[str]] = {}
    for pair in pairs:
        code, equals, secret = pair.partition("=")
        if not equals or not PARTNER_PATH.fullmatch(f"/{code}/"):
            raise CommandError(f"--secret takes PARTNER_CODE=whsec_…, not {pair!r}")
        try:
            webhooks.sign(secret, "check", 0, b"")
        except ValueError as exc:
            raise CommandError(f"--secret for {code}: {exc}") from None
        table.setdefault(code, []).append(secret)
    return lambda code: table.get(code, [])


class WebhookReceiver(ThreadingHTTPServer):
    """Verifies and files partner webhooks; one thread per request, finished on close."""

    daemon_threads = False  # server_close() waits for the requests in hand

    def __init__(self, port: int, *, secrets_for: SecretLookup, var_dir: Path, out: OutputWrapper) -> None:
        super().__init__((HOST, port), ReceiverHandler)
        self.secrets_for = secrets_for
        self.folder = Path(var_dir) / "webhooks"
        self.out = out
        self._lock = threading.Lock()
        self._seen: dict[str, set[str]] = {}

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_port}"

    def receive(self, code: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        """Verify one request for partner ``code``; file it if it is new. (status, reason)"""
        secrets = self.secrets_for(code)
        if not secrets:
            return self.refuse(400, code, headers, f"no webhook secret is known for partner {code!r}")
        now = timezone.now()
        reasons = []
        for secret in secrets:
            try:
                webhooks.verify(secret, headers, body, now=now)
                break
            except webhooks.InvalidSignature as exc:
                reasons.append(str(exc))
        else:
            return self.refuse(400, code, headers, reasons[0])
        try:
            event = json.loads(body)
            data = event["data"]
            summary = f"{event['type']} {data['reference']} {data['from_state']} → {data['to_state']}"
        except (ValueError, TypeError, KeyError) as exc:
            return self.refuse(400, code, headers, f"signed, but not an event: {exc!r}")
        webhook_id = headers["webhook-id"]
        with self._lock:
            is_new = self._file_once(code, webhook_id, event, received_at=now)
            repeat = "" if is_new else f" (repeat of {webhook_id}: already filed)"
            self.out.write(f"verified {summary} for {code}{repeat}")
        return 204, ""

    def refuse(self, status: int, code: str, headers: dict[str, str], reason: str) -> tuple[int, str]:
        webhook_id = headers.get("webhook-id") or "without a webhook-id"
        with self._lock:
            self.out.write(f"REFUSED {code} {webhook_id}: {reason}")
        return status, reason

    def _file_once(self, code: str, webhook_id: str, event: dict, *, received_at) -> bool:
        path = self.folder / f"{code}.jsonl"
        seen = self._seen.get(code)
        if seen is None:  # first event for this partner since start: read what it already has
            seen = self._seen[code] = set()
            if path.exists():
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        seen.add(json.loads(line)["webhook_id"])
                    except (ValueError, KeyError, TypeError):
                        continue
        if webhook_id in seen:
            return False
        self.folder.mkdir(parents=True, exist_ok=True)
        line = {"webhook_id": webhook_id, "received_at": received_at.isoformat(), "event": event}
        with path.open("a", encoding="utf-8") as jsonl:
            jsonl.write(json.dumps(line, ensure_ascii=False) + "\n")
        seen.add(webhook_id)
        return True


class ReceiverHandler(BaseHTTPRequestHandler):
    server: WebhookReceiver
    timeout = 10  # a client that stops sending does not hold the shutdown
    server_version = "DemoPartnerWebhooks/1"

    def do_POST(self) -> None:
        match = PARTNER_PATH.fullmatch(self.path)
        if match is None:
            self.answer(404, "POST to /<partner code>/")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.answer(411, "Content-Length is required")
            return
        if not 0 <= length <= MAX_BODY_BYTES:
            self.answer(413, f"A webhook body is at most {MAX_BODY_BYTES} bytes")
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            status, reason = self.server.receive(match["code"], headers, body)
        finally:
            # Each request has a thread of its own: a connection it opened ends with it.
            connections.close_all()
        self.answer(status, reason)

    def answer(self, status: int, reason: str) -> None:
        text = reason.encode("utf-8")
        self.send_response(status)
        if text:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        if text and status != 204:
            self.wfile.write(text)

    def log_message(self, format: str, *args) -> None:
        pass  # one line per event is printed by the receiver


class Command(BaseCommand):
    help = "Receive, verify and file partner webhooks on 127.0.0.1 (a demo stand-in for partners)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8001, help="0 picks a free port.")
        parser.add_argument(
            "--secret",
            action="append",
            default=[],
            metavar="PARTNER_CODE=whsec_…",
            help="A partner's webhook secret; repeat for each partner.",
        )
        parser.add_argument(
            "--from-database",
            action="store_true",
            help="Read each active partner's current secret from the database at every request.",
        )

    def handle(self, *args, port: int, secret: list[str], from_database: bool, **options) -> None:
        if bool(secret) == from_database:
            raise CommandError("Give the partners' secrets: either --secret CODE=whsec_… or --from-database.")
        secrets_for = secrets_from_database if from_database else secrets_from_options(secret)
        try:
            server = WebhookReceiver(port, secrets_for=secrets_for, var_dir=settings.VAR_DIR, out=self.stdout)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {HOST}:{port}: {exc}") from None
        stop = _SignalStop(server, (signal.SIGINT, signal.SIGTERM))
        self.stdout.write(
            f"Receiving partner webhooks at {server.url}/<partner code>/; "
            f"verified events go to {server.folder}/<code>.jsonl. Ctrl-C stops."
        )
        try:
            server.serve_forever()
        finally:
            server.server_close()  # waits for the requests in hand
            stop.restore()
        self.stdout.write("Stopped receiving webhooks.")


class _SignalStop:
    """SIGINT or SIGTERM end serve_forever() between requests, from a helper thread:
    shutdown() called from the serving thread itself would wait for itself forever."""

    def __init__(self, server: WebhookReceiver, signals: Sequence[signal.Signals]) -> None:
        self.previous = {}
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only; whoever runs it stops it
        for number in signals:
            self.previous[number] = signal.signal(number, self._handler(server))

    def _handler(self, server: WebhookReceiver):
        def stop(number, frame) -> None:
            self.restore()  # a second Ctrl-C is the default: stop now
            threading.Thread(target=server.shutdown, daemon=True).start()

        return stop

    def restore(self) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        self.previous = {}
