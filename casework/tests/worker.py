"""A real Celery worker process for integration tests.

The worker is another process: it must see committed rows (``transactional_db``) in the
test database actually in use, on the broker the settings name (``filesystem://`` locally,
Redis in CI). It consumes a queue of its own, so a demo worker on the same broker, or
another test run, can neither steal these messages nor feed it stale ones. E-mail goes to
files, one per message sent, so a test counts what left the building.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from casework.tests.environment import require_service
from casework.tests.queues import DELIVER_TASK, own_queue
from config.celery import app as celery_app

READY_TIMEOUT_S = 60
DELIVERY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def database_url_in_use() -> str:
    """The URL of the database this test runs on (pytest-django's test copy)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    configured = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(configured._replace(path=f"/{db['NAME']}"))


def broker_is_reachable() -> bool:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=5)
        return True
    except Exception:
        return False


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path
    mail_dir: Path

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results(self) -> list[str]:
        """What each finished delivery task returned, in order."""
        return re.findall(
            rf"Task {re.escape(DELIVER_TASK)}\[[^\]]+\] succeeded in [^:]+: (\w+)", self.read_log()
        )

    def mails_about(self, reference: str) -> list[Path]:
        if not self.mail_dir.exists():
            return []
        return [
            path for path in sorted(self.mail_dir.iterdir()) if reference in path.read_text(errors="replace")
        ]


def wait_for(condition, *, timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker.process.poll() is not None:
            pytest.fail(
                f"the worker exited ({worker.process.returncode}) while waiting for {what}:\n"
                f"{worker.read_log()}"
            )
        time.sleep(0.2)
    pytest.fail(f"no {what} within {timeout} s; worker log:\n{worker.read_log()}")


@contextmanager
def running_worker(
    tmp_path: Path, *, queue_prefix: str, env: dict[str, str] | None = None
) -> Iterator[Worker]:
    """Start a worker on a queue of its own, wait until it is ready, stop it afterwards.

    Call it from a fixture that also asks for ``transactional_db`` (and
    ``django_db_serialized_rollback``), so the rows a test writes are committed.
    ``env`` adds to or overrides the worker's environment, e.g. a secret it signs with.
    """
    require_service(broker_is_reachable(), f"the Celery broker at {settings.CELERY_BROKER_URL}")
    mail_dir = tmp_path / "mail"
    log = tmp_path / "worker.log"
    worker_env = (
        os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url_in_use(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VAR_DIR": str(settings.VAR_DIR),  # the filesystem broker's folders live there
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
        }
        | (env or {})
    )
    with own_queue(queue_prefix) as queue, log.open("wb") as log_file:
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=prefork", "--concurrency=2",  # two children: two deliveries really race
            "--queues", queue, "--hostname", f"{queue}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel=INFO",
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=worker_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as a whole if it hangs
        )
        running = Worker(process=process, log=log, mail_dir=mail_dir)
        try:
            wait_for(
                lambda: " ready." in running.read_log(),
                timeout=READY_TIMEOUT_S,
                what="ready worker",
                worker=running,
            )
            yield running
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Warm shutdown (finish the task in hand), then kill the group if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()  # the main process stops its pool children itself
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
