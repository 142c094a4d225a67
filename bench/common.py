"""What every benchmark here shares: Django set up on a scratch test database, and a
timer that reports the median wall time with the query count of one run."""

from __future__ import annotations

import contextlib
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Notices are written but not published: the benchmarks measure the database side.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
# The audit chain's key, for this process and the servers it starts (DEBUG off needs one).
os.environ.setdefault("AUDIT_CHAIN_KEY", secrets.token_hex(32))
# This process seeds and measures as the test suite does (the demo's settings); the servers
# it starts run the production profile (DEMO off) on their own environment.
os.environ.setdefault("DEMO", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, get_runner, setup_test_environment  # noqa: E402


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, int]:
    """Median milliseconds over ``repeat`` runs, and the queries of one run."""
    samples = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
        queries = len(captured)
    return statistics.median(samples), queries


# What bench/scale.py measures of each view, at one size of the tables.


@dataclass
class Figures:
    ms: dict[str, float] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    page_queries: dict[str, tuple[int, ...]] = field(default_factory=dict)
    slowest: dict[str, str] = field(default_factory=dict)
    sweep_profile: list[tuple[float, int, str]] = field(default_factory=list)


def slowest_query(fn) -> str:
    """The slowest statement ``fn`` ran that EXPLAIN can explain: a SELECT, not the
    ``SET LOCAL`` or savepoint around it (a changelist's page sets its planner first)."""
    with CaptureQueriesContext(connection) as captured:
        fn()
    explainable = [
        query for query in captured.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")
    ]
    slowest = max(explainable, key=lambda query: float(query["time"]))
    return slowest["sql"]


def measure(figures: Figures, label: str, fn, repeat: int, *, status) -> None:
    fn()  # warm up: the first request of a view compiles templates and fills caches
    figures.ms[label], figures.queries[label] = timed(fn, repeat)
    figures.statuses[label] = status()
    figures.slowest[label] = slowest_query(fn)


def report(label: str, ms: float, queries: int | None = None, note: str = "") -> None:
    counted = f"  {queries:3d} queries" if queries is not None else ""
    print(f"{label:50s} {ms:8.1f} ms{counted}{('  ' + note) if note else ''}")


def analyze() -> None:
    """Fresh statistics after a bulk load, as autovacuum would soon give a real database:
    without them PostgreSQL plans for the empty tables it last saw."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure_changelist(url: str, views: list[tuple[str, str]]) -> None:
    """Time an admin changelist as a superuser, for each (label, query string)."""
    from django.contrib.auth.models import User
    from django.test import Client

    supervisor = User.objects.create_superuser("bench.sup", password="bench-only-password")
    staff = Client()
    staff.force_login(supervisor)
    for label, query in views:
        ms, queries = timed(lambda query=query: staff.get(url + query))
        status = staff.get(url + query).status_code
        report(label, ms, queries, f"(HTTP {status})")


def measure_api_list(url: str, partner_username: str, sizes=(20, 100, 200)) -> None:
    """Time a partner API list at each page size, with a new key of the partner's."""
    from rest_framework.test import APIClient

    from casework.models import ApiScope, Partner
    from casework.partners.credentials import issue_key

    partner = Partner.objects.get(user__username=partner_username)
    key = issue_key(
        partner,
        name="bench",
        scopes=[s for s in ApiScope.values if s != ApiScope.SETTLEMENTS_REPORT],
        actor=None,
    )[1]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    for size in sizes:
        ms, queries = timed(lambda size=size: api.get(f"{url}?page_size={size}"))
        report(f"API list, page_size={size}", ms, queries)


@contextlib.contextmanager
def scratch_database() -> Iterator[None]:
    """A fresh, migrated test database (``test_<name>``), dropped afterwards."""
    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old_config = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(old_config)
