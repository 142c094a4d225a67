"""Real faults for the fault tests: a broker that dies, a database that restarts, a
receiver that files a webhook and then holds its answer.

Nothing here stands in for the component that fails. The broker is a ``redis-server``
process of the test's own, killed with SIGKILL and started again on the same port; the
database is the local PostgreSQL cluster serving ``DATABASE_URL``, restarted with
``pg_ctlcluster``; the partner's receiver is the demo's own (``receive_webhooks``).
"""

from __future__ import annotations

import ast
import io
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from django.core.management.base import OutputWrapper
from django.db import connection, connections, transaction
from django.utils import timezone

from casework.management.commands.receive_webhooks import WebhookReceiver
from casework.tests.environment import require_service
from casework.tests.queues import DELIVER_TASK
from casework.tests.worker import Worker, wait_for
from config.celery import app as celery_app

START_TIMEOUT_S = 30
RESTART_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    """True if something on 127.0.0.1:``port`` answers a Redis PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout} s")
        time.sleep(0.1)


class PrivateRedis:
    """A ``redis-server`` of the test's own, on a free port, persisting nothing: a broker
    the test may kill (SIGKILL, as a crash or an OOM kill would) and start again."""

    def __init__(self, folder: Path) -> None:
        require_service(shutil.which("redis-server") is not None, "redis-server (a private broker)")
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it on its port (the same one each time) and wait until it answers."""
        assert self.process is None, "the private Redis is already running"
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.folder),
        ]  # fmt: skip
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(lambda: answers(self.port), timeout=START_TIMEOUT_S, what=f"Redis on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to its clients; the queues it held are gone."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=START_TIMEOUT_S)
        self.process = None
        wait_until(lambda: not answers(self.port), timeout=START_TIMEOUT_S, what="Redis gone")


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(folder)
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@contextmanager
def publishing_to(broker_url: str) -> Iterator[Celery]:
    """Publish this process's tasks to ``broker_url``, routed as the project's app routes
    them now (a running worker's queue included), while inside.

    An app of its own rather than the project's, whose connection pool already points at
    the configured broker; the shared task proxies resolve through the current app.
    """
    publisher = Celery("faults-publisher", set_as_current=False)
    publisher.config_from_object("django.conf:settings", namespace="CELERY")
    publisher.conf.update(
        # The write URL: Celery prefers a CELERY_BROKER_URL in the environment to broker_url.
        broker_write_url=broker_url,
        task_routes=dict(celery_app.conf.task_routes or {}),
        broker_connection_timeout=2,
    )
    publisher.set_current()
    try:
        yield publisher
    finally:
        celery_app.set_current()
        publisher.close()


def worker_queue() -> str:
    """The queue the worker started by ``running_worker`` consumes (inside its block)."""
    return celery_app.conf.task_routes[DELIVER_TASK]["queue"]


TASK_OUTCOME = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[^\]]+)\] (?P<how>succeeded in [^:]+|raised [^:]+): "
)


def task_outcome(worker: Worker, task_id: str) -> tuple[str, str] | None:
    """("succeeded" or "raised", what it returned or raised) once the worker logged the
    task's end; None before."""
    for line in worker.read_log().splitlines():
        match = TASK_OUTCOME.search(line)
        if match and match["id"] == task_id:
            how = "succeeded" if match["how"].startswith("succeeded") else "raised"
            return how, line[match.end() :]
    return None


def send_as_beat(task) -> str:
    """Send ``task`` to the running worker's queue, as beat sends it; return its id."""
    return task.apply_async(queue=worker_queue()).id


def outcome_of(worker: Worker, task_id: str, *, timeout: float = 60) -> tuple[str, object]:
    """Wait for the worker to end the task: ("succeeded", the value it returned, read back
    from the log) or ("raised", the error as logged)."""
    found: list[tuple[str, str]] = []

    def ended() -> bool:
        outcome = task_outcome(worker, task_id)
        if outcome:
            found.append(outcome)
        return bool(outcome)

    wait_for(ended, timeout=timeout, what=f"the end of task {task_id}", worker=worker)
    how, text = found[0]
    return (how, ast.literal_eval(text)) if how == "succeeded" else (how, text)


@contextmanager
def clock_moved_on(by) -> Iterator[None]:
    """This process's clock, ``by`` later while inside (the worker's is left alone): beat's
    view once that much time has passed, without waiting for it."""
    real_now = timezone.now
    timezone.now = lambda: real_now() + by
    try:
        yield
    finally:
        timezone.now = real_now


# --- the PostgreSQL cluster behind DATABASE_URL ----------------------------------------


@dataclass(frozen=True)
class Cluster:
    """A local cluster managed by Debian's postgresql-common, as on this machine and in CI."""

    version: str
    name: str
    port: int

    def ctl(self, *action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *action],
            check=True,
            capture_output=True,
            timeout=RESTART_TIMEOUT_S,
        )

    def is_ready(self) -> bool:
        probe = ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-t", "2"]
        return subprocess.run(probe, check=False, timeout=10).returncode == 0

    def wait_until_ready(self) -> None:
        wait_until(self.is_ready, timeout=RESTART_TIMEOUT_S, what=f"PostgreSQL on port {self.port}")

    def restart(self) -> None:
        """A fast restart: every session is terminated, its open transaction rolled back."""
        self.ctl("restart", "-m", "fast")
        self.wait_until_ready()

    def ensure_running(self) -> None:
        if not self.is_ready():
            with suppress(subprocess.CalledProcessError):  # already starting: wait below
                self.ctl("start")
            self.wait_until_ready()


def cluster_serving_the_database() -> Cluster | None:
    """The local cluster listening on the test database's port, if ``pg_ctlcluster`` can
    restart it from here (root or postgres, on the same machine)."""
    if connection.vendor != "postgresql" or not shutil.which("pg_lsclusters"):
        return None
    host = connection.settings_dict["HOST"] or "localhost"
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
        return None
    port = int(connection.settings_dict["PORT"] or 5432)
    listing = subprocess.run(["pg_lsclusters", "--no-header"], check=True, capture_output=True, text=True)
    for line in listing.stdout.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port and os.geteuid() in (0, _postgres_uid()):
            return Cluster(version, name, port)
    return None


def _postgres_uid() -> int | None:
    try:
        return pwd.getpwnam("postgres").pw_uid
    except KeyError:
        return None


def sessions_waiting_on_a_lock() -> int:
    """Other sessions on the test database blocked on a lock now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class HeldTransaction:
    """A transaction on a connection of its own (its own thread) that does ``write`` and
    stays open, its locks held, until ``end()``; then it rolls back. A database restart
    meanwhile ends it too: that is what it is for."""

    class _Rollback(Exception):
        pass

    def __init__(self, write) -> None:
        self.write = write
        self.holding = threading.Event()
        self.ending = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HeldTransaction:
        self.thread.start()
        if not self.holding.wait(timeout=START_TIMEOUT_S) or self.error is not None:
            self.end()
            raise AssertionError(f"the held transaction did not start: {self.error!r}")
        return self

    def __exit__(self, *exc_info) -> None:
        self.end()

    def end(self) -> None:
        self.ending.set()
        self.thread.join(timeout=START_TIMEOUT_S)

    def _run(self) -> None:
        try:
            with transaction.atomic():
                self.write()
                self.holding.set()
                self.ending.wait(timeout=RESTART_TIMEOUT_S)
                raise self._Rollback
        except self._Rollback:
            pass
        except BaseException as error:  # the restart ended it under us
            self.error = error
        finally:
            self.holding.set()
            connections.close_all()


# --- a partner's receiver that files an event, then holds its answer --------------------


@dataclass
class Arrival:
    webhook_id: str
    status: int


class HoldingReceiver(WebhookReceiver):
    """The demo receiver (verify, dedupe by ``webhook-id``, file under ``var_dir``) on a
    free port, which records every request and, with ``hold_first``, holds the first one's
    answer after filing it until ``release``: the partner applied the event, but the sender
    never hears so."""

    def __init__(self, var_dir: Path, *, secrets_for, hold_first: bool = False) -> None:
        self.output = io.StringIO()
        super().__init__(0, secrets_for=secrets_for, var_dir=var_dir, out=OutputWrapper(self.output))
        self.hold_first = hold_first
        self.arrivals: list[Arrival] = []
        self.held = threading.Event()
        self.release = threading.Event()
        self._arrivals_lock = threading.Lock()

    def filed(self, code: str) -> list[dict]:
        """The events filed for partner ``code``: what the partner applied."""
        path = self.folder / f"{code}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def lines(self) -> list[str]:
        return self.output.getvalue().splitlines()

    def receive(self, code: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        status, reason = super().receive(code, headers, body)
        with self._arrivals_lock:
            self.arrivals.append(Arrival(headers.get("webhook-id", ""), status))
            first = len(self.arrivals) == 1
        if first and self.hold_first:
            self.held.set()
            self.release.wait(timeout=RESTART_TIMEOUT_S)
        return status, reason

    def webhook_ids(self) -> list[str]:
        with self._arrivals_lock:
            return [arrival.webhook_id for arrival in self.arrivals]

    def handle_error(self, request, client_address) -> None:
        pass  # the answer to a sender killed meanwhile has nowhere to go


@contextmanager
def serving(server: HoldingReceiver) -> Iterator[HoldingReceiver]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
