"""The production profile, run for real: gunicorn with config/gunicorn.conf.py, DEBUG off,
behind a load balancer that terminates TLS (X-Forwarded-Proto: https), static files from
collectstatic served by whitenoise, the health check, JSON logs, HSTS and the CSP; and a
PostgreSQL restart under load that answers no request with a 500."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client, override_settings

from casework.tests.api import key_for
from casework.tests.environment import require_service
from casework.tests.faults import cluster_serving_the_database, free_port
from casework.tests.worker import database_url_in_use

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def get(
    url: str, *, https: bool = True, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """GET as the load balancer forwards it: from a client on https unless ``https`` is off."""
    request = urllib.request.Request(
        url, headers={**({"X-Forwarded-Proto": "https"} if https else {}), **(headers or {})}
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "DEMO": "false",
        "SECRET_KEY": "test-only-production-profile-key-k7Qp2xVz9LmN4rT8wY1sB6dF3gH5",
        "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXByb2R1Y3Rpb24tcHJvZmlsZQ==",
        "PAYMENTS_ENDPOINT_URL": "https://payments.wallet.example/instructions/",
        "DATABASE_URL": database_url_in_use(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_FORMAT": "json",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def collect_static(env: dict[str, str]) -> None:
    subprocess.run(
        [BIN / "python", "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[str]:
    """gunicorn with config/gunicorn.conf.py, answering its health check; its base URL."""
    base = f"http://127.0.0.1:{env['PORT']}"
    with log.open("w") as out:
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                get(f"{base}/healthz/")
                break
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_gunicorn_serves_the_app_its_static_files_and_the_health_check_with_json_logs(
    transactional_db, django_db_serialized_rollback, production_env, tmp_path
):
    collect_static(production_env)
    log = tmp_path / "gunicorn.log"
    with gunicorn(production_env, log) as base:
        # The load balancer's health check comes on plain http and is answered, not redirected.
        status, _, body = get(f"{base}/healthz/", https=False)
        assert status == 200, body
        assert json.loads(body)["database"] == json.loads(body)["broker"] == "ok"

        status, headers, css = get(f"{base}/static/admin/css/base.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert b"body" in css

        status, headers, page = get(f"{base}/admin/login/")
        assert status == 200
        # HTTPS for a year, no inline script, cookies over https only.
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "Secure" in headers["Set-Cookie"]
        manifest = json.loads((tmp_path / "var" / "static" / "staticfiles.json").read_text())["paths"]
        # DEBUG off: pages link the hashed names, which whitenoise serves cached for good.
        assert f"/static/{manifest['admin/css/base.css']}".encode() in page
        status, headers, _ = get(f"{base}/static/{manifest['admin/css/base.css']}")
        assert status == 200
        assert "immutable" in headers["Cache-Control"]

        # A client that reached us on plain http is sent to https.
        status, headers, _ = get(f"{base}/admin/login/", https=False)
        assert status == 301
        assert headers["Location"] == "https://127.0.0.1:" + production_env["PORT"] + "/admin/login/"

        status, _, body = get(f"{base}/no-such-page/")
        assert status == 404
        assert b"Traceback" not in body and b"URLconf" not in body  # DEBUG is off

    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message", "process"} <= set(records[0])
    access = [r["message"] for r in records if r["logger"] == "gunicorn.access"]
    assert any('"GET /healthz/ HTTP/1.1" 200' in line for line in access), access
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)


# --- a PostgreSQL restart under load ------------------------------------------------------

LOAD_THREADS = 4


@pytest.mark.postgres
def test_a_postgresql_restart_under_load_answers_no_request_with_a_500(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    production_env,
    tmp_path,
    partner,
    supervisor,
):
    """Each worker keeps its connection (DATABASE_CONN_MAX_AGE) as production does; the restart
    kills them all. Requests while the server is down answer 503 with Retry-After (the load
    balancer and partners retry those); the first request of each worker afterwards gets a
    fresh connection (CONN_HEALTH_CHECKS) instead of failing on the dead one."""
    cluster = cluster_serving_the_database()
    require_service(cluster is not None, "a local PostgreSQL cluster that pg_ctlcluster can restart")
    key = key_for(partner)
    staff = Client()
    with override_settings(SECRET_KEY=production_env["SECRET_KEY"]):  # the session gunicorn will read
        staff.force_login(supervisor)
    session = staff.cookies[settings.SESSION_COOKIE_NAME].value
    env = {**production_env, "DATABASE_CONN_MAX_AGE": "60", "API_PARTNER_RATE": "100000/minute"}
    requests = [
        ("/api/v1/complaints/", {"Authorization": f"Bearer {key}"}),
        ("/admin/complaints/complaint/", {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}),
    ]
    answers: Counter[int] = Counter()
    retry_after: set[str | None] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def load(base: str) -> None:
        while not stop.is_set():
            for path, headers in requests:
                status, answer_headers, _ = get(base + path, headers=headers)
                with lock:
                    answers[status] += 1
                    if status == 503:
                        retry_after.add(answer_headers.get("Retry-After"))

    collect_static(env)
    try:
        with gunicorn(env, tmp_path / "gunicorn.log") as base:
            threads = [threading.Thread(target=load, args=(base,)) for _ in range(LOAD_THREADS)]
            for thread in threads:
                thread.start()
            time.sleep(3)  # every worker has opened and kept its connection
            before = sum(answers.values())
            cluster.restart()
            time.sleep(3)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            after_restart = [get(base + path, headers=headers)[0] for path, headers in requests * 10]
    finally:
        cluster.ensure_running()
        connections.close_all()  # this process's connection died with the old server

    assert before > 0 and answers[200] > before, answers
    assert answers[500] == 0, answers
    assert set(answers) <= {200, 503}, answers
    assert retry_after <= {"5"}, retry_after
    assert after_restart == [200] * len(after_restart)
