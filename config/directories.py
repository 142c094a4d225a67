"""The directories the settings name, made by the processes that write in them when they
start: importing the settings touches no file (config/settings.py only names paths).

- STATIC_ROOT, by the web process (config/wsgi.py, config/asgi.py, and so ``runserver``):
  whitenoise's middleware warns each time it starts without it. ``collectstatic`` fills it
  in production; the demo serves from the apps' folders and leaves it empty.
- The SQLite database's folder, by ``manage.py`` and the web process: SQLite makes the
  file, not its folder (the demo's database and the tests' live under VAR_DIR).
- The ``filesystem://`` broker's folders, by whatever uses Celery, web, worker, beat or a
  command, when Celery first reads its settings (config/celery.py): kombu reads and writes
  them and makes none.

Everything else under VAR_DIR is made by the code that writes it: the mail, the demo's
payment instructions and webhooks, the demo's audit key, the anchors, the uploads.

May import Django's settings only: config/settings.py imports this module.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def lies_within(media: Path, static: Path) -> bool:
    """Do the two folders overlap (one is the other, or inside it)? Read as written: the
    caller resolves links first where it may touch the disk."""
    media, static = Path(os.path.abspath(media)), Path(os.path.abspath(static))
    return media == static or static in media.parents or media in static.parents


def make_static_root() -> None:
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def make_database_folder() -> None:
    """The folder of the SQLite file, and of the test database's file, if they are files."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] not in ("django.db.backends.sqlite3", "casework.core.sqlite"):
        return
    for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
        if name and str(name) != ":memory:" and not str(name).startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)


def make_broker_folders(broker_url: str, transport_options: Mapping[str, object]) -> None:
    """The folders kombu's ``filesystem://`` transport reads and writes messages in."""
    if not broker_url.startswith("filesystem://"):
        return
    for option in ("data_folder_in", "data_folder_out"):
        if folder := transport_options.get(option):
            Path(str(folder)).mkdir(parents=True, exist_ok=True)


def refuse_media_in_static() -> None:
    """MEDIA_ROOT outside STATIC_ROOT with links followed (the settings judge the paths as
    written): whitenoise serves STATIC_ROOT to anyone, uploads are not public files."""
    if lies_within(Path(settings.MEDIA_ROOT).resolve(), Path(settings.STATIC_ROOT).resolve()):
        raise ImproperlyConfigured("MEDIA_ROOT must lie outside STATIC_ROOT: uploads are not public files.")


def prepare_web_process() -> None:
    """What the web process needs on disk before its first request."""
    make_static_root()
    make_database_folder()
    refuse_media_in_static()
