#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import contextlib
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A checkout with no secret of its own is the demo's (`manage.py check`, `migrate` on a bare
    # machine); a machine with its SECRET_KEY runs every command as production. The web and
    # worker processes (gunicorn, Celery) never assume the demo.
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEMO", "true")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from config.directories import make_database_folder

    # `migrate` on a bare checkout: SQLite makes its file, not its folder. Settings that do
    # not load are left to the command, as Django's own start does: it says why, or runs
    # without them (`help`).
    with contextlib.suppress(ImproperlyConfigured, ImportError):
        make_database_folder()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
