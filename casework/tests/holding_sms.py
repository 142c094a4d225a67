"""An SMS gateway that files the message, then holds its answer: a worker killed while it
holds has sent the SMS but never recorded it (the worker-dies-mid-send test).

Named in the worker's environment (``SMS_GATEWAY``); it holds while the file
``SMS_HOLD_FLAG`` exists, up to a minute.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from casework.notices.sms import FileSmsGateway


class HoldingSmsGateway(FileSmsGateway):
    def send(self, *, to: str, text: str, idempotency_key: str) -> str:
        reference = super().send(to=to, text=text, idempotency_key=idempotency_key)
        flag = Path(os.environ.get("SMS_HOLD_FLAG", "/nonexistent"))
        (self.folder / f"{reference}.sent").touch()  # the test's sign the SMS is out
        deadline = time.monotonic() + 60
        while flag.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return reference
