"""The retention sweep (issue 18): its cost follows what expires, not the size of the tables.

At two sizes of the tables (``--rows`` complaints, default 10,000, and ten times as many,
with a tenth as many account requests and refund cases, from ``seed.py``), the same number
of expired complaints (``--expired``, default 200) is made through the services (each with
its history, its trail and a note) and aged past the period; every seeded case ended within
the last five years, so only those expire. The sweep is timed with its query count, and
checked: every expired case pseudonymised, nothing else, the chain still verifying.
``--explain`` prints the plan of the query that finds the expired cases.

    DATABASE_URL=postgres://... .venv/bin/python bench/retention.py --rows 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import seed
from common import analyze, connection, scratch_database


def age_seeded(now: dt.datetime) -> None:
    """Every seeded case ended within the last five years (spread over them), so none expires."""
    with connection.cursor() as cursor:
        for table in ("complaints_complaint", "accounts_accountrequest", "refunds_refundcase"):
            cursor.execute(
                f"UPDATE {table} SET updated_at = %s::timestamptz - (id %% 1800) * interval '1 day' "
                "WHERE pseudonymised_at IS NULL",
                [now],
            )


def make_expired(count: int, agent, now: dt.datetime, batch: int) -> list[int]:
    """``count`` rejected complaints with a note, ended six years before ``now``; numbered
    far above the seed's ids (the seed numbers its rows itself), so the tables can grow after."""
    from complaints import services

    with connection.cursor() as cursor:
        for table, column in seed.SEQUENCES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), %s)", [batch * 50_000_000]
            )
    made = []
    for index in range(count):
        complaint = services.register_complaint(
            actor=agent,
            channel="phone",
            category="other",
            customer_name=f"Expired Customer {batch}-{index}",
            customer_phone=f"+86139{batch:02d}{index:06d}",
            account_number=f"62229{batch:02d}{index:07d}",
            description=f"Expired complaint {batch}-{index}: call me on +86139{batch:02d}{index:06d}.",
        )
        services.add_note(
            complaint=complaint, actor=agent, body=f"Spoke to Expired Customer {batch}-{index}."
        )
        services.reject_complaint(complaint=complaint, actor=agent, reason="Not a wallet matter")
        made.append(complaint.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET updated_at = %s::timestamptz - interval '6 years' "
            "WHERE id = ANY(%s)",
            [now, made],
        )
    return made


def sweep(now: dt.datetime) -> tuple[dict, float, int]:
    from django.test.utils import CaptureQueriesContext

    from casework.privacy import retention

    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        done = retention.run(now)
        elapsed = time.perf_counter() - start
    return done, elapsed, len(captured)


def explain(now: dt.datetime) -> str:
    from casework.models import RetentionPolicy, kinds
    from complaints.models import Complaint

    kind = kinds.kind_of(Complaint)
    cutoff = RetentionPolicy.objects.get(record_type="complaint").cutoff(now)
    query = retention_query(kind, cutoff)
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(f"    {line}" for (line,) in cursor.fetchall())


def retention_query(kind, cutoff):
    from casework.privacy import retention

    return retention.expired(kind, cutoff)[: retention.BATCH_SIZE]


def check(made: list[int], earlier: list[int]) -> None:
    """Every expired case pseudonymised, nothing else; the field histories (the seed writes
    none: these are the expired cases') and their trails hold their seals."""
    from casework.core.chain import chain_faults, chained_models
    from casework.trail import audit
    from complaints.models import Complaint

    left = Complaint.objects.filter(pk__in=made, pseudonymised_at__isnull=True).count()
    others = Complaint.objects.exclude(pk__in=made + earlier).filter(pseudonymised_at__isnull=False).count()
    assert (left, others) == (0, 0), (left, others)
    for model in chained_models():
        faults = list(chain_faults(model))
        assert not faults, faults[:3]
    for pk in made:
        assert not audit.chain_faults(audit.records_for(Complaint.objects.get(pk=pk)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--expired", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    with scratch_database():
        from django.contrib.auth.models import User
        from django.utils import timezone

        print(f"database: {connection.vendor} {connection.pg_version} ({connection.settings_dict['NAME']})")
        now = timezone.now()
        seeded = seed.setup(now)
        agent = User.objects.get(pk=seeded.clerk)
        rows = 0
        results = []
        earlier: list[int] = []
        for batch, size in enumerate((args.rows, args.rows * 10), start=1):
            start = time.perf_counter()
            seed.grow(seeded, rows, size)
            rows = size
            age_seeded(now)
            made = make_expired(args.expired, agent, now, batch)
            analyze()
            print(
                f"{size:,} complaints (+{size // 10:,} account requests and refund cases), "
                f"{args.expired} expired: seeded in {time.perf_counter() - start:.1f} s",
                flush=True,
            )
            if args.explain:
                print(explain(now))
            done, elapsed, queries = sweep(now)
            check(made, earlier)
            earlier += made
            assert done["complaint"] == args.expired, done
            results.append((size, elapsed, queries))
            print(
                f"  sweep: {done} in {elapsed * 1000:.0f} ms, {queries} queries "
                f"({elapsed * 1000 / args.expired:.1f} ms and {queries / args.expired:.1f} queries a case); "
                "their chains verify",
                flush=True,
            )
        (small, small_s, small_q), (large, large_s, large_q) = results
        print(
            f"\n{large:,} / {small:,} rows: time x{large_s / small_s:.2f}, queries x{large_q / small_q:.2f} "
            f"for the same {args.expired} expired cases"
        )


if __name__ == "__main__":
    main()
