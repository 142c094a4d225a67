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
from dataclasses import dataclass, field

from common import connection, scratch_database, timed

PAGE_SIZES = (20, 100, 200)
DUE = 1000  # clocks due now, among the first 10,000 complaints at both sizes
LIST_TARGET = 2.0
SWEEP_TARGET = 1.5


@dataclass
class Figures:
    ms: dict[str, float] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    page_queries: dict[str, tuple[int, ...]] = field(default_factory=dict)
    slowest: dict[str, str] = field(default_factory=dict)
    sweep_profile: list[tuple[float, int, str]] = field(default_factory=list)


# Seeding: plain SQL over generate_series, so a million rows load in minutes.


@dataclass
class Seed:
    now: dt.datetime
    clock_base: int
    complaint_policy: int
    account_policy: int
    refund_policy: int
    team: int
    agents: list[int]
    partner: int
    other_partner: int


def setup(now: dt.datetime) -> Seed:
    from django.contrib.auth.models import Group, User

    from casework.models import Partner, SlaClock, SlaPolicy, Team

    agents = []
    for index in range(5):
        agent = User.objects.create_user(f"bench.agent{index}", is_staff=True)
        agent.groups.add(Group.objects.get(name="agent"))
        agents.append(agent.pk)
    partners = []
    for code in ("bench", "other"):
        user = User.objects.create_user(f"bench.{code}")
        user.groups.add(Group.objects.get(name="partner"))
        partners.append(
            Partner.objects.create(code=code, name=code, user=user, rate_limit="1000000/minute").pk
        )

    def policy(case_type: str) -> int:
        return SlaPolicy.objects.get(case_type=case_type, category="", priority="").pk

    return Seed(
        now=now,
        clock_base=(SlaClock.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1,
        complaint_policy=policy("complaint"),
        account_policy=policy("account_request"),
        refund_policy=policy("refund"),
        team=Team.objects.get(code="frontline").pk,
        agents=agents,
        partner=partners[0],
        other_partner=partners[1],
    )


# n is a complaint's number, 0 the newest; one every 30 seconds back from now. By n % 10:
# received, accepted, in progress (3), escalated, awaiting the customer (clock paused),
# resolved an hour ago (clock stopped), closed (clock stopped). Every running clock is due
# in 1 to 20 days, except n < 10,000 with n % 10 == 5: due an hour ago (the sweep's 1,000).
COMPLAINT_SQL = """
WITH rows AS (
    SELECT n, %(now)s::timestamptz - n * interval '30 seconds' AS created_at,
           (ARRAY['received','accepted','in_progress','in_progress','escalated','in_progress',
                  'awaiting_customer','resolved','closed','closed'])[1 + n %% 10] AS state,
           n < 10000 AND n %% 10 = 5 AS is_due
    FROM generate_series(%(start)s, %(stop)s - 1) AS n
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at, resolution_due_at,
        resolution_warn_at, is_extended, paused_at, paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * n, %(policy)s, created_at, created_at + interval '1 day',
           created_at + interval '1 hour', due, due - interval '8 hours', false,
           CASE WHEN state = 'awaiting_customer' THEN %(now)s::timestamptz - interval '1 hour' END, 0,
           CASE WHEN state IN ('resolved', 'closed') THEN least(created_at + interval '1 minute',
                %(now)s::timestamptz - interval '1 hour') END
    FROM (SELECT *, CASE WHEN is_due THEN %(now)s::timestamptz - interval '1 hour'
                         ELSE %(now)s::timestamptz + (1 + n %% 20) * interval '1 day' END AS due
          FROM rows) AS timed
    RETURNING id
)
INSERT INTO complaints_complaint (
    id, reference, version, state, turn, channel, category, priority, customer_name, customer_phone,
    account_number, identity_verification_method, description, currency, transaction_reference,
    merchant, device, external_reference, escalation_reason, findings, holding_response, created_at,
    updated_at, resolution_code, resolution_summary, resolved_at, closed_at,
    is_first_contact_resolution, was_escalated, assigned_to_id, partner_id, registered_by_id,
    sla_clock_id, team_id)
SELECT n + 1, 'CMP-BENCH-' || lpad(n::text, 7, '0'), 0, state,
       CASE state WHEN 'awaiting_customer' THEN 'customer' WHEN 'escalated' THEN 'team'
                  WHEN 'resolved' THEN 'nobody' WHEN 'closed' THEN 'nobody' ELSE 'agent' END,
       (ARRAY['phone','chat','email','app','website'])[1 + n %% 5],
       (ARRAY['slow_service','other','privacy'])[1 + n %% 3],
       'normal', 'Customer ' || n, '138' || lpad(n::text, 8, '0'), 'WLT-' || lpad(n::text, 8, '0'),
       '', 'Benchmark complaint', 'CNY', 'TX' || lpad(n::text, 10, '0'), '', '', '', '', '', '',
       created_at, created_at + interval '1 minute', '', '',
       CASE state WHEN 'resolved' THEN %(now)s::timestamptz - interval '1 hour'
                  WHEN 'closed' THEN least(created_at + interval '1 minute',
                                           %(now)s::timestamptz - interval '1 hour') END,
       CASE WHEN state = 'closed' THEN least(created_at + interval '2 minutes', %(now)s::timestamptz) END,
       false, false, (%(agents)s::int[])[1 + n %% 5],
       CASE n %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       (%(agents)s::int[])[1], %(clock_base)s + 3 * n, %(team)s
FROM rows
"""

# m is an account request's or a refund case's number: one for each tenth complaint, in the
# same time span. Open ones wait on staff (never expire), due in 1 to 20 days.
ACCOUNT_SQL = """
WITH rows AS (
    SELECT m, %(now)s::timestamptz - m * interval '300 seconds' AS created_at,
           (ARRAY['pending_review','approved','executed','rejected'])[1 + m %% 4] AS state
    FROM generate_series(%(start)s, %(stop)s - 1) AS m
), accounts AS (
    INSERT INTO accounts_walletaccount (id, account_number, holder_name, phone_masked, status,
                                        lock_reason, failed_attempts, updated_at)
    SELECT m + 1, 'WLT-B' || lpad(m::text, 9, '0'), 'Holder ' || m,
           '138****' || lpad((m %% 10000)::text, 4, '0'), 'locked', 'wrong_passwords', 0, created_at
    FROM rows RETURNING id
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at, resolution_due_at,
        resolution_warn_at, is_extended, paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * m + 1, %(policy)s, created_at, created_at + interval '1 day',
           created_at + interval '1 hour', %(now)s::timestamptz + (1 + m %% 20) * interval '1 day',
           %(now)s::timestamptz + (1 + m %% 20) * interval '1 day' - interval '8 hours', false, 0,
           CASE WHEN state IN ('executed', 'rejected') THEN created_at + interval '1 minute' END
    FROM rows RETURNING id
)
INSERT INTO accounts_accountrequest (
    id, reference, version, kind, state, lock_reason, customer_statement, explanation_given,
    external_reference, identity_verification_method, gateway_reference, rejection_reason,
    created_at, updated_at, partner_id, sla_clock_id, submitted_by_id, account_id)
SELECT m + 1, 'ACR-BENCH-' || lpad(m::text, 7, '0'), 0, 'unlock', state, 'wrong_passwords', '', '', '',
       '', '', '', created_at, created_at + interval '1 minute',
       CASE m %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       %(clock_base)s + 3 * m + 1, (%(agents)s::int[])[1], m + 1
FROM rows
"""

REFUND_SQL = """
WITH rows AS (
    SELECT m, %(now)s::timestamptz - m * interval '300 seconds' AS created_at,
           (ARRAY['requested','under_review','approved','processing','refunded','rejected'])[1 + m %% 6]
               AS state
    FROM generate_series(%(start)s, %(stop)s - 1) AS m
), payments AS (
    INSERT INTO refunds_paymenttransaction (id, reference, merchant, amount, currency, paid_at, created_at)
    SELECT m + 1, 'TXN-BENCH-' || lpad(m::text, 8, '0'), 'Merchant ' || (m %% 500), 800, 'CNY',
           created_at - interval '10 days', created_at
    FROM rows RETURNING id
), clocks AS (
    INSERT INTO casework_slaclock (
        id, policy_id, started_at, first_response_due_at, first_responded_at, resolution_due_at,
        resolution_warn_at, is_extended, paused_minutes_total, stopped_at)
    SELECT %(clock_base)s + 3 * m + 2, %(policy)s, created_at, created_at + interval '1 day',
           created_at + interval '1 hour', %(now)s::timestamptz + (1 + m %% 20) * interval '1 day',
           %(now)s::timestamptz + (1 + m %% 20) * interval '1 day' - interval '8 hours', false, 0,
           CASE WHEN state IN ('refunded', 'rejected') THEN created_at + interval '1 minute' END
    FROM rows RETURNING id
)
INSERT INTO refunds_refundcase (
    id, reference, version, state, refund_type, requested_amount, approved_amount, reason,
    external_reference, evidence_requested, processor_reference, failure_reason, rejection_reason,
    reminders_sent, created_at, updated_at, handler_id, partner_id, sla_clock_id, submitted_by_id,
    transaction_id)
SELECT m + 1, 'RFD-BENCH-' || lpad(m::text, 7, '0'), 0, state,
       (ARRAY['not_received','returned','duplicate_charge','failed_payment'])[1 + m %% 4], 100,
       CASE WHEN state IN ('approved', 'processing', 'refunded') THEN 100 END, 'Benchmark refund', '', '',
       '', '', '', 0, created_at, created_at + interval '1 minute',
       CASE WHEN m %% 2 = 0 THEN (%(agents)s::int[])[2] END,
       CASE m %% 3 WHEN 0 THEN %(partner)s WHEN 1 THEN %(other_partner)s END,
       %(clock_base)s + 3 * m + 2, (%(agents)s::int[])[1], m + 1
FROM rows
"""

SEQUENCES = (
    ("casework_slaclock", "id"),
    ("complaints_complaint", "id"),
    ("accounts_walletaccount", "id"),
    ("accounts_accountrequest", "id"),
    ("refunds_paymenttransaction", "id"),
    ("refunds_refundcase", "id"),
)


def grow(seed: Seed, start: int, stop: int) -> None:
    """Complaints ``start`` to ``stop`` (and a tenth as many of the other cases), then fresh
    statistics and visibility maps, as autovacuum would soon give a real database."""
    common = {
        "now": seed.now,
        "clock_base": seed.clock_base,
        "agents": seed.agents,
        "team": seed.team,
        "partner": seed.partner,
        "other_partner": seed.other_partner,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            COMPLAINT_SQL, {**common, "start": start, "stop": stop, "policy": seed.complaint_policy}
        )
        few = {"start": start // 10, "stop": stop // 10}
        cursor.execute(ACCOUNT_SQL, {**common, **few, "policy": seed.account_policy})
        cursor.execute(REFUND_SQL, {**common, **few, "policy": seed.refund_policy})
        for table, column in SEQUENCES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"(SELECT max({column}) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")


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
        ("admin complaints: first page", complaints, ""),
        ("admin complaints: state=in_progress", complaints, "?state__exact=in_progress"),
        ("admin complaints: SLA breached", complaints, "?sla=breached"),
        ("admin complaints: open, breached", complaints, "?open=breached"),
        ("admin complaints: search phone", complaints, "?q=13800001235"),
        ("admin complaints: search reference", complaints, "?q=CMP-BENCH-0001234"),
        ("admin account requests: first page", accounts, ""),
        ("admin account requests: state", accounts, "?state__exact=pending_review"),
        ("admin account requests: search ref", accounts, "?q=ACR-BENCH-0000123"),
        ("admin refund cases: first page", refunds, ""),
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


def slowest_query(fn) -> str:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
    return slowest["sql"]


def measure(figures: Figures, label: str, fn, repeat: int, *, status) -> None:
    fn()  # warm up: the first request of a view compiles templates and fills caches
    figures.ms[label], figures.queries[label] = timed(fn, repeat)
    figures.statuses[label] = status()
    figures.slowest[label] = slowest_query(fn)


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
            assert response.status_code == 200 and len(response.json()["results"]) == size, url
            counts.append(len(captured))
        figures.page_queries[f"API {url.split('/')[3]}"] = tuple(counts)
    return figures


def reset_due(seed: Seed) -> None:
    """Put the 1,000 due clocks back as the sweep found them: due, not yet acted on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE casework_slaclock SET resolution_breached_at = NULL, due_soon_notified_at = NULL "
            "WHERE id IN (SELECT sla_clock_id FROM complaints_complaint "
            "WHERE id <= 10000 AND mod(id, 10) = 6)"
        )
        cursor.execute("DELETE FROM casework_deliveryattempt")
        cursor.execute("DELETE FROM casework_notification")


def measure_sweep(seed: Seed, figures: Figures, repeat: int) -> None:
    from collections import defaultdict

    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from casework.cases import sweep

    label = "SLA sweep until idle (1,000 due)"
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
        assert acted == DUE, f"the sweep acted on {acted} clocks, not {DUE}"
    samples.sort()
    figures.ms[label] = samples[len(samples) // 2]
    figures.queries[label] = rounds
    figures.statuses[label] = 0


# Reporting.


def report(sizes: tuple[int, int], small: Figures, large: Figures, explain: bool) -> bool:
    names = (f"{sizes[0]:,}", f"{sizes[1]:,}")
    print()
    header = f"{'view':42s} {names[0]:>9s} {names[1]:>10s} {'ratio':>6s} {'target':>7s}  result  queries"
    print(header)
    print("-" * len(header))
    passed = True
    for label in small.ms:
        target = SWEEP_TARGET if label.startswith("SLA") else LIST_TARGET
        ratio = large.ms[label] / small.ms[label]
        ok = ratio <= target and large.statuses[label] in (0, 200)
        passed &= ok
        unit = "rounds" if label.startswith("SLA") else ""
        print(
            f"{label:42s} {small.ms[label]:7.1f}ms {large.ms[label]:8.1f}ms {ratio:6.2f}"
            f" {'≤' + str(target):>7s}"
            f"  {'PASS' if ok else 'FAIL'}    {small.queries[label]} → {large.queries[label]} {unit}"
            + ("" if large.statuses[label] in (0, 200) else f"  HTTP {large.statuses[label]}")
        )
    print()
    sizes_label = "/".join(str(size) for size in PAGE_SIZES)
    print(f"{'queries at page size ' + sizes_label:42s} {names[0]:>12s} {names[1]:>12s}  result")
    for label in small.page_queries:
        # The same at every page size, at each size of table (an estimated count is one query
        # where an exact one is two: the count may differ between the sizes, not within one).
        ok = len(set(small.page_queries[label])) == 1 and len(set(large.page_queries[label])) == 1
        passed &= ok
        print(
            f"{label:42s} {'/'.join(map(str, small.page_queries[label])):>12s}"
            f" {'/'.join(map(str, large.page_queries[label])):>12s}  {'PASS' if ok else 'FAIL'}"
        )
    if explain:
        print(f"\n== SLA sweep at {names[1]}: the statements taking the most time (ms, count, SQL)")
        for total, count, sql in large.sweep_profile:
            print(f"{total:8.1f} {count:5d}  {sql}")
        with connection.cursor() as cursor:
            for label, sql in large.slowest.items():
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
                print(f"\n== {label}: slowest query at {names[1]}\n{sql}\n")
                print("\n".join(row[0] for row in cursor.fetchall()))
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if args.small < 10_000 or args.large <= args.small:
        parser.error("--small must be at least 10000 (the due clocks live there) and --large above it")

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
            measure_sweep(seed, figures, max(3, args.repeat // 2))
            results.append(figures)
        passed = report((args.small, args.large), *results, args.explain)
        print("\nall targets met" if passed else "\nSOME TARGETS MISSED")
        raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
