"""A partner's webhook endpoint on the loopback, recording each POST, and the partner's
side of the webhook tests: its secrets, its subscription, its complaint and the events
written for it. The ``endpoint`` and ``subscribed`` fixtures are in ``conftest.py``."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from casework.models import Notification, Partner
from casework.notices import partner_webhooks
from complaints import services
from complaints.models import Complaint
from complaints.tests.factories import register

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


def subscribe(partner: Partner, url: str, secret: str = ACME_SECRET) -> Partner:
    partner.webhook_url = url
    partner.webhook_secret = secret
    partner.save()
    return partner


def partner_complaint(agent, partner: Partner) -> Complaint:
    return register(agent, partner=partner, channel="partner_api")


def accepted(complaint: Complaint, agent) -> Complaint:
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    return services.accept_complaint(complaint=complaint, actor=agent, reason=INTERNAL_REASON)


def partner_events():
    return Notification.objects.filter(kind=partner_webhooks.KIND).order_by("pk")
