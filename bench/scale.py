"""Benchmark: do the admin changelists, the partner API lists and the SLA sweep stay flat
as the tables grow? One run, one database, two sizes, side by side.

Seeds ``--small`` complaints (default 10,000) with their SLA clocks, and a tenth as many
account requests and refund cases, straight into a scratch database with
``INSERT ... SELECT generate_series`` (load, not behaviour: no transitions, no history);
``VACUUM ANALYZE``; measures. Then grows the same database to ``--large`` complaints
(default 1,000,000) and measures the same views again. The rows added by growing are
older history: the newest rows, the partner's recent changes and the 1,000 clocks due now
are the same at both sizes, so each view answers the same question over more rows.

Each timing is the median of ``--repeat`` runs after one warm-up, through Django's test
client in this process (no network, no web server). The table prints, for each view, the
time at both sizes, their ratio and the target (at most 2 for lists, 1.5 for the sweep);
then the query count of each list at three page sizes, at both sizes: it must not move
with the page size. Run it on an otherwise idle machine: the figures are wall times.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_scale \\
      .venv/bin/python bench/scale.py --small 10000 --large 1000000

With ``--explain``, the slowest query of each view at the large size is printed with
``EXPLAIN ANALYZE``. It runs on a fresh test database (``test_<name>``), dropped
afterwards, never the one named in DATABASE_URL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import Figures, connection, measure, scratch_database
from seed import Seed, due_clocks, grow, setup
from workspace import ESTIMATED_COUNT, measure_workspace

PAGE_SIZES = (20, 100, 200)
LIST_TARGET = 2.0
SWEEP_TARGET = 1.5
WIDTH = 56  # of the view column


# Measuring.


def staff_client():
    from django.contrib.auth.models import User
    from django.test import Client

    supervisor = User.objects.filter(username="bench.sup").first() or User.objects.create_superuser(
        "bench.sup", password="bench-only-password"
    )
    client = Client()
    client.force_login(supervisor)
    return client


def partner_client():
    from rest_framework.test import APIClient

    from casework.models import ApiScope, Partner
    from casework.partners.credentials import issue_key

    partner = Partner.objects.get(code="bench")
    scopes = [s for s in ApiScope.values if s != ApiScope.SETTLEMENTS_REPORT]
    key = issue_key(partner, name="bench", scopes=scopes, actor=None)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def admin_views() -> list[tuple[str, str, str]]:
    """(label, changelist URL, query string)."""
    complaints = "/admin/complaints/complaint/"
    accounts = "/admin/accounts/accountrequest/"
    refunds = "/admin/refunds/refundcase/"
    return [
        ("admin complaints: open (the default)", complaints, ""),
        ("admin complaints: state=in_progress", complaints, "?state__exact=in_progress"),
        ("admin complaints: SLA breached", complaints, "?sla=breached"),
        ("admin complaints: open, breached", complaints, "?open=breached"),
        ("admin complaints: search phone", complaints, "?q=13800001235"),
        ("admin complaints: search reference", complaints, "?q=CMP-BENCH-0001234"),
        ("admin account requests: open (default)", accounts, ""),
        ("admin account requests: state", accounts, "?state__exact=pending_review"),
        ("admin account requests: search ref", accounts, "?q=ACR-BENCH-0000123"),
        ("admin refund cases: open (the default)", refunds, ""),
        ("admin refund cases: state", refunds, "?state__exact=under_review"),
        ("admin refund cases: search txn ref", refunds, "?q=TXN-BENCH-00000123"),
    ]


def api_views(now: dt.datetime) -> list[tuple[str, str, str]]:
    since = (now - dt.timedelta(days=1)).isoformat().replace("+", "%2B")
    return [
        ("API complaints: first page", "/api/v1/complaints/", ""),
        ("API complaints: state=in_progress", "/api/v1/complaints/", "?state=in_progress"),
        ("API complaints: updated_since 1 day", "/api/v1/complaints/", f"?updated_since={since}"),
        ("API account requests: first page", "/api/v1/account-requests/", ""),
        ("API refund cases: first page", "/api/v1/refund-cases/", ""),
    ]


def with_page_size(model_admin, size: int):
    class Sized:
        def __enter__(self):
            self.before = model_admin.list_per_page
            model_admin.list_per_page = size

        def __exit__(self, *exc):
            model_admin.list_per_page = self.before

    return Sized()


def measure_lists(seed: Seed, repeat: int) -> Figures:
    from django.contrib import admin
    from django.test.utils import CaptureQueriesContext

    figures = Figures()
    staff = staff_client()
    for label, url, query in admin_views():
        measure(
            figures,
            label,
            lambda url=url, query=query: staff.get(url + query),
            repeat,
            status=lambda url=url, query=query: staff.get(url + query).status_code,
        )
    api = partner_client()
    for label, url, query in api_views(seed.now):
        measure(
            figures,
            label,
            lambda url=url, query=query: api.get(url + query),
            repeat,
            status=lambda url=url, query=query: api.get(url + query).status_code,
        )

    # Query counts at three page sizes: the first page of each list.
    registry = {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}
    for name, url in (
        ("complaints.complaint", "/admin/complaints/complaint/"),
        ("accounts.accountrequest", "/admin/accounts/accountrequest/"),
        ("refunds.refundcase", "/admin/refunds/refundcase/"),
    ):
        counts = []
        for size in PAGE_SIZES:
            with with_page_size(registry[name], size), CaptureQueriesContext(connection) as captured:
                assert staff.get(url).status_code == 200
            counts.append(len(captured))
        figures.page_queries[f"admin {name.split('.')[1]}"] = tuple(counts)
    for url in ("/api/v1/complaints/", "/api/v1/account-requests/", "/api/v1/refund-cases/"):
        counts = []
        for size in PAGE_SIZES:
            with CaptureQueriesContext(connection) as captured:
                response = api.get(f"{url}?page_size={size}")
            body = response.json()
            # A full page, unless a debugging run's small size has fewer cases to show.
            assert response.status_code == 200, url
            assert len(body["results"]) == size or body.get("next") is None, url
            counts.append(len(captured))
        figures.page_queries[f"API {url.split('/')[3]}"] = tuple(counts)
    measure_workspace(figures, staff, repeat)
    return figures


def reset_due(seed: Seed) -> None:
    """Put the due clocks (1,000 at full size) back as the sweep found them: due, not yet acted on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE casework_slaclock SET resolution_breached_at = NULL, due_soon_notified_at = NULL "
            "WHERE id IN (SELECT sla_clock_id FROM complaints_complaint "
            "WHERE id <= 10000 AND mod(id, 10) = 6)"
        )
        cursor.execute("DELETE FROM casework_deliveryattempt")
        cursor.execute("DELETE FROM casework_notification")


def measure_sweep(seed: Seed, figures: Figures, repeat: int, *, label: str, due: int) -> None:
    from collections import defaultdict

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from casework.cases import sweep

    samples = []
    for attempt in range(repeat + 1):
        reset_due(seed)
        connection.queries_log.clear()  # the log keeps 9,000: room for every statement of the run
        start = time.perf_counter()
        acted = 0
        rounds = 0
        with CaptureQueriesContext(connection) as captured:
            while True:
                done = sweep.run(timezone.now())
                rounds += 1
                acted += sum(done.values())
                if not any(done.values()) or rounds > 50:
                    break
        if attempt == repeat:  # where the time goes, by statement shape
            shapes: dict[str, list[float]] = defaultdict(list)
            for query in captured.captured_queries:
                shapes[query["sql"][:160]].append(float(query["time"]) * 1000)
            figures.sweep_profile = sorted(
                ((sum(times), len(times), sql) for sql, times in shapes.items()), reverse=True
            )[:6]
        if attempt:  # the first is the warm-up
            samples.append((time.perf_counter() - start) * 1000)
        assert acted == due, f"the sweep acted on {acted} clocks, not {due}"
    samples.sort()
    figures.ms[label] = samples[len(samples) // 2]
    figures.queries[label] = rounds
    figures.statuses[label] = 0


# Reporting.


def report(sizes: tuple[int, int], small: Figures, large: Figures, explain: bool) -> bool:
    names = (f"{sizes[0]:,}", f"{sizes[1]:,}")
    print()
    header = f"{'view':{WIDTH}s} {names[0]:>9s} {names[1]:>10s} {'ratio':>6s} {'target':>7s}  result  queries"
    print(header)
    print("-" * len(header))
    passed = True
    for label in small.ms:
        target = SWEEP_TARGET if label.startswith("SLA") else LIST_TARGET
        ratio = large.ms[label] / small.ms[label]
        # The same queries at both sizes; a list whose count the paginator estimates at the
        # large size saves the exact count's query there.
        saved = 1 if ESTIMATED_COUNT in label else 0
        same = large.queries[label] in (small.queries[label], small.queries[label] - saved)
        ok = ratio <= target and same and large.statuses[label] in (0, 200)
        passed &= ok
        unit = "rounds" if label.startswith("SLA") else ""
        print(
            f"{label:{WIDTH}s} {small.ms[label]:7.1f}ms {large.ms[label]:8.1f}ms {ratio:6.2f}"
            f" {'≤' + str(target):>7s}"
            f"  {'PASS' if ok else 'FAIL'}    {small.queries[label]} → {large.queries[label]} {unit}"
            + ("" if large.statuses[label] in (0, 200) else f"  HTTP {large.statuses[label]}")
        )
    print()
    sizes_label = "/".join(str(size) for size in PAGE_SIZES)
    print(f"{'queries at page size ' + sizes_label:{WIDTH}s} {names[0]:>12s} {names[1]:>12s}  result")
    for label in small.page_queries:
        # The same at every page size, at each size of table (an estimated count is one query
        # where an exact one is two: the count may differ between the sizes, not within one).
        ok = len(set(small.page_queries[label])) == 1 and len(set(large.page_queries[label])) == 1
        passed &= ok
        print(
            f"{label:{WIDTH}s} {'/'.join(map(str, small.page_queries[label])):>12s}"
            f" {'/'.join(map(str, large.page_queries[label])):>12s}  {'PASS' if ok else 'FAIL'}"
        )
    if explain:
        print(f"\n== SLA sweep at {names[1]}: the statements taking the most time (ms, count, SQL)")
        for total, count, sql in large.sweep_profile:
            print(f"{total:8.1f} {count:5d}  {sql}")
        for label, sql in large.slowest.items():
            print(f"\n== {label}: slowest query at {names[1]}\n{sql}\n")
            print("\n".join(explain_plan(sql)))
    return passed


def explain_plan(sql: str) -> list[str]:
    """The plan ``sql`` ran with, under the planner settings a case list sets for its page
    (``CaseAdmin.changelist_view``), in a transaction rolled back: EXPLAIN ANALYZE runs the
    statement, and a ``SELECT ... FOR UPDATE`` takes its locks."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if args.large <= args.small:
        parser.error("--large must be above --small")
    if args.small < 10_000:
        print("A debugging run: below 10,000 complaints today's cases and the due clocks are not all")
        print("seeded at the small size, so the sizes do not answer the same question.")

    with scratch_database():
        from django.utils import timezone

        version = connection.pg_version if connection.vendor == "postgresql" else ""
        print(f"database: {connection.vendor} {version}")
        seed = setup(timezone.now())
        results = []
        start_n = 0
        for size in (args.small, args.large):
            start = time.perf_counter()
            grow(seed, start_n, size)
            start_n = size
            print(
                f"seeded {size:,} complaints, {size // 10:,} account requests, {size // 10:,} refund cases "
                f"in {time.perf_counter() - start:.1f} s (with VACUUM ANALYZE)",
                flush=True,
            )
            figures = measure_lists(seed, args.repeat)
            sweep_label = f"SLA sweep until idle ({due_clocks(args.small):,} due)"
            measure_sweep(seed, figures, max(3, args.repeat // 2), label=sweep_label, due=due_clocks(size))
            results.append(figures)
        passed = report((args.small, args.large), *results, args.explain)
        print("\nall targets met" if passed else "\nSOME TARGETS MISSED")
        raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
