"""The production profile, run for real: gunicorn with config/gunicorn.conf.py, DEBUG off,
static files from collectstatic served by whitenoise, the health check, JSON logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from casework.tests.faults import free_port
from casework.tests.worker import database_url_in_use

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-production-profile-key",
        "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXByb2R1Y3Rpb24tcHJvZmlsZQ==",
        "DATABASE_URL": database_url_in_use(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "LOG_FORMAT": "json",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


def test_gunicorn_serves_the_app_its_static_files_and_the_health_check_with_json_logs(
    transactional_db, django_db_serialized_rollback, production_env, tmp_path
):
    subprocess.run(
        [BIN / "python", "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=production_env,
        check=True,
        timeout=120,
    )
    log = tmp_path / "gunicorn.log"
    base = f"http://127.0.0.1:{production_env['PORT']}"
    with log.open("w") as out:
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=production_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                status, _, body = get(f"{base}/healthz/")
                break
            except OSError:
                assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
                time.sleep(0.2)
        assert status == 200, body
        assert json.loads(body)["database"] == json.loads(body)["broker"] == "ok"

        status, headers, css = get(f"{base}/static/admin/css/base.css")
        assert status == 200
        assert headers["Content-Type"].startswith("text/css")
        assert b"body" in css

        status, _, page = get(f"{base}/admin/login/")
        assert status == 200
        manifest = json.loads((tmp_path / "var" / "static" / "staticfiles.json").read_text())["paths"]
        # DEBUG off: pages link the hashed names, which whitenoise serves cached for good.
        assert f"/static/{manifest['admin/css/base.css']}".encode() in page
        status, headers, _ = get(f"{base}/static/{manifest['admin/css/base.css']}")
        assert status == 200
        assert "immutable" in headers["Cache-Control"]

        status, _, body = get(f"{base}/no-such-page/")
        assert status == 404
        assert b"Traceback" not in body and b"URLconf" not in body  # DEBUG is off
    finally:
        server.terminate()
        server.wait(timeout=30)

    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "message", "process"} <= set(records[0])
    access = [r["message"] for r in records if r["logger"] == "gunicorn.access"]
    assert any('"GET /healthz/ HTTP/1.1" 200' in line for line in access), access
    assert any(r["logger"] == "gunicorn.error" and "Booting worker" in r["message"] for r in records)
