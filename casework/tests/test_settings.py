"""The settings name paths and touch none: the processes that write under VAR_DIR make its
directories when they start (config/directories.py). And they fail safe: a value that does
not read as what it names refuses to start, naming the variable."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(settings.BASE_DIR)


def demo_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """The suite's environment (the demo's) with every path under ``var_dir``, SQLite and
    the ``filesystem://`` broker, as on a bare machine."""
    dropped = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "MEDIA_ROOT",
        "EMAIL_FILE_PATH",
        "AUDIT_ANCHOR_FILE",
        "DJANGO_SETTINGS_MODULE",
    }
    return {
        **{name: value for name, value in os.environ.items() if name not in dropped},
        "DEMO": "true",
        "VAR_DIR": str(var_dir),
        **extra,
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# --- no I/O at import ------------------------------------------------------------------


def test_importing_the_settings_and_setting_django_up_make_no_directory(tmp_path):
    var_dir = tmp_path / "var"
    started = run(
        demo_environment(var_dir),
        "-c",
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'\n"
        "import config.settings\n"
        "import django; django.setup()\n"
        "from django.conf import settings; print(settings.STATIC_ROOT)",
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == str(var_dir / "static")
    assert list(tmp_path.iterdir()) == []


def test_the_web_process_makes_static_root_and_the_database_folder_before_whitenoise_looks(tmp_path):
    var_dir = tmp_path / "deep" / "var"
    started = run(demo_environment(var_dir), "-W", "always", "-c", "import config.wsgi")

    assert started.returncode == 0, started.stderr
    assert "No directory at" not in started.stderr  # whitenoise's warning
    assert (var_dir / "static").is_dir()
    assert var_dir.is_dir()  # where SQLite makes db.sqlite3


def test_celery_makes_the_filesystem_brokers_folder_when_it_reads_its_settings(tmp_path):
    var_dir = tmp_path / "var"
    started = run(
        demo_environment(var_dir),
        "-c",
        "from config.celery import app\nprint(app.conf.broker_url)",
    )

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "filesystem://"
    assert (var_dir / "celery" / "broker").is_dir()


def test_celery_on_another_broker_makes_no_folder(tmp_path):
    started = run(
        demo_environment(tmp_path / "var", CELERY_BROKER_URL="redis://127.0.0.1:1/0"),
        "-c",
        "from config.celery import app\nprint(app.conf.broker_url)",
    )

    assert started.returncode == 0, started.stderr
    assert list(tmp_path.iterdir()) == []


def test_manage_py_makes_the_sqlite_databases_folder(tmp_path):
    var_dir = tmp_path / "var"
    checked = run(demo_environment(var_dir), "manage.py", "check")

    assert checked.returncode == 0, checked.stderr
    assert var_dir.is_dir()


def test_manage_py_leaves_settings_that_do_not_load_to_django(tmp_path):
    env = demo_environment(tmp_path / "var", DEMO="false", SECRET_KEY="")
    helped = run(env, "manage.py", "help")
    checked = run(env, "manage.py", "check")

    assert helped.returncode == 0, helped.stderr
    assert "settings are not properly configured" in helped.stdout + helped.stderr
    assert checked.returncode != 0
    assert "Set SECRET_KEY" in checked.stderr
    assert list(tmp_path.iterdir()) == []


def test_media_linked_into_static_root_is_refused_when_the_web_process_starts(tmp_path):
    var_dir = tmp_path / "var"
    (var_dir / "static" / "uploads").mkdir(parents=True)
    (tmp_path / "media").symlink_to(var_dir / "static" / "uploads")
    started = run(demo_environment(var_dir, MEDIA_ROOT=str(tmp_path / "media")), "-c", "import config.wsgi")

    assert started.returncode != 0
    assert "MEDIA_ROOT must lie outside STATIC_ROOT" in started.stderr


# --- fail safe: a value that does not read refuses to start -----------------------------


def read_settings() -> dict:
    """The settings module run afresh on this process's environment (it has no I/O)."""
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("SECURE_SSL_REDIRECT", "ture", "SECURE_SSL_REDIRECT is true or false"),
        ("DEBUG", "maybe", "DEBUG is true or false"),
        ("SESSION_COOKIE_AGE", "8h", "SESSION_COOKIE_AGE is a whole number, not '8h'"),
        ("DATABASE_CONN_MAX_AGE", "", "DATABASE_CONN_MAX_AGE is a whole number"),
        ("OUTBOX_MAX_ATTEMPTS", "0", "OUTBOX_MAX_ATTEMPTS is at least 1, not 0"),
        ("AUDIT_ANCHOR_MINUTES", "-5", "AUDIT_ANCHOR_MINUTES is at least 1"),
        ("EMAIL_PORT", "70000", "EMAIL_PORT is from 1 to 65535"),
        ("WEBHOOK_TIMEOUT", "0", "WEBHOOK_TIMEOUT is a number of seconds above 0"),
        ("WEBHOOK_TIMEOUT", "ten", "WEBHOOK_TIMEOUT is a number of seconds above 0"),
        ("PAYMENTS_ENDPOINT_URL", "payments.wallet.example/in/", "PAYMENTS_ENDPOINT_URL is an http://"),
        ("BACKOFFICE_BASE_URL", "backoffice.wallet.example", "BACKOFFICE_BASE_URL is an http://"),
        ("PAYMENTS_SIGNING_SECRET", "s3cret", "PAYMENTS_SIGNING_SECRET has the form whsec_<base64>"),
        ("PAYMENTS_SIGNING_SECRET", "whsec_", "PAYMENTS_SIGNING_SECRET has the form whsec_<base64>"),
        ("PAYMENTS_SIGNING_SECRET", "whsec_not*base64", "PAYMENTS_SIGNING_SECRET has the form"),
        ("AUDIT_CHAIN_KEY", "not a key!", "AUDIT_CHAIN_KEY must be hex or base64"),
        ("AUDIT_CHAIN_KEY", "abcd", "AUDIT_CHAIN_KEY must be at least 16 bytes"),
        ("AUDIT_CHAIN_PREVIOUS_KEYS", "@@@", "AUDIT_CHAIN_PREVIOUS_KEYS must be hex or base64"),
        ("REFUND_FOUR_EYES_THRESHOLDS", "CNY 5000", "REFUND_FOUR_EYES_THRESHOLDS is CODE=amount"),
        ("REFUND_FOUR_EYES_THRESHOLDS", "CNY=five", "REFUND_FOUR_EYES_THRESHOLDS for CNY is an amount"),
        ("REFUND_REMINDER_DAYS_BEFORE", "2,one", "REFUND_REMINDER_DAYS_BEFORE is whole days"),
        ("MONEY_MAX_AMOUNT", "0", "MONEY_MAX_AMOUNT is an amount above 0"),
        ("API_PARTNER_RATE", "600 a minute", "API_PARTNER_RATE is requests a second, minute, hour or day"),
        ("LOG_LEVEL", "info", "LOG_LEVEL is DEBUG, INFO, WARNING, ERROR or CRITICAL, not 'info'"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT is text or json"),
        ("CACHE_URL", "memcached://127.0.0.1", "CACHE_URL must be a redis:// URL"),
    ],
)
def test_a_value_that_does_not_read_refuses_to_start_naming_it(monkeypatch, name, value, refusal):
    monkeypatch.setenv(name, value)

    with pytest.raises(ImproperlyConfigured) as refused:
        read_settings()
    assert refusal in str(refused.value)


def test_the_forms_that_read_are_read_as_before(monkeypatch):
    for name, value in {
        "SECURE_SSL_REDIRECT": "",  # empty is off
        "SECURE_COOKIES": " Yes ",
        "SESSION_COOKIE_AGE": " 3600 ",
        "WEBHOOK_TIMEOUT": "2.5",
        "REFUND_FOUR_EYES_THRESHOLDS": "cny=5000, usd = 700.50,JPY=0,",
        "REFUND_REMINDER_DAYS_BEFORE": "1, 3",
        "API_PARTNER_RATE": "100000/minute",
        "LOG_LEVEL": "WARNING",
        "AUDIT_CHAIN_PREVIOUS_KEYS": "b2xkZXIta2V5LTE2LWJ5dGVz, 00112233445566778899aabbccddeeff",
        "PAYMENTS_SIGNING_SECRET": "whsec_dGVzdC1vbmx5LXRocm90dGxlLWJ1cnN0",
    }.items():
        monkeypatch.setenv(name, value)

    read = read_settings()
    assert read["SECURE_SSL_REDIRECT"] is False
    assert read["SESSION_COOKIE_SECURE"] is True
    assert read["SESSION_COOKIE_AGE"] == 3600
    assert read["WEBHOOK_TIMEOUT"] == 2.5
    assert read["REFUND_FOUR_EYES_THRESHOLDS"] == {"CNY": "5000", "USD": "700.50", "JPY": "0"}
    assert read["REFUND_REMINDER_DAYS_BEFORE"] == [3, 1]
    assert read["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["partner"] == "100000/minute"
    assert read["LOGGING"]["root"]["level"] == "WARNING"
