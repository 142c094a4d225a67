"""The search on the demo's SQLite database, for real: the demo migrated and loaded on
SQLite in a process of its own, searched there (every word row by row, no trigram index),
finds the same complaints as the same demo loaded on the suite's PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
# Words the demo's complaints, notes and messages hold (and one they do not), Chinese
# from the customer's e-mailed bank statement.
DEMO_QUERIES = (
    "refund",
    "REFUND wallet",
    "double charge",
    "QuickMart Hangzhou",
    "12306",
    "JD.com",
    "银行流水",
    "中国银行卡 扣款",
    "扣款",
    "locked",
    "nothing-like-this",
)
MARK = "search results: "


def found_in_demo() -> dict[str, list[list[str]]]:
    """Each query's complaints, by what the demo wrote (its references differ per database)."""
    from complaints.models import Complaint
    from complaints.search import search_complaints

    return {
        query: sorted(
            [complaint.customer_name, complaint.description]
            for complaint in search_complaints(Complaint.objects.all(), query)
        )
        for query in DEMO_QUERIES
    }


def on_sqlite(var_dir: Path) -> dict[str, list[list[str]]]:
    env = {
        **{
            name: value
            for name, value in os.environ.items()
            if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "SECRET_KEY"}
        },
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEMO": "true",
        "DEBUG": "true",
        "VAR_DIR": str(var_dir),
    }

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run(sys.executable, "manage.py", "migrate", "--noinput")
    run(sys.executable, "manage.py", "load_demo")
    script = (
        "import django, json; django.setup()\n"
        "from django.db import connection\n"
        "from complaints.tests.test_search_sqlite import MARK, found_in_demo\n"
        "assert connection.vendor == 'sqlite', connection.vendor\n"
        "print(MARK + json.dumps(found_in_demo()))\n"
    )
    [line] = [line for line in run(sys.executable, "-c", script).splitlines() if line.startswith(MARK)]
    return json.loads(line[len(MARK) :])


def test_the_demo_searches_the_same_on_sqlite_as_on_postgresql(db, tmp_path):
    call_command("load_demo", stdout=StringIO())
    expected = found_in_demo()
    assert expected["银行流水"] and expected["refund"] and not expected["nothing-like-this"]

    assert on_sqlite(tmp_path) == expected
