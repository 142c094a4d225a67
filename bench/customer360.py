"""Benchmark: does the customer's page (Customer 360) stay flat as the tables grow?

Seeds ``--rows`` complaints (default 10,000), a tenth as many account requests and refund
cases, with ``bench/seed.py``'s set-based SQL (``grow``: ``INSERT ... SELECT
generate_series``, no per-row save), then spreads them over customers with more of the
same: five complaints per customer (complaint ``n`` is customer ``n // 5 + 1``'s), each
customer known by a phone and a wallet account, and the account request and the refund
case ``m`` of customer ``2m + 1`` (so every other customer has one of each); three
customer messages per ten complaints. Customer 1 is measured: five of today's complaints
in various states, an account request, a refund case and three messages, the same at
every size.

Times ``GET /admin/customers/1/`` (the median of ``--repeat`` requests after one warm-up,
through Django's test client, as a superuser), the search that finds them by phone, and
a case page with its link to the customer (the count of their cases); counts each one's
queries. With ``--then N`` it grows the same database to ``N`` complaints and measures
again, side by side (target: the same queries, at most 2x the time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_scale \\
      .venv/bin/python bench/customer360.py --rows 10000 --then 1000000

It runs on a fresh test database (``test_<name>``), dropped afterwards, never the one
named in DATABASE_URL.
"""

from __future__ import annotations

import argparse
import time

from common import Figures, connection, measure, scratch_database
from seed import grow, setup

TIME_TARGET = 2.0
PER_CUSTOMER = 5
TARGET_PHONE = "+8613800000000"  # complaint 0's phone, customer 1's

# Customers ``start // 5`` to ``stop // 5`` with their phone and account (those of their
# first complaint, as identity.keys_of keeps them: the phone in E.164), and each case's
# customer: complaint n -> n // 5 + 1; account request and refund case m -> 2m + 1.
CUSTOMERS_SQL = """
INSERT INTO casework_customer (id, created_at)
SELECT c + 1, %(now)s::timestamptz FROM generate_series(%(first)s, %(last)s - 1) AS c;
INSERT INTO casework_customeridentifier (customer_id, kind, value, first_seen_at)
SELECT c + 1, kind, CASE kind WHEN 'phone' THEN '+86138' || lpad((5 * c)::text, 8, '0')
                             ELSE 'WLT-' || lpad((5 * c)::text, 8, '0') END, %(now)s::timestamptz
FROM generate_series(%(first)s, %(last)s - 1) AS c, (VALUES ('phone'), ('account')) AS kinds (kind);
UPDATE complaints_complaint SET customer_id = (id - 1) / 5 + 1 WHERE id > %(start)s AND id <= %(stop)s;
UPDATE accounts_accountrequest SET customer_id = 2 * (id - 1) + 1
WHERE id > %(start)s / 10 AND id <= %(stop)s / 10;
UPDATE refunds_refundcase SET customer_id = 2 * (id - 1) + 1
WHERE id > %(start)s / 10 AND id <= %(stop)s / 10;
"""

# Three messages per ten complaints (n % 10 in 0, 1, 2): the acceptance notice by SMS.
MESSAGES_SQL = """
INSERT INTO casework_customermessage (
    content_type_id, object_id, case_reference, direction, channel, kind, address, language, subject,
    body_text, body_html, template_code, status, message_id, in_reply_to, idempotency_key, created_at,
    sent_at)
SELECT %(content_type)s, c.id, c.reference, 'out', 'sms', 'acceptance', '+86' || c.customer_phone,
       'zh-hans', '', 'Your complaint ' || c.reference || ' is accepted.', '', '', 'sent', '', '',
       'bench-' || c.id, c.created_at, c.created_at
FROM complaints_complaint AS c
WHERE c.id > %(start)s AND c.id <= %(stop)s AND (c.id - 1) %% 10 IN (0, 1, 2)
"""


def spread_over_customers(start: int, stop: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from complaints.models import Complaint

    params = {
        "now": timezone.now(),
        "first": start // PER_CUSTOMER,
        "last": (stop + PER_CUSTOMER - 1) // PER_CUSTOMER,
        "start": start,
        "stop": stop,
        "content_type": ContentType.objects.get_for_model(Complaint).pk,
    }
    with connection.cursor() as cursor:
        for statement in CUSTOMERS_SQL.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
        cursor.execute(MESSAGES_SQL, params)
        for table in ("casework_customer", "casework_customeridentifier", "casework_customermessage"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cursor.execute("VACUUM ANALYZE")


def views() -> list[tuple[str, str]]:
    from complaints.models import Complaint

    newest = Complaint.objects.filter(customer_id=1).order_by("-created_at").values_list("pk", flat=True)[0]
    return [
        ("customer page (customer 1)", "/admin/customers/1/"),
        ("search by phone", f"/admin/customers/?phone={TARGET_PHONE.replace('+', '%2B')}"),
        ("a case page with the customer link", f"/admin/complaints/complaint/{newest}/change/"),
    ]


def measure_page(repeat: int) -> Figures:
    from django.contrib.auth.models import User
    from django.test import Client

    user = User.objects.filter(username="bench.sup").first() or User.objects.create_superuser(
        "bench.sup", password="bench-only-password"
    )
    staff = Client()
    staff.force_login(user)
    page = staff.get("/admin/customers/1/")
    assert page.status_code == 200, page.status_code
    shown = page.content.decode().count('class="customer-case__reference"')
    assert shown == 7, f"customer 1 should show 7 cases, shows {shown}"
    figures = Figures()
    for label, url in views():
        measure(
            figures,
            label,
            lambda url=url: staff.get(url),
            repeat,
            status=lambda url=url: staff.get(url).status_code,
        )
    return figures


def report(sizes: list[int], results: list[Figures]) -> bool:
    heading = "".join(f"{size:>14,}" for size in sizes)
    print(f"\n{'view':40s}{heading}   queries{'   ratio' if len(sizes) > 1 else ''}")
    passed = True
    for label in results[0].ms:
        times = "".join(f"{figures.ms[label]:11.1f} ms" for figures in results)
        queries = "/".join(str(figures.queries[label]) for figures in results)
        statuses = {figures.statuses[label] for figures in results}
        line = f"{label:40s}{times}   {queries:>7}"
        if len(results) > 1:
            ratio = results[-1].ms[label] / results[0].ms[label]
            same = len({figures.queries[label] for figures in results}) == 1
            ok = ratio <= TIME_TARGET and same
            passed &= ok
            line += f"   {ratio:5.2f}{'' if ok else '  MISSED'}"
        print(f"{line}   (HTTP {'/'.join(str(s) for s in sorted(statuses))})")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="complaints to seed (default 10,000)")
    parser.add_argument("--then", type=int, default=0, help="grow to this many complaints and measure again")
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    if args.then and args.then <= args.rows:
        parser.error("--then must be above --rows")

    with scratch_database():
        from django.utils import timezone

        version = connection.pg_version if connection.vendor == "postgresql" else ""
        print(f"database: {connection.vendor} {version}")
        seed = setup(timezone.now())
        sizes = [args.rows, *([args.then] if args.then else [])]
        results, start_n = [], 0
        for size in sizes:
            began = time.perf_counter()
            grow(seed, start_n, size)
            spread_over_customers(start_n, size)
            start_n = size
            print(
                f"seeded {size:,} complaints over {size // PER_CUSTOMER:,} customers, {size // 10:,} account "
                f"requests, {size // 10:,} refund cases in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
            results.append(measure_page(args.repeat))
        passed = report(sizes, results)
        if len(sizes) > 1:
            print("\nall targets met" if passed else "\nSOME TARGETS MISSED")
        raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
