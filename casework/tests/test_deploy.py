"""Deployment that fails safe: a start that sets nothing is production (DEBUG off, the demo's
secrets refused), the demo's published logins and keys are refused outside the demo, logins
lock after repeated wrong passwords, production passes ``check --deploy`` behind the load
balancer, sessions end within a working day, and ``make run`` sends the demo's payment
instructions to the port it serves on."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from rest_framework.test import APIClient

from casework.access.demo_credentials import STAFF, demo_key
from casework.tests.faults import clock_moved_on
from casework.tests.users import DEMO_PASSWORD, make_user

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
PRODUCTION_SECRETS = {
    "SECRET_KEY": "test-only-production-key-" + "k7Qp2xVz9LmN4rT8wY1sB6dF3gH5jC0a",
    "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXByb2R1Y3Rpb24tcHJvZmlsZQ==",
    "PAYMENTS_ENDPOINT_URL": "https://payments.wallet.example/instructions/",
    "ALLOWED_HOSTS": "backoffice.wallet.example",
}


def bare_environment(**extra: str) -> dict[str, str]:
    """This machine's environment without anything that says "demo" or "debug"."""
    dropped = {
        "DEMO",
        "DEBUG",
        "SECRET_KEY",
        "PAYMENTS_SIGNING_SECRET",
        "PAYMENTS_ENDPOINT_URL",
        "BACKOFFICE_BASE_URL",  # `make test` exports its own
    }
    return {
        **{name: value for name, value in os.environ.items() if name not in dropped},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def read_settings(env: dict[str, str], *names: str) -> subprocess.CompletedProcess:
    script = "from django.conf import settings\n" + "".join(
        f"print({name!r}, repr(settings.{name}))\n" for name in names
    )
    return subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


# --- 20: DEBUG is off unless the demo turns it on ----------------------------------------


def test_a_start_that_sets_nothing_refuses_the_demo_secret():
    started = read_settings(bare_environment(), "DEBUG")

    assert started.returncode != 0
    assert "Set SECRET_KEY" in started.stderr


def test_a_start_with_its_secrets_runs_with_debug_off_and_https_enforced():
    started = read_settings(
        bare_environment(**PRODUCTION_SECRETS),
        "DEBUG",
        "DEMO",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.split("\n")[:5] == [
        "DEBUG False",
        "DEMO False",
        "SECURE_SSL_REDIRECT True",
        "SESSION_COOKIE_SECURE True",
        "CSRF_COOKIE_SECURE True",
    ]


def test_make_run_turns_the_demo_and_debug_on_explicitly():
    shown = subprocess.run(
        ["make", "-s", "demo-env"], cwd=ROOT, env=bare_environment(), capture_output=True, text=True
    )

    assert shown.returncode == 0, shown.stderr
    assert {"DEMO=true", "DEBUG=true"} <= set(shown.stdout.split())


# --- 21: the demo's published logins and keys are refused outside the demo --------------


@pytest.fixture
def demo_loaded(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=StringIO())


def log_in(client, username: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_published_demo_logins_work_in_the_demo_only(client, demo_loaded, settings):
    agent = next(login for login in STAFF if login.username == "agent")

    settings.DEMO = False
    refused = log_in(client, agent.username, agent.password)
    assert refused.status_code == 200  # the login form again, with its error
    assert "Please enter the correct username and password" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    settings.DEMO = True
    assert log_in(client, agent.username, agent.password).status_code == 302
    assert "_auth_user_id" in client.session


def test_published_demo_api_keys_work_in_the_demo_only(demo_loaded, settings):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {demo_key('demopay')}")

    settings.DEMO = False
    refused = api.get("/api/v1/complaints/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"

    settings.DEMO = True
    assert api.get("/api/v1/complaints/").status_code == 200


def test_a_demo_login_whose_password_was_changed_is_an_ordinary_login(client, demo_loaded, settings):
    from django.contrib.auth import get_user_model

    agent = get_user_model().objects.get(username="agent")
    agent.set_password("a-password-of-our-own-91")
    agent.save()
    settings.DEMO = False

    assert log_in(client, "agent", "a-password-of-our-own-91").status_code == 302


# --- 22: login lockout (django-axes) ------------------------------------------------------


def test_five_wrong_passwords_lock_the_login_even_with_the_right_one(client, db):
    make_user("agent.wang", "agent")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "agent.wang", "not-the-password").status_code == 200
    assert log_in(client, "agent.wang", "not-the-password").status_code == 429  # the 5th locks

    locked = log_in(client, "agent.wang", DEMO_PASSWORD)

    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "15 minutes" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.get(username="agent.wang").failures_since_start >= 5


def test_the_lock_lifts_after_the_cool_off(client, db):
    make_user("agent.wang", "agent")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "agent.wang", "not-the-password")

    # The cool-off passes: the attempts are that much older.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME)

    assert log_in(client, "agent.wang", DEMO_PASSWORD).status_code == 302


def test_wrong_passwords_for_many_users_from_one_address_lock_that_address(client, db):
    make_user("agent.wang", "agent")
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess-{n}", "not-the-password")

    assert log_in(client, "agent.wang", DEMO_PASSWORD).status_code == 429
    elsewhere = client_from("10.9.8.7")
    assert log_in(elsewhere, "agent.wang", DEMO_PASSWORD).status_code == 302


def client_from(address: str):
    from django.test import Client

    return Client(REMOTE_ADDR=address)


def test_the_lockout_page_speaks_chinese(client, db):
    make_user("agent.wang", "agent")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "agent.wang", "not-the-password")

    locked = log_in(client, "agent.wang", DEMO_PASSWORD)

    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()


# --- 23: check --deploy, HSTS, CSP, sessions ---------------------------------------------


def test_production_settings_pass_check_deploy_with_no_warning():
    checked = manage(bare_environment(**PRODUCTION_SECRETS), "check", "--deploy", "--fail-level", "WARNING")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_every_page_carries_the_content_security_policy(client, db):
    page = client.get("/admin/login/")

    policy = page["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_only_the_api_docs_allow_inline_styles(client, db):
    docs = client.get("/api/docs/")

    assert docs.status_code == 200
    assert "style-src 'self' 'unsafe-inline'" in docs["Content-Security-Policy"]
    assert "'unsafe-inline'" not in docs["Content-Security-Policy"].split("script-src")[1].split(";")[0]


def test_a_staff_session_ends_within_a_working_day(client, db):
    client.force_login(make_user("agent.wang", "agent"))
    assert client.get("/admin/").status_code == 200

    with clock_moved_on(dt.timedelta(hours=8, minutes=1)):
        assert client.get("/admin/").status_code == 302  # to the login page
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


# --- 25: the demo's payment instructions go to the port make run serves on ---------------


def test_make_run_sends_payment_instructions_to_its_own_port():
    shown = subprocess.run(
        ["make", "-s", "demo-env", "PORT=8123"],
        cwd=ROOT,
        env=bare_environment(),
        capture_output=True,
        text=True,
    )
    demo_env = dict(line.split("=", 1) for line in shown.stdout.split())
    assert demo_env["BACKOFFICE_BASE_URL"] == "http://127.0.0.1:8123"

    started = read_settings(bare_environment(**demo_env), "PAYMENTS_ENDPOINT_URL")

    assert started.returncode == 0, started.stderr
    assert (
        started.stdout.strip() == "PAYMENTS_ENDPOINT_URL 'http://127.0.0.1:8123/demo/payments/instructions/'"
    )


def test_outside_the_demo_the_payments_endpoint_must_be_set():
    env = bare_environment(**PRODUCTION_SECRETS)
    del env["PAYMENTS_ENDPOINT_URL"]

    started = read_settings(env, "PAYMENTS_ENDPOINT_URL")

    assert started.returncode != 0
    assert "Set PAYMENTS_ENDPOINT_URL" in started.stderr


# --- the embedded defaults: `make run` on a bare machine --------------------------------


def test_the_demo_migrates_and_loads_on_the_embedded_sqlite_database(tmp_path):
    # What `make run` does on a bare machine: no DATABASE_URL (SQLite under VAR_DIR), no
    # broker URL (kombu's filesystem transport). A migration only PostgreSQL can run would
    # stop it here, whatever the suite's own database is.
    env = {
        name: value
        for name, value in bare_environment(DEMO="true", DEBUG="true", VAR_DIR=str(tmp_path)).items()
        if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
    }

    migrated = manage(env, "migrate", "--noinput")
    loaded = subprocess.run(
        [PYTHON, "manage.py", "load_demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )

    assert migrated.returncode == 0, migrated.stderr[-3000:]
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert (tmp_path / "db.sqlite3").exists()
