#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A checkout with no secret of its own is the demo's (`manage.py check`, `migrate` on a bare
    # machine); a machine with its SECRET_KEY runs every command as production. The web and
    # worker processes (gunicorn, Celery) never assume the demo.
    if "SECRET_KEY" not in os.environ:
        os.environ.setdefault("DEMO", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
