"""The settings name paths and touch none: the processes that write under VAR_DIR make its
directories when they start (config/directories.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

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
