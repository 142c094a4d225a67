"""Benchmark: the repeat and duplicate check at intake (``complaints.repeats``), as the
complaints table grows.

Seeds ``--rows`` complaints (default 10,000) with ``bench/seed.py`` (the scale benchmark's
bulk ``INSERT ... SELECT generate_series``), then gives them customers the same way: one
customer per five complaints, each with a phone identifier, so a customer has a handful of
complaints close in time, as a caller who rings back does. ``VACUUM ANALYZE``; measures,
each the median of ``--repeat`` runs after one warm-up, with the query count of one run:

- the registration's check (``repeats.earlier_on_matter``, what ``register_complaint``
  adds: one query);
- the intake page's ``related/`` answer (``related_admin.intake_check``: the customer found by
  phone, then their related complaints with duplicates marked);
- a complaint page's box (``related_admin.case_page_box``: what it repeats, what repeats it,
  its likely duplicates).

Then prints the registration check's plan (``EXPLAIN ANALYZE``): an index scan by the
customer, whatever the size (``complaint_customer_created``, customer then time, or while a
customer has a handful of rows the customer key's own index), never a scan of the table.
It runs on a fresh test database (``test_<name>``), dropped afterwards, never the one named
in DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \\
      .venv/bin/python bench/duplicates.py --rows 10000
"""

from __future__ import annotations

import argparse
import datetime as dt

from common import connection, report, scratch_database, timed
from seed import grow, setup

PER_CUSTOMER = 5

CUSTOMER_SQL = """
WITH made AS (
    INSERT INTO casework_customer (id, created_at)
    SELECT %(base)s + c, %(now)s::timestamptz FROM generate_series(0, %(customers)s - 1) AS c
    RETURNING id
)
INSERT INTO casework_customeridentifier (customer_id, kind, value, first_seen_at)
SELECT id, 'phone', '+86139' || lpad((id - %(base)s)::text, 8, '0'), %(now)s::timestamptz FROM made
"""
LINK_SQL = "UPDATE complaints_complaint SET customer_id = %(base)s + (id - 1) / %(per)s"


def seed_customers(rows: int, now: dt.datetime) -> int:
    """One customer per ``PER_CUSTOMER`` complaints; returns the first customer's id."""
    from casework.models import Customer

    base = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    customers = -(-rows // PER_CUSTOMER)
    with connection.cursor() as cursor:
        cursor.execute(CUSTOMER_SQL, {"base": base, "customers": customers, "now": now})
        cursor.execute(LINK_SQL, {"base": base, "per": PER_CUSTOMER})
        for table in ("casework_customer", "casework_customeridentifier"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")
    return base


def explain(sql: str, params) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()

    from django.utils import timezone

    from complaints import repeats
    from complaints.models import Complaint
    from complaints.related_admin import case_page_box, intake_check

    with scratch_database():
        now = timezone.now()
        seed = setup(now)
        grow(seed, 0, args.rows)
        base = seed_customers(args.rows, now)
        # A recent caller: the customer of the newest complaints (the rows of n = 0 .. 4).
        newest = Complaint.objects.get(pk=1)
        customer_id = newest.customer_id
        assert customer_id == base
        phone = f"+86139{0:08d}"
        params = {
            "customer_phone": phone,
            "category": newest.category,
            "transaction_reference": "TX0000000002",
        }
        check = repeats.earlier_on_matter(
            customer_id=customer_id,
            category=newest.category,
            transaction_reference="TX0000000002",
            at=now + dt.timedelta(seconds=1),
        ).values_list("pk", "reference")
        print(f"complaints: {Complaint.objects.count():,}; customers: {-(-args.rows // PER_CUSTOMER):,}")
        print(f"the caller's related complaints: {len(intake_check(params)['cases'])}")
        for label, fn in (
            ("registration's repeat check (one query)", lambda: list(check.all())),
            ("intake related/ answer", lambda: intake_check(params)),
            ("complaint page's repeats and duplicates box", lambda: case_page_box(newest)),
        ):
            fn()  # warm-up
            ms, queries = timed(fn, args.repeat)
            report(label, ms, queries)
        sql, sql_params = check.query.sql_with_params()
        plan = explain(sql, sql_params)
        print("\nEXPLAIN ANALYZE of the registration's check:")
        print("\n".join(f"  {line}" for line in plan))
        # By the customer: the composite (customer, time) index, or, while a customer has a
        # handful of rows, the customer key's own; never a scan of the table.
        scans = [line.split(" using ")[1].split()[0] for line in plan if " using " in line]
        print(f"\nindex used: {', '.join(scans) or 'NONE (a table scan)'}")


if __name__ == "__main__":
    main()
