"""Load django-helpdesk's tables with the rows our side was seeded with, one ticket per
complaint, then print what the benchmark needs to talk to it (JSON on stdout).

Run by bench/helpdesk_compare.py in helpdesk's own virtualenv:

    HELPDESK_DATABASE_URL=... SECRET_KEY=... .venv/bin/python seed_helpdesk.py ROWS.csv

ROWS.csv is our complaints exported by the benchmark: id, category, state, holder's
username, customer e-mail, created_at, description. A category is a queue; a state maps
onto helpdesk's statuses (open ones Open, waiting on the customer Open and on hold,
resolved Resolved, closed Closed); the holder is the ticket's assignee (the same
usernames exist on both sides); the customer is the submitter's e-mail; the description
is the same text, so both tables hold the same number of rows of the same lengths.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hdproject.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from helpdesk.models import Queue  # noqa: E402

PASSWORD = "bench-only-password"

LOAD_SQL = """
INSERT INTO helpdesk_ticket (id, title, queue_id, created, modified, submitter_email,
    assigned_to_id, status, on_hold, description, resolution, priority, secret_key)
SELECT r.id, left(r.description, 80), q.id, r.created_at, r.created_at + interval '1 minute',
       r.email, u.id,
       CASE r.state WHEN 'resolved' THEN 3 WHEN 'closed' THEN 4 ELSE 1 END,
       r.state = 'awaiting_customer', r.description, '', 3, md5(r.id::text)
FROM bench_rows AS r
JOIN helpdesk_queue AS q ON q.slug = replace(r.category, '_', '-')
LEFT JOIN auth_user AS u ON u.username = r.holder
"""


def main(rows: Path) -> None:
    supervisor = User.objects.create_superuser("bench.sup", password=PASSWORD)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_rows (id bigint, category text, state text, holder text,"
            " email text, created_at timestamptz, description text)"
        )
        with rows.open("rb") as source, cursor.cursor.copy("COPY bench_rows FROM STDIN WITH CSV") as copy:
            while data := source.read(1 << 20):
                copy.write(data)
        cursor.execute("SELECT DISTINCT holder FROM bench_rows WHERE holder <> ''")
        for (username,) in cursor.fetchall():
            User.objects.create_user(username, is_staff=True, password=PASSWORD)
        cursor.execute("SELECT DISTINCT category FROM bench_rows ORDER BY 1")
        for (category,) in cursor.fetchall():
            Queue.objects.create(
                title=category.replace("_", " ").capitalize(),
                slug=category.replace("_", "-"),
                allow_public_submission=False,
            )
        cursor.execute(LOAD_SQL)
        loaded = cursor.rowcount
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('helpdesk_ticket', 'id'),"
            " (SELECT max(id) FROM helpdesk_ticket))"
        )
        cursor.execute("VACUUM ANALYZE")
    # A staff client as its API expects one: a session (SessionAuthentication, with the CSRF
    # token DRF checks on a write) rather than Basic auth, whose password hash on every
    # request would dominate the timing.
    client = Client()
    client.force_login(supervisor)
    queue = Queue.objects.order_by("id").first()
    print(
        json.dumps(
            {
                "loaded": loaded,
                "session": client.cookies["sessionid"].value,
                "queue": queue.pk,
                "queues": {q.slug: q.pk for q in Queue.objects.all()},
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
