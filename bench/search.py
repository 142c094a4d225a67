"""Benchmark: the full-text search (complaints.search) over ``--rows`` complaints (default
10,000) with Chinese and English descriptions, merchants, notes, partner messages and
customers' SMS, on PostgreSQL with its trigram indexes.

Seeds the complaints with bench/seed.py (``INSERT ... SELECT generate_series``), then gives
them their words with plain SQL: a description, Chinese for even numbers and English for
odd ones, phrases picked by the complaint's number; a merchant; a note on one in five, a
partner message on one in ten, an SMS from the customer on one in ten. The trigram
indexes are dropped for the load and built again after it (the build is timed: what a
migration costs on a table that size). ``VACUUM ANALYZE``; then each search is timed
(median of ``--repeat`` after one warm-up) through the service, the admin changelist
(``?q=``, every state) and the partner API (``?q=``), with its query count, and the
service's query is shown with ``EXPLAIN ANALYZE`` (``--explain``): which indexes it read.

The rare phrases are written on the newest 10,000 complaints only (ten of them, and a
note on ten), as today's work is: at every size the search answers the same question over
more rows. The common ones are on a fixed share of every size: their cost follows the rows
that match.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_search_bench \\
      .venv/bin/python bench/search.py --rows 10000 --explain

It runs on a fresh test database (``test_<name>``), dropped afterwards.
"""

# ruff: noqa: RUF001
from __future__ import annotations

import argparse
import statistics
import time

from common import connection, scratch_database
from seed import grow, setup

# Phrases picked by number: (n / 2) % 10 for an even n (Chinese), (n / 2) % 8 for an odd
# one (English), n % 8 (merchant).
CHINESE = (
    "扫码付款失败但余额被扣",
    "退款未到账已经超过七天",
    "转账一直显示处理中",
    "话费充值没有到账",
    "账户被冻结无法登录",
    "商户拒绝退款",
    "同一笔订单重复扣款两次",
    "提现到银行卡失败",
    "红包无法领取",
    "信用卡还款显示失败",
)
ENGLISH = (
    "The payment failed at the till but the balance dropped",
    "Refund not received after ten days",
    "Charged twice for one order",
    "Transfer pending for three days",
    "Mobile top-up not credited",
    "Account locked after wrong passwords",
    "The merchant refused the refund",
    "Withdrawal to the bank card failed",
)
MERCHANTS = (
    "美团外卖（上海徐汇店）",
    "京东商城自营",
    "Lawson Shanghai Xuhui",
    "滴滴出行",
    "China Mobile top-up",
    "拼多多",
    "Starbucks Nanjing Road",
    "中国铁路12306",
)
NOTES = (
    "已联系银行核实流水",
    "Bank confirmed the reversal",
    "等待清算结果",
    "Asked the merchant for a receipt",
)
RARE = "二维码收款被风控拦截"  # on n % 1000 == 123 below 10,000: ten complaints
RARE_NOTE = "客户提供了公安机关报案回执"  # a note on n % 1000 == 456 below 10,000: ten complaints

TEXT_SQL = """
UPDATE complaints_complaint AS c SET
    description = CASE WHEN c.id - 1 < 10000 AND (c.id - 1) %% 1000 = 123 THEN %(rare)s || '，' ELSE '' END
        || CASE WHEN (c.id - 1) %% 2 = 0
                THEN (%(chinese)s::text[])[1 + (c.id - 1) / 2 %% 10] || '，订单号' || (c.id - 1)
                     || '，请尽快处理。'
                ELSE (%(english)s::text[])[1 + (c.id - 1) / 2 %% 8] || ' (order ' || (c.id - 1) || ').' END,
    merchant = (%(merchants)s::text[])[1 + (c.id - 1) %% 8]
WHERE c.id > %(start)s AND c.id <= %(stop)s
"""
NOTE_SQL = """
INSERT INTO complaints_complaintnote (complaint_id, author_id, body, created_at)
SELECT n + 1, %(author)s,
       CASE WHEN n < 10000 AND n %% 1000 = 456 THEN %(rare_note)s
            ELSE (%(notes)s::text[])[1 + (n / 5) %% 4] END,
       %(now)s
FROM generate_series(%(start)s, %(stop)s - 1) AS n WHERE n %% 5 = 0 OR (n < 10000 AND n %% 1000 = 456)
"""
PARTNER_MESSAGE_SQL = """
INSERT INTO complaints_partnermessage (complaint_id, author_id, is_from_partner, body, created_at)
SELECT n + 1, %(author)s, true, '商户已核实：' || (%(chinese)s::text[])[1 + (n / 10) %% 10], %(now)s
FROM generate_series(%(start)s, %(stop)s - 1) AS n WHERE n %% 10 = 3
"""
SMS_SQL = """
INSERT INTO casework_customermessage (
    content_type_id, object_id, case_reference, direction, channel, kind, address, language, subject,
    body_text, body_html, template_code, status, message_id, in_reply_to, idempotency_key, created_at,
    sent_at)
SELECT %(content_type)s, n + 1, 'CMP-BENCH-' || lpad(n::text, 7, '0'), 'in', 'sms', 'customer_reply',
       '+86138' || lpad(n::text, 8, '0'), 'zh-hans', '',
       '我又打来了：' || (%(chinese)s::text[])[1 + (n / 10) %% 10], '', '', 'received', '', '', '',
       %(now)s, %(now)s
FROM generate_series(%(start)s, %(stop)s - 1) AS n WHERE n %% 10 = 7
"""

SEARCHES = (
    ("rare Chinese phrase (10 complaints)", RARE),
    ("rare Chinese phrase in a note (10)", RARE_NOTE),
    ("Chinese phrase, 1 in 20 (5 chars)", "退款未到账"),
    ("Chinese phrase and English word", "订单号 Lawson"),
    ("Chinese merchant and phrase (2 words)", "美团外卖 订单号"),
    ("English words, any capitals", "CHARGED twice"),
    ("two Chinese characters (no trigram)", "冻结"),
    ("no match", "没有这样的投诉内容"),
)


def trigram_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexdef LIKE '%%gin_trgm_ops%%'")
        return cursor.fetchall()


def seed(rows: int) -> dict:
    from django.contrib.auth.models import User
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from complaints.models import Complaint

    indexes = trigram_indexes()
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    start = time.perf_counter()
    now = timezone.now()
    state = setup(now)
    grow(state, 0, rows)
    author = User.objects.get(pk=state.agents[0]).pk
    params = {
        "now": now,
        "start": 0,
        "stop": rows,
        "author": author,
        "rare": RARE,
        "rare_note": RARE_NOTE,
        "chinese": list(CHINESE),
        "english": list(ENGLISH),
        "merchants": list(MERCHANTS),
        "notes": list(NOTES),
        "content_type": ContentType.objects.get_for_model(Complaint).pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(TEXT_SQL, params)
        cursor.execute(NOTE_SQL, params)
        cursor.execute(PARTNER_MESSAGE_SQL, params)
        cursor.execute(SMS_SQL, params)
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE")
    built = time.perf_counter() - start
    return {"loaded": loaded, "built": built, "indexes": [name for name, _ in indexes]}


def timed(fn, repeat: int) -> tuple[float, int, object]:
    from django.test.utils import CaptureQueriesContext

    result = fn()  # warm up
    samples = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            begin = time.perf_counter()
            result = fn()
            samples.append((time.perf_counter() - begin) * 1000)
    return statistics.median(samples), len(captured), result


def clients():
    from django.contrib.auth.models import User
    from django.test import Client
    from rest_framework.test import APIClient

    from casework.models import ApiScope, Partner
    from casework.partners.credentials import issue_key

    staff = Client()
    staff.force_login(User.objects.create_superuser("bench.search", password="bench-only-password"))
    partner = Partner.objects.get(code="bench")
    scopes = [scope for scope in ApiScope.values if scope != ApiScope.SETTLEMENTS_REPORT]
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION="Bearer " + issue_key(partner, name="bench", scopes=scopes, actor=None)[1]
    )
    return staff, api


def explain(queryset) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        return [row[0] for row in cursor.fetchall()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()

    with scratch_database():
        if connection.vendor != "postgresql":
            raise SystemExit("The trigram indexes are PostgreSQL's: set DATABASE_URL to a PostgreSQL server.")
        from complaints.models import Complaint
        from complaints.search import search_complaints

        with connection.cursor() as cursor:
            cursor.execute("SHOW lc_ctype")
            ctype = cursor.fetchone()[0]
        print(f"database: PostgreSQL {connection.pg_version}, LC_CTYPE {ctype}")
        loaded = seed(args.rows)
        print(
            f"seeded {args.rows:,} complaints with their notes and messages in {loaded['loaded']:.1f} s; "
            f"{len(loaded['indexes'])} trigram indexes built in {loaded['built']:.1f} s (with VACUUM ANALYZE)"
        )
        staff, api = clients()
        header = (
            f"{'search':40s} {'found':>7s} {'service':>9s} {'q':>2s} {'admin':>9s} {'q':>3s}"
            f" {'API':>9s} {'q':>3s}"
        )
        print("\n" + header + "\n" + "-" * len(header))
        plans = {}
        for label, query in SEARCHES:
            page = search_complaints(Complaint.objects.all(), query).order_by("-created_at", "-id")
            ms, queries, rows = timed(lambda page=page: list(page[:50]), args.repeat)
            found = search_complaints(Complaint.objects.all(), query).count()
            admin_ms, admin_queries, response = timed(
                lambda query=query: staff.get("/admin/complaints/complaint/", {"q": query, "open": "any"}),
                args.repeat,
            )
            assert response.status_code == 200, response.status_code
            api_ms, api_queries, response = timed(
                lambda query=query: api.get("/api/v1/complaints/", {"q": query}), args.repeat
            )
            assert response.status_code == 200, response.content
            assert len(rows) == min(found, 50)
            print(
                f"{label:40s} {found:7,d} {ms:7.1f}ms {queries:2d} {admin_ms:7.1f}ms {admin_queries:3d}"
                f" {api_ms:7.1f}ms {api_queries:3d}"
            )
            plans[label] = page[:50]
        if args.explain:
            for label, page in plans.items():
                print(f"\n== {label}: the service's first page, EXPLAIN ANALYZE")
                print("\n".join(explain(page)))


if __name__ == "__main__":
    main()
