"""The one door for text messages to customers.

The outbox's SMS sender calls :func:`gateway` and hands it the number, the text and the
notice's idempotency key. ``settings.SMS_GATEWAY`` names the class: the default,
:class:`FileSmsGateway`, files each message as a JSON file under ``settings.SMS_FILE_PATH``
(``var/sms/``), named by its idempotency key, so a resend after a worker died mid-send
overwrites the file, never adds a second. A production gateway is one class with the same
``send``, passing the key on to the SMS provider (most take a client message id), which
answers a repeat with the first message rather than a second text.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        """Send ``text`` to the E.164 number ``to``; return the gateway's reference."""


class FileSmsGateway:
    """The demo's and the tests' gateway: one JSON file per message, named by its key."""

    def __init__(self, folder: str | os.PathLike | None = None) -> None:
        self.folder = Path(folder or settings.SMS_FILE_PATH)

    def path_for(self, idempotency_key: str) -> Path:
        return self.folder / f"{re.sub(r'[^A-Za-z0-9._-]', '_', idempotency_key)}.json"

    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path_for(idempotency_key)
        record = {
            "to": to,
            "text": text,
            "idempotency_key": idempotency_key,
            "at": timezone.now().isoformat(),
        }
        # Written whole, then renamed over any earlier copy: a reader never sees half a message.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False, indent=1)
        os.replace(temporary, path)
        return path.name


def gateway() -> SmsGateway:
    """The gateway ``settings.SMS_GATEWAY`` names, made for this send."""
    return import_string(settings.SMS_GATEWAY)()
