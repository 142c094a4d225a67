"""A stand-in payments system, so the demo runs end to end on one machine.

It behaves as a real receiver must: it believes nothing before the Standard Webhooks
signature and its timestamp check out, and it treats ``webhook-id`` as the idempotency
key, so a resend after a worker died mid-send is answered 200 and changes nothing. Each
instruction is kept as ``VAR_DIR/payments/<webhook-id>.json`` for a newcomer to read.
``config/urls.py`` mounts it only when ``DEMO_PAYMENTS_RECEIVER`` is on.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from casework.notices import webhooks

SIGNING_KEY = "payments"
# The id becomes a file name: letters, digits and a few marks, never a path or a dot file.
WEBHOOK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,119}")


def instructions_dir() -> Path:
    return Path(settings.VAR_DIR) / "payments"


def _error(status: int, code: str, message: str) -> JsonResponse:
    # The partner API's error shape, so one client parses both.
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


@csrf_exempt  # a machine caller, authenticated by the signature instead
@require_POST
def receive_instruction(request: HttpRequest) -> JsonResponse:
    try:
        webhooks.verify(webhooks.secret_for(SIGNING_KEY), request.headers, request.body, now=timezone.now())
    except webhooks.InvalidSignature as exc:
        return _error(401, "invalid_signature", str(exc))
    webhook_id = request.headers["webhook-id"]
    if not WEBHOOK_ID.fullmatch(webhook_id):
        return _error(400, "invalid", "The webhook-id may hold letters, digits and ._:@+=- only.")
    try:
        json.loads(request.body)
    except ValueError:
        return _error(400, "invalid", "The body is not JSON.")
    is_new = _write_once(instructions_dir() / f"{webhook_id}.json", request.body)
    return JsonResponse({"webhook_id": webhook_id, "status": "accepted" if is_new else "duplicate"})


def _write_once(path: Path, content: bytes) -> bool:
    """Write the file unless it exists: never half a file, never over the first one."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".incoming-", delete=False) as incoming:
        incoming.write(content)
    try:
        os.link(incoming.name, path)  # atomic, and refused if a concurrent resend got there first
    except FileExistsError:
        return False
    finally:
        os.unlink(incoming.name)
    return True
