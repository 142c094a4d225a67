"""docs/integration.md says what the API does: its worked example runs here, request by
request, and its code snippets sign and verify against the back office's own code.

The curl commands are read from the guide itself (method, path, headers and the JSON body of
each), sent through the test client as a partner with a real key, and each answer is checked
against the status line, headers and body the guide shows under it. Change the guide or the
API, and this test says where they part.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from casework.models import ApiScope, Notification
from casework.notices import outbox, webhooks
from casework.notices.partner_webhooks import rotate_webhook_secret
from casework.partners.credentials import issue_key
from casework.tests.api import key_for
from casework.tests.test_webhooks import payments_server  # noqa: F401  (a fixture: a loopback receiver)
from complaints.tests.factories import register

GUIDE = Path(settings.BASE_DIR) / "docs" / "integration.md"
HOST = "backoffice.example.com"
# The guide's example reference, replaced by the one the API really gave.
GUIDE_REFERENCE = "CMP-20261124-000123"
# Values the guide shows that differ on every run: only their presence is compared.
VARYING = {"created_at", "updated_at", "resolution_due_at", "next", "previous"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def fenced_blocks() -> list[tuple[str, str, bool]]:
    """Every fenced block of the guide, in order: its language, its text, and whether it
    follows the block before it with nothing but blank lines between."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks, end = [], None
    for match in FENCE.finditer(text):
        adjacent = end is not None and not text[end : match.start()].strip()
        blocks.append((match.group(1), match.group(2), adjacent))
        end = match.end()
    return blocks


def python_snippet(defining: str) -> dict:
    """Run the guide's Python block that defines ``defining``; return its names."""
    [source] = [
        text for language, text, _ in fenced_blocks() if language == "python" and f"def {defining}(" in text
    ]
    names: dict = {}
    exec(compile(source, f"{GUIDE.name}:{defining}", "exec"), names)
    return names


@dataclass
class Step:
    """One curl of the guide and the answer the guide shows for it."""

    command: str
    status: int
    headers: dict[str, str]
    body: dict | None = None
    method: str = "GET"
    url: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    data: str | None = None

    @classmethod
    def parse(cls, command: str, answer: str, body: str | None) -> Step:
        lines = command.rstrip("\n").split("\n")
        data = None
        if "<<'JSON'" in command:
            start = next(i for i, line in enumerate(lines) if "<<'JSON'" in line)
            end = lines.index("JSON", start)
            data = "\n".join(lines[start + 1 : end])
            lines = [*lines[:start], lines[start].replace("<<'JSON'", ""), *lines[end + 1 :]]
        status_line, *header_lines = answer.strip().split("\n")
        step = cls(
            command=command,
            status=int(status_line.split()[1]),
            headers=dict(line.split(": ", 1) for line in header_lines),
            body=json.loads(body) if body is not None else None,
            data=data,
        )
        tokens = iter(shlex.split(" ".join(line.rstrip("\\") for line in lines)))
        assert next(tokens) == "curl", command
        for token in tokens:
            if token == "-X":
                step.method = next(tokens)
            elif token == "-H":
                name, value = next(tokens).split(": ", 1)
                step.request_headers[name] = value
            elif token == "--data":
                assert next(tokens) == "@-", "the guide's bodies come from a here-document"
            elif token.startswith("$"):
                step.url = token
            else:
                assert token in ("-sS", "-i"), f"{token!r} is not understood by this test"
        return step


def worked_example() -> list[Step]:
    """The guide's curl commands that show their answer (a block of ```http after them)."""
    blocks = fenced_blocks()
    steps = []
    for index, (language, text, _) in enumerate(blocks):
        if language != "sh" or not text.startswith("curl"):
            continue
        answer_language, answer, adjacent = blocks[index + 1]
        assert answer_language == "http" and adjacent, f"no answer shown after:\n{text}"
        body = None
        if index + 2 < len(blocks) and blocks[index + 2][0] == "json" and blocks[index + 2][2]:
            body = blocks[index + 2][1]
        steps.append(Step.parse(text, answer, body))
    return steps


def assert_shown(shown, actual, where: str) -> None:
    """What the guide shows is what the API answered: the same keys with the same values,
    except the values that vary per run; a list's rows may be shortened to some keys."""
    if isinstance(shown, dict):
        assert isinstance(actual, dict), where
        if where.endswith("results[]"):
            assert set(shown) <= set(actual), where
        else:
            assert set(shown) == set(actual), f"{where}: {set(shown) ^ set(actual)}"
        for name, value in shown.items():
            if name in VARYING:
                assert (value is None) == (actual[name] is None), f"{where}.{name}"
            else:
                assert_shown(value, actual[name], f"{where}.{name}")
    elif isinstance(shown, list):
        assert isinstance(actual, list) and len(shown) == len(actual), where
        for shown_item, actual_item in zip(shown, actual, strict=True):
            assert_shown(shown_item, actual_item, f"{where}[]")
    else:
        assert shown == actual, f"{where}: the guide shows {shown!r}, the API answered {actual!r}"


@pytest.fixture
def guide_client(settings, partner) -> APIClient:
    """A client calling the guide's host, as a partner would."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return APIClient(HTTP_HOST=HOST)


def test_the_guides_worked_example_runs_as_shown(guide_client, partner, agent):
    steps = worked_example()
    assert [step.method for step in steps] == ["POST", "POST", "GET", "POST", "POST", "GET", "GET", "GET"]
    # A complaint filed earlier, so the list in the guide has a second page to follow.
    register(agent, partner=partner, channel="partner_api")
    variables = {"$API": f"https://{HOST}", "$KEY": key_for(partner)}
    for step in steps:
        url = step.url
        for name, value in variables.items():
            if name in url:
                assert value is not None, f"the guide follows {name}, but the answer before had none"
                url = url.replace(name, value)
        headers = {
            f"HTTP_{name.upper().replace('-', '_')}": value.replace("$KEY", variables["$KEY"])
            for name, value in step.request_headers.items()
            if name != "Content-Type"
        }
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response = guide_client.generic(
            step.method, path, step.data or "", content_type="application/json", secure=True, **headers
        )

        assert response.status_code == step.status, (step.command, response.content)
        body = response.json()
        if step.method == "POST" and step.status == 201:
            variables["$REF"] = body["reference"]
        if "next" in body:
            variables["$NEXT"] = body["next"]
        for name, value in step.headers.items():
            value = value.replace(GUIDE_REFERENCE, variables.get("$REF", GUIDE_REFERENCE))
            assert response.headers.get(name) == value, (step.command, name)
        if step.body is not None:
            shown = json.loads(json.dumps(step.body).replace(GUIDE_REFERENCE, variables["$REF"]))
            assert_shown(shown, body, step.url)


def test_a_request_signed_as_the_guide_shows_is_accepted(partner):
    sign_request = python_snippet("sign_request")["sign_request"]
    api_key, key = issue_key(
        partner, name="signed", scopes=[ApiScope.COMPLAINTS_WRITE], actor=None, signed_requests=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    path = "/api/v1/complaints/?state=received"

    def headers(signed: dict) -> dict:
        return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signed.items()}

    assert client.get(path, **headers(sign_request(api_key.signing_secret, "GET", path))).status_code == 200
    # Signed for another query: the signature covers the path and query, so it is refused.
    signed_elsewhere = sign_request(api_key.signing_secret, "GET", "/api/v1/complaints/")
    assert client.get(path, **headers(signed_elsewhere)).status_code == 401

    body = json.dumps({"reason": "The customer found the money back."}).encode()
    complaint = register(partner.user, partner=partner, channel="partner_api")
    action = f"/api/v1/complaints/{complaint.reference}/withdraw/"
    signed = sign_request(api_key.signing_secret, "POST", action, body)
    response = client.generic("POST", action, body, content_type="application/json", **headers(signed))
    assert response.status_code == 200, response.content


def test_a_webhook_from_the_back_office_verifies_with_the_guides_snippet(
    partner,
    api,
    payments_server,  # noqa: F811
):
    names = python_snippet("verify_webhook")
    verify_webhook, invalid = names["verify_webhook"], names["InvalidWebhook"]
    partner.webhook_url = payments_server.url
    partner.save()
    old_secret = rotate_webhook_secret(partner, actor=None)
    new_secret = rotate_webhook_secret(partner, actor=None)  # the old one still signs for a day
    complaint = register(partner.user, partner=partner, channel="partner_api")

    response = api.post(f"/api/v1/complaints/{complaint.reference}/withdraw/", {"reason": "Found the money."})
    assert response.status_code == 200
    notice = Notification.objects.get(
        channel=Notification.Channel.WEBHOOK, case_reference=complaint.reference
    )
    assert outbox.deliver(notice.pk) is True
    [received] = payments_server.received

    for secret in (new_secret, old_secret):
        event = verify_webhook(secret, received.headers, received.body)
        assert event["type"] == "complaint.state_changed"
        assert event["id"] == received.headers["webhook-id"]
    [shown] = [
        json.loads(text) for language, text, _ in fenced_blocks() if language == "json" and '"type"' in text
    ]
    assert set(event) == set(shown) and set(event["data"]) == set(shown["data"])
    assert event["data"]["reference"] == complaint.reference
    with pytest.raises(invalid):
        verify_webhook(new_secret, received.headers, received.body + b" ")
    with pytest.raises(invalid):
        verify_webhook(webhooks.new_secret(), received.headers, received.body)


def test_the_redoc_reference_loads_with_no_outside_address(client):
    # The Swagger UI page has its own test (complaints/tests/test_api.py); ReDoc's page is
    # the other door the guide names. No fonts, scripts or styles from anywhere else: the
    # back office may run where nothing outside is reachable, and a partner's browser should
    # not be sent elsewhere to read it.
    response = client.get("/api/redoc/")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href|spec-url)\s*=\s*["']?(https?:)?//""", html), html
    bundle = re.search(r"""<script src="([^"]+)">""", html).group(1)
    assert bundle.startswith(settings.STATIC_URL)
    assert finders.find(bundle.removeprefix(settings.STATIC_URL)), f"{bundle} is not a static file"
