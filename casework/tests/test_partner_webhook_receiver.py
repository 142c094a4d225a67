"""The demo receiver (``manage.py receive_webhooks``): verifies a partner's event as the
outbox delivers it, refuses what it cannot verify, files a repeat once, reads rotated
secrets from the database and stops cleanly on a signal."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.utils import timezone

from casework.management.commands.receive_webhooks import (
    WebhookReceiver,
    secrets_from_database,
    secrets_from_options,
)
from casework.models import Partner
from casework.notices import outbox, partner_webhooks, webhooks
from casework.tests.partner_endpoint import (
    ACME_SECRET,
    GLOBEX_SECRET,
    accepted,
    partner_complaint,
    partner_events,
    serving,
    subscribe,
)
from complaints import services


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
