"""Benchmark: our complaint create and lists against django-helpdesk's, side by side, in one
run on the same PostgreSQL server, each side seeded with the same rows.

    make bench-helpdesk        # or, with helpdesk's virtualenv made (bench/helpdesk/README.md):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench .venv/bin/python bench/helpdesk_compare.py

What it does:

1. Seeds ``--rows`` complaints (default 100,000) into a fresh test database of ours
   (``test_<name>``) with ``seed.py``, gives them descriptions of 40 to 400 characters,
   and exports them; django-helpdesk (its own virtualenv ``bench/helpdesk/.venv``, its own
   project ``bench/helpdesk/hdproject``) migrates a database of its own on the same server
   (``test_<name>_helpdesk``) and loads one ticket per complaint: a category is a queue, a
   state a status, the holder the assignee, the customer the submitter, the same text.
2. Serves both with gunicorn (the same version, the same number of sync workers, DEBUG
   off, persistent connections) and keeps ``--connections`` connections busy with ``wrk``
   for ``--seconds`` per run, the variants taking turns for ``--rounds`` rounds after a
   warm-up; each figure is the median over the rounds. The creates:
   our partner API (``POST /api/v1/complaints/``, an API key, a new ``Idempotency-Key``
   each request), the bare DRF create of ``bench/api_create.py`` on the same table, and
   helpdesk's staff API (``POST /api/tickets/``, a staff session with its CSRF token: the
   cheapest authentication it accepts; Basic auth would hash the password on every call).
   With ``--customers each`` our two creates file every request for another customer (the
   phone and account numbered per request) instead of all for one; helpdesk's body stays.
   Every answer is checked by wrk's script (status 201 and the created reference or id in
   the body; anything else fails the run) and every answered row is then looked up in its
   table (ours with its idempotency record and transition record).
3. Times the lists one request at a time on both sides, turn about, ``--repeat`` times
   after a warm-up (median): the admin changelists and the API lists, their first page and
   a page filtered by state.

It prints a table with the ratios (helpdesk's time over ours for the lists; our rate over
helpdesk's and over the bare create's for the creates) and the targets: our create at
least 2x helpdesk's and at least 0.9x the bare DRF create. Both databases are dropped
afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from api_create import BODY, body_for, start_server
from common import connection, scratch_database
from servers import READY_CONFIG, free_port, get, ready_file, wait_until_serving

BENCH = Path(__file__).resolve().parent
HELPDESK = BENCH / "helpdesk"
HELPDESK_PYTHON = HELPDESK / ".venv" / "bin" / "python"
PASSWORD = "bench-only-password"
CREATE_TARGET_HELPDESK = 2.0
CREATE_TARGET_BARE = 0.9

# Descriptions of 40 to 400 characters (the same text on both sides).
DESCRIPTIONS_SQL = """
UPDATE complaints_complaint SET description = left(repeat(
    'Paid at the till, the payment failed but the balance dropped; the merchant says no money '
    'arrived and the app shows the payment as pending. ', 4), (40 + (id * 37) % 361)::int)
"""
EXPORT_SQL = """
COPY (SELECT c.id, c.category, c.state, coalesce(u.username, ''),
             'customer' || c.id || '@example.com', c.created_at, c.description
      FROM complaints_complaint AS c LEFT JOIN auth_user AS u ON u.id = c.assigned_to_id
      ORDER BY c.id) TO STDOUT WITH CSV
"""

HELPDESK_BODY = {
    "queue": None,  # the first queue's id, known after the seed
    "title": "Payment failed, balance dropped",
    "description": BODY["description"],
    "submitter_email": "customer-bench@example.com",
    "priority": 3,
}

# wrk's script: the headers and body of a variant; a new Idempotency-Key per request when
# asked; every answer's status and body checked, the created reference or id kept (one
# file per thread), any other answer counted as a failure and its first body kept.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[%(body)s]==]
%(headers)s
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args)
  run = args[1]
  idempotent = args[2] == "idempotent"
  offset = tonumber(args[4])
  tid = wrk.thread:get("tid")
  counter = 0
  failures = 0
  failure = ""
  out = io.open(args[3] .. "." .. tid, "a")
  out:setvbuf("line")
end
function request()
  counter = counter + 1
  local n = string.format("%%08d", (offset + tid * 1000000 + counter) %% 100000000)
  local body = (string.gsub(wrk.body, "__N__", n))
  if not idempotent then
    return wrk.format(nil, nil, nil, body)
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter
  return wrk.format(nil, nil, headers, body)
end
function response(status, headers, body)
  local made = status == 201 and string.match(body, [==[%(pattern)s]==])
  if made then
    out:write(made, "\\n")
  else
    failures = failures + 1
    if failure == "" then failure = status .. " " .. string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write("checked-failures: ", thread:get("failures"), " ", thread:get("failure"), "\\n")
  end
end
"""


def helpdesk_env(database_url: str, secret: str) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "HELPDESK_DATABASE_URL": database_url,
        "SECRET_KEY": secret,
        "DATABASE_CONN_MAX_AGE": "600",
        "DEBUG": "false",
        "PYTHONPATH": str(HELPDESK),
    }


def our_database_url() -> str:
    configured = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(configured._replace(path=f"/{connection.settings_dict['NAME']}"))


def helpdesk_database_url() -> str:
    return urlunsplit(
        urlsplit(our_database_url())._replace(path=f"/{connection.settings_dict['NAME']}_helpdesk")
    )


def admin_sql(statement: str) -> None:
    """CREATE / DROP DATABASE, outside any transaction, on our connection's server."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        admin.execute(statement)


def seed_ours(rows: int, export: Path) -> dict:
    import datetime as dt

    from django.utils import timezone
    from seed import grow, setup

    started = time.monotonic()
    seed = setup(timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5))
    grow(seed, 0, rows)
    with connection.cursor() as cursor:
        cursor.execute(DESCRIPTIONS_SQL)
        cursor.execute("VACUUM ANALYZE complaints_complaint")
        with export.open("wb") as sink, cursor.cursor.copy(EXPORT_SQL) as copy:
            for data in copy:
                sink.write(data)
    return {"seconds": time.monotonic() - started, "partner": seed.partner}


def seed_helpdesk(url: str, secret: str, export: Path) -> dict:
    env = helpdesk_env(url, secret)
    started = time.monotonic()
    subprocess.run(
        [str(HELPDESK_PYTHON), str(HELPDESK / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
    )
    loaded = subprocess.run(
        [str(HELPDESK_PYTHON), str(HELPDESK / "seed_helpdesk.py"), str(export)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    facts = json.loads(loaded.stdout.strip().splitlines()[-1])
    facts["seconds"] = time.monotonic() - started
    return facts


def start_helpdesk(port: int, workers: int, url: str, secret: str, log: Path) -> subprocess.Popen:
    """Helpdesk's gunicorn, returned once every worker answers (``servers.wait_until_serving``)."""
    ready = ready_file(log)
    server = subprocess.Popen(
        [
            str(HELPDESK_PYTHON.with_name("gunicorn")),
            "hdproject.wsgi:application",
            *("-c", str(READY_CONFIG), "--pythonpath", str(HELPDESK), "--workers", str(workers)),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
            # Its unfiltered API list reads every ticket: let it finish rather than be killed
            # at gunicorn's default 30 s (it was, at 100,000 tickets: an HTTP 500).
            *("--timeout", "600"),
        ],
        env={**helpdesk_env(url, secret), "BENCH_READY_FILE": str(ready)},
        cwd=HELPDESK,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_serving(server, port=port, workers=workers, ready=ready, log=log)
    return server


# The creates.


def run_wrk(script: Path, url: str, *, seconds: int, connections: int, idempotent: bool, sink: str) -> dict:
    output = subprocess.run(
        [
            *("wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"),
            *("--latency", "-s", str(script), url, "--", uuid.uuid4().hex[:12]),
            *("idempotent" if idempotent else "plain", sink),
            str(secrets.randbelow(100_000_000)),  # where this run's customer numbers start
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    errors = re.search(r"Socket errors: (.*)", output)
    failures = [line for line in output.splitlines() if line.startswith("checked-failures:")]
    failed = sum(int(line.split()[1]) for line in failures)
    if errors or failed or not failures:
        raise SystemExit(f"wrk saw failures against {url}:\n{output}")
    return {
        "rate": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": re.search(r"\s50%\s+(\S+)", output).group(1),
        "p99": re.search(r"\s99%\s+(\S+)", output).group(1),
    }


def wrk_script(scratch: Path, name: str, body: dict, headers: dict, pattern: str) -> Path:
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    script = scratch / f"{name}.lua"
    script.write_text(WRK_SCRIPT % {"body": json.dumps(body), "headers": lines, "pattern": pattern})
    return script


def created_in(sinks: Path, name: str) -> list[str]:
    made = []
    for part in sinks.glob(f"{name}.*"):
        made.extend(line for line in part.read_text().splitlines() if line)
    return made


def verify_ours(references: list[str], *, full: bool) -> None:
    from casework.models import IdempotencyKey, TransitionRecord
    from complaints.models import Complaint

    saved = set(Complaint.objects.filter(reference__in=references).values_list("reference", flat=True))
    missing = set(references) - saved
    assert not missing, f"{len(missing)} answered 201 but not saved, e.g. {sorted(missing)[:3]}"
    if full:
        remembered = IdempotencyKey.objects.filter(
            response_status=201, response_body__reference__in=references
        )
        assert remembered.count() == len(references), "an answer without its idempotency record"
        trailed = TransitionRecord.objects.filter(case_reference__in=references).values("case_reference")
        assert trailed.distinct().count() == len(references), "a complaint without its transition record"


def verify_helpdesk(url: str, ids: list[str]) -> None:
    import psycopg

    with psycopg.connect(url) as db:
        found = db.execute(
            "SELECT count(*) FROM helpdesk_ticket WHERE id = ANY(%s)", [[int(i) for i in ids]]
        ).fetchone()
        followups = db.execute(
            "SELECT count(DISTINCT ticket_id) FROM helpdesk_followup WHERE ticket_id = ANY(%s)",
            [[int(i) for i in ids]],
        ).fetchone()
    assert found[0] == len(ids), f"{len(ids) - found[0]} tickets answered 201 but not saved"
    assert followups[0] == len(ids), "a ticket without its opening follow-up"


# The lists.


def lists(our_port, our_headers, admin_headers, hd_port, hd_headers, repeat: int) -> list[tuple]:
    views = [
        ("admin changelist, first page", "/admin/complaints/complaint/", "/admin/helpdesk/ticket/"),
        (
            "admin changelist, filtered by state",
            "/admin/complaints/complaint/?state__exact=in_progress",
            "/admin/helpdesk/ticket/?status__exact=1",
        ),
        ("API list, first page", "/api/v1/complaints/", "/api/tickets/"),
        ("API list, filtered by state", "/api/v1/complaints/?state=in_progress", "/api/tickets/?status=1"),
    ]
    rows = []
    for label, ours, theirs in views:
        headers = admin_headers if ours.startswith("/admin/") else our_headers

        def timed(port, path, headers):
            start = time.perf_counter()
            status, body = get(port, path, headers)
            elapsed = (time.perf_counter() - start) * 1000
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {body[:500]!r}")
            return elapsed

        try:
            warm_ours = timed(our_port, ours, headers)
            warm_theirs = timed(hd_port, theirs, hd_headers)
        except SystemExit as refused:
            print(f"{label}: not timed: {refused}")
            continue
        # A view that takes minutes is timed fewer times (noted in the table).
        times = repeat if max(warm_ours, warm_theirs) < 5000 else min(repeat, 2)
        samples_ours, samples_theirs = [], []
        for _ in range(times):
            samples_ours.append(timed(our_port, ours, headers))
            samples_theirs.append(timed(hd_port, theirs, hd_headers))
        rows.append((label, statistics.median(samples_ours), statistics.median(samples_theirs), times))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="complaints, and as many tickets")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (wrk -c)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn workers")
    parser.add_argument("--seconds", type=int, default=10, help="length of each create run")
    parser.add_argument("--rounds", type=int, default=3, help="turns each create variant takes")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests of each list view")
    parser.add_argument(
        "--customers",
        choices=("one", "each"),
        default="one",
        help="our creates all for one customer (the default), or each for another",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not HELPDESK_PYTHON.exists():
        raise SystemExit("django-helpdesk's virtualenv is missing: make bench-helpdesk makes it")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server: the figures are PostgreSQL's.")

    from django.conf import settings

    secret = "bench-only-" + uuid.uuid4().hex
    # The servers' sessions are signed with this key: the sessions made here must match.
    settings.SECRET_KEY = secret

    with scratch_database(), tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        from django.contrib.auth.models import User
        from django.test import Client

        from casework.models import ApiScope, Partner
        from casework.partners.credentials import issue_key

        ours = seed_ours(args.rows, scratch / "rows.csv")
        hd_url = helpdesk_database_url()
        admin_sql(f'DROP DATABASE IF EXISTS "{urlsplit(hd_url).path[1:]}"')
        admin_sql(f'CREATE DATABASE "{urlsplit(hd_url).path[1:]}"')
        try:
            theirs = seed_helpdesk(hd_url, secret, scratch / "rows.csv")
            print(
                f"seeded {args.rows:,} complaints in {ours['seconds']:.1f} s; "
                f"{theirs['loaded']:,} tickets (migrate + load) in {theirs['seconds']:.1f} s"
            )
            partner = Partner.objects.get(pk=ours["partner"])
            key = issue_key(partner, name="bench", scopes=[ApiScope.COMPLAINTS_WRITE], actor=None)[1]
            supervisor = User.objects.create_superuser("bench.sup", password=PASSWORD)
            staff = Client()
            staff.force_login(supervisor)
            our_session = staff.cookies["sessionid"].value
            csrf = uuid.uuid4().hex  # a CSRF secret of 32 characters, as cookie and header
            our_api = {"Authorization": f"Bearer {key}"}
            our_admin = {"Cookie": f"sessionid={our_session}"}
            hd_headers = {"Cookie": f"sessionid={theirs['session']}; csrftoken={csrf}"}

            our_port, hd_port = free_port(), free_port()
            our_log, hd_log = scratch / "ours.log", scratch / "helpdesk.log"
            # Served as production serves it: the admin's static files from their manifest.
            subprocess.run(
                [sys.executable, str(BENCH.parent / "manage.py"), "collectstatic", "--noinput", "-v0"],
                env={
                    **os.environ,
                    **{"DEMO": "false", "DEBUG": "false", "SECRET_KEY": secret},
                    "PAYMENTS_SIGNING_SECRET": "whsec_YmVuY2gtb25seS1zZWNyZXQtYmVuY2gtb25seQ==",
                    "PAYMENTS_ENDPOINT_URL": "http://127.0.0.1:9/payments/",
                },
                check=True,
            )
            our_server = start_server(our_port, args.workers, our_log, secret)
            try:
                hd_server = start_helpdesk(hd_port, args.workers, hd_url, secret, hd_log)
            except BaseException:
                our_server.terminate()
                raise
            try:
                results = measure(args, scratch, key, our_port, hd_port, hd_headers, csrf, theirs, hd_url)
                list_rows = lists(our_port, our_api, our_admin, hd_port, hd_headers, args.repeat)
            finally:
                for server in (our_server, hd_server):
                    server.terminate()
                    server.wait(timeout=30)
        finally:
            from django.db import connections

            connections.close_all()
            admin_sql(f'DROP DATABASE IF EXISTS "{urlsplit(hd_url).path[1:]}"')
    report(args, results, list_rows)


VARIANTS = ("ours", "bare", "helpdesk")
LABELS = {
    "ours": "ours: POST /api/v1/complaints/ + Idempotency-Key",
    "bare": "bare DRF create (bench/api_create.py)",
    "helpdesk": "django-helpdesk: POST /api/tickets/",
}


def measure(args, scratch, key, our_port, hd_port, hd_headers, csrf, theirs, hd_url) -> dict:
    our_headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    body = {**HELPDESK_BODY, "queue": theirs["queue"]}
    ours_body = body_for(args.customers)  # ours and the bare create file for the same customers
    scripts = {
        "ours": wrk_script(scratch, "ours", ours_body, our_headers, r'"reference":%s*"(CMP%-[^"]+)"'),
        "bare": wrk_script(scratch, "bare", ours_body, our_headers, r'"reference":%s*"(BARE%-[^"]+)"'),
        "helpdesk": wrk_script(
            scratch,
            "helpdesk",
            body,
            {**hd_headers, "Content-Type": "application/json", "X-CSRFToken": csrf},
            r'^{"id":%s*(%d+),',
        ),
    }
    urls = {
        "ours": f"http://127.0.0.1:{our_port}/api/v1/complaints/",
        "bare": f"http://127.0.0.1:{our_port}/bench/bare-complaints/",
        "helpdesk": f"http://127.0.0.1:{hd_port}/api/tickets/",
    }
    sinks = scratch / "made"
    sinks.mkdir()
    runs: dict[str, list[dict]] = {name: [] for name in VARIANTS}
    for warm in (True, False):
        for _ in range(1 if warm else args.rounds):
            for name in VARIANTS:
                run = run_wrk(
                    scripts[name],
                    urls[name],
                    seconds=min(args.seconds, 5) if warm else args.seconds,
                    connections=args.connections,
                    idempotent=name == "ours",
                    sink=str(sinks / name),
                )
                if not warm:
                    runs[name].append(run)
    made = {name: created_in(sinks, name) for name in VARIANTS}
    verify_ours(made["ours"], full=True)
    verify_ours(made["bare"], full=False)
    verify_helpdesk(hd_url, made["helpdesk"])
    return {"runs": runs, "made": {name: len(made[name]) for name in VARIANTS}}


def report(args, results, list_rows) -> None:
    runs = results["runs"]
    rate = {name: statistics.median(run["rate"] for run in runs[name]) for name in VARIANTS}
    print(
        f"\nPostgreSQL, one server; gunicorn {args.workers} sync workers a side; wrk {args.connections} "
        f"connections; {args.rounds} rounds of {args.seconds} s a variant, taking turns; "
        f"{os.cpu_count()} cores; our customers: {args.customers}"
    )
    print(f"\n{'create':52s} {'req/s':>8s} {'per round':>20s} {'p50':>8s} {'p99':>8s}")
    for name in VARIANTS:
        middle = sorted(runs[name], key=lambda run: run["rate"])[len(runs[name]) // 2]
        per_round = " ".join(f"{run['rate']:.0f}" for run in runs[name])
        print(
            f"{LABELS[name]:52s} {rate[name]:8.1f} {per_round:>20s} {middle['p50']:>8s} {middle['p99']:>8s}"
        )
    vs_helpdesk = rate["ours"] / rate["helpdesk"]
    vs_bare = rate["ours"] / rate["bare"]
    print(
        f"ours / helpdesk: {vs_helpdesk:.2f}x (target >= {CREATE_TARGET_HELPDESK}: "
        f"{'PASS' if vs_helpdesk >= CREATE_TARGET_HELPDESK else 'FAIL'}); "
        f"ours / bare DRF: {vs_bare:.2f}x (target >= {CREATE_TARGET_BARE}: "
        f"{'PASS' if vs_bare >= CREATE_TARGET_BARE else 'FAIL'}); bare / helpdesk: "
        f"{rate['bare'] / rate['helpdesk']:.2f}x"
    )
    made = results["made"]
    print(
        f"every answer 201 with its reference, every row found saved: ours {made['ours']:,} "
        f"(each with its idempotency and transition records), bare {made['bare']:,}, "
        f"helpdesk {made['helpdesk']:,}"
    )
    print(
        f"\n{'list (one request at a time)':40s} {'ours':>10s} {'helpdesk':>11s} {'helpdesk/ours':>14s}  runs"
    )
    for label, ours, theirs, times in list_rows:
        print(f"{label:40s} {ours:8.1f}ms {theirs:9.1f}ms {theirs / ours:13.1f}x  {times}")


if __name__ == "__main__":
    sys.exit(main())
