"""The returns over 1,000,000 complaints on PostgreSQL: the monthly statistics and the
annual disclosure (target: each within 10 s, memory bounded: aggregated in the database),
and the CFPB export of a month, streamed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_returns_bench .venv/bin/python bench/returns.py

Seeds with ``bench/seed.py`` (plain SQL over generate_series, one complaint every 30 s back
from now, so a year holds about 1,050,000), then classifies them in one UPDATE: business
types, causes, outcomes, redress in two currencies, resolution 0 to 89 days after receipt,
so every timeliness bucket is filled. Prints time, tracemalloc's peak and ru_maxrss per
return, and the EXPLAIN ANALYZE of the monthly return's heaviest query with ``--explain``.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import seed
from common import connection, scratch_database
from seed import grow, setup

# bench/seed.py's complaints, classified as they are inserted (an UPDATE of a million rows
# afterwards costs more than the insert): business types, causes, the regime, outcomes,
# redress in two currencies, resolution 0 to 89 days after receipt. Each fragment must be
# found, so a change to seed.py fails here rather than seeding something else.
REWRITES = (
    (
        "outcome, regime_condition)",
        "outcome, regime_condition, business_type_id, cause_id, regime_id, redress_amount)",
    ),
    (
        "'Benchmark complaint', 'CNY',",
        "'Benchmark complaint', CASE WHEN n %% 10 = 0 THEN 'USD' ELSE 'CNY' END,",
    ),
    (
        """CASE state WHEN 'resolved' THEN %(now)s::timestamptz - interval '1 hour'
                  WHEN 'closed' THEN least(created_at + interval '1 minute',
                                           %(now)s::timestamptz - interval '1 hour') END,
       CASE WHEN state = 'closed' THEN least(created_at + interval '2 minutes', %(now)s::timestamptz) END,""",
        """CASE WHEN state IN ('resolved', 'closed')
            THEN least(created_at + ((n * 7) %% 90) * interval '1 day' + interval '2 hours',
                       %(now)s::timestamptz - interval '1 hour') END,
       CASE WHEN state = 'closed'
            THEN least(created_at + ((n * 7) %% 90) * interval '1 day' + interval '3 hours',
                       %(now)s::timestamptz - interval '30 minutes') END,""",
    ),
    (
        "ELSE 'sms' END, '', ''\nFROM rows",
        """ELSE 'sms' END,
       CASE WHEN state IN ('resolved', 'closed')
            THEN (ARRAY['upheld', 'partly_upheld', 'not_upheld', ''])[1 + n %% 4] ELSE '' END, '',
       (%(types)s::int[])[1 + n %% array_length(%(types)s::int[], 1)],
       (%(causes)s::int[])[1 + (n / 7) %% array_length(%(causes)s::int[], 1)],
       %(regime)s,
       CASE WHEN state IN ('resolved', 'closed') AND n %% 5 = 0 THEN 10 + n %% 400 END
FROM rows""",
    ),
)


def classified_sql(codes: dict) -> str:
    """seed.py's statement, rewritten, with the codes' ids written in (grow() passes its own
    parameters only)."""
    sql = seed.COMPLAINT_SQL
    for old, new in REWRITES:
        assert old in sql, f"bench/seed.py changed: {old[:60]!r} is gone"
        sql = sql.replace(old, new)
    for name in ("types", "causes"):
        sql = sql.replace(f"%({name})s::int[]", "ARRAY[" + ",".join(str(pk) for pk in codes[name]) + "]")
    return sql.replace("%(regime)s", str(int(codes["regime"])))


def classification() -> dict:
    from casework.sla.regimes import deployment_regime
    from complaints.models import ClassificationCode

    codes = ClassificationCode.objects.filter
    return {
        "types": list(codes(dimension="business_type").values_list("pk", flat=True)),
        "causes": list(codes(dimension="cause").values_list("pk", flat=True)),
        "regime": deployment_regime().pk,
    }


def measured(label: str, fn, repeat: int):
    fn()  # warm: the codes, the regime, the plan cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best, worst = min(samples), max(samples)
    print(
        f"{label:44s} {sorted(samples)[len(samples) // 2]:6.2f} s (min {best:.2f}, max {worst:.2f})"
        f"  tracemalloc peak {peak / 1024 / 1024:6.2f} MiB  ru_maxrss {rss:7.1f} MiB",
        flush=True,
    )
    return result


def explain(fn) -> None:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    slowest = max(captured.captured_queries, key=lambda query: float(query["time"]))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    with scratch_database():
        from django.utils import timezone

        from complaints.returns import cfpb, disclosure, files, monthly, periods

        print(f"database: {connection.vendor} {connection.pg_version} ({connection.settings_dict['NAME']})")
        now = timezone.now()
        start = time.perf_counter()
        seeded = setup(now)
        original = seed.COMPLAINT_SQL
        seed.COMPLAINT_SQL = classified_sql(classification())
        try:
            grow(seeded, 0, args.size)
        finally:
            seed.COMPLAINT_SQL = original
        print(
            f"seeded {args.size:,} complaints, classified (and the other cases), in "
            f"{time.perf_counter() - start:.1f} s (with VACUUM ANALYZE)",
            flush=True,
        )

        last_month = periods.period_of(periods.MONTH, now.date()).previous()
        year = periods.period_of(periods.YEAR, now.date())
        report = measured(
            f"monthly return {last_month.key}", lambda: monthly.monthly_return(last_month), args.repeat
        )
        print(
            f"  received {report.figures['received'].value:,}, closed {report.figures['closed'].value:,}, "
            f"open at start {report.figures['open_start'].value:,}, "
            f"at end {report.figures['open_end'].value:,}, "
            f"{len(report.table('by_dimension').rows)} business type x cause x channel rows"
        )
        report = measured(
            f"annual disclosure {year.key}", lambda: disclosure.annual_disclosure(year), args.repeat
        )
        print(
            f"  received {report.figures['received'].value:,}, handled {report.figures['handled'].value:,}, "
            f"average {report.figures['average_days'].text} days"
        )

        def stream() -> int:
            export = cfpb.cfpb_export(last_month)
            return sum(len(line) for line in files.csv_lines(files.cfpb_rows(export)))

        size = measured(f"CFPB export {last_month.key}, CSV streamed", stream, 1)
        print(f"  {size / 1024 / 1024:.1f} MiB of CSV")
        if args.explain:
            print("\nEXPLAIN ANALYZE, the monthly return's slowest query:")
            explain(lambda: monthly.monthly_return(last_month))
            print("\nEXPLAIN ANALYZE, the annual disclosure's slowest query:")
            explain(lambda: disclosure.annual_disclosure(year))


if __name__ == "__main__":
    main()
