"""LOG_FORMAT=json writes one JSON object a line, with the extras and the traceback."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

from django.conf import settings

from casework.ops.logs import JsonFormatter


def test_a_record_is_one_json_line_with_its_extras_and_traceback():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("casework.tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ValueError("the relay refused")
        except ValueError:
            logger.exception("Notice %s failed", 42, extra={"case_reference": "CMP-20261126-000001"})
    finally:
        logger.removeHandler(handler)

    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "casework.tests.json"
    assert entry["message"] == "Notice 42 failed"
    assert entry["case_reference"] == "CMP-20261126-000001"
    assert "ValueError: the relay refused" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_the_setting_switches_the_console_to_json():
    """Settings are read once per process: ask a fresh one."""
    code = (
        "import django, logging; django.setup(); logging.getLogger('casework').warning('sweep took %s s', 3)"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )

    entry = json.loads(done.stderr.strip().splitlines()[-1])
    assert (entry["level"], entry["logger"], entry["message"]) == ("WARNING", "casework", "sweep took 3 s")
