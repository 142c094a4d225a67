"""Benchmark: customer notices written in their transition's transaction and delivered by a
real Celery worker, at 10,000 and 1,000,000 complaints.

Seeds ``--small`` complaints (``seed.py``: today's 10,000 and, growing, the older history)
and what telling their customers leaves behind, with plain SQL as the cases are: per
complaint past its acceptance, its accept transition record, its acceptance notice
(``Notification``, sent) and the ``CustomerMessage`` it delivered (with a Message-ID when
by e-mail). Then, at each size:

1. **Writing**: ``--accepts`` received complaints of today's (identity verified, the
   partners' customers told directly) are accepted through ``complaints.services``;
   ``accept_complaint`` tells the customer in its transaction (``customers.tell_customer``).
   Per notice: queries and milliseconds of the whole call (after commit included) and of
   ``tell_customer`` alone, median and p95. Target: the same queries at both sizes and at
   most 1.5 times the median time.
2. **Delivering**: ``--emails`` more e-mail notices and ``--sms`` SMS are written through
   ``tell_customer`` (one per event, on today's complaints, given an e-mail address), with
   the accepted ones' SMS queued too. A real worker (``casework.tests.worker``: a
   ``celery worker`` subprocess, two children, on a queue of its own of the Redis broker)
   delivers them to a real SMTP server on loopback (``casework.tests.smtp_server``,
   aiosmtpd) and to the file SMS gateway; timed from publishing the first task until the
   outbox has no pending row. Then every message is checked to have arrived exactly once:
   the SMTP server's messages by Message-ID, the SMS files by name, one delivery attempt
   per notice.

With ``--explain``, the statements of the writes whose mean time grew most are shown with
``EXPLAIN ANALYZE`` at the large size (rolled back).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_nbench \\
      CELERY_BROKER_URL=redis://127.0.0.1:6379/12 CACHE_URL=redis://127.0.0.1:6379/13 \\
      .venv/bin/python bench/notices.py --small 10000 --large 1000000

It runs on a fresh test database (``test_<name>``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# The worker publishes to a real broker; SMS are sent at once whatever the hour the bench
# runs at (quiet hours would hold them for the sweep), here and in the worker it starts.
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
os.environ["CUSTOMER_QUIET_HOURS"] = ""
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's every command

from common import connection, scratch_database  # noqa: E402
from intake import Figures as StatementFigures  # noqa: E402
from intake import Recorder, explain_plan, p95  # noqa: E402
from seed import RECENT, grow, setup  # noqa: E402

TARGET = 1.5
WARM_UP = 5
POLL_S = 0.25

HISTORY_SQL = """
WITH past AS (
    SELECT * FROM complaints_complaint c
    WHERE c.id > %(start)s AND c.id <= %(stop)s AND c.state <> 'received'
), sent AS (
    INSERT INTO casework_notification (
        idempotency_key, kind, channel, recipient, subject, body, signing_key, content_type_id,
        object_id, case_reference, status, attempts, next_attempt_at, last_error, created_at, sent_at)
    SELECT 'customer-acceptance-' || c.reference || '-seed', 'customer_acceptance',
           CASE WHEN c.customer_email <> '' THEN 'email' ELSE 'sms' END,
           CASE WHEN c.customer_email <> '' THEN c.customer_email ELSE '+86' || c.customer_phone END,
           '[' || c.reference || '] We have received your complaint', 'We will answer within 15 days.',
           '', %(content_type)s, c.id, c.reference, 'sent', 1, c.created_at, '', c.created_at,
           c.created_at + interval '1 minute'
    FROM past c
    RETURNING id, idempotency_key, channel, recipient, subject, body, object_id, case_reference,
              created_at, sent_at
), told AS (
    INSERT INTO casework_customermessage (
        content_type_id, object_id, case_reference, direction, channel, kind, address, language,
        subject, body_text, body_html, template_code, status, notification_id, message_id,
        in_reply_to, author_id, idempotency_key, created_at, sent_at)
    SELECT %(content_type)s, object_id, case_reference, 'out', channel, 'acceptance', recipient,
           'zh-hans', subject, body, '', 'acceptance', 'sent', id,
           CASE WHEN channel = 'email' THEN '<' || idempotency_key || '@wallet.example>' ELSE '' END,
           '', NULL, idempotency_key, created_at, sent_at
    FROM sent
    RETURNING id
)
INSERT INTO casework_transitionrecord (
    content_type_id, object_id, case_reference, transition, source_state, target_state, actor_id,
    actor_label, reason, reason_code, reason_params, data, created_at, previous_hash, record_hash)
SELECT %(content_type)s, c.id, c.reference, 'accept', 'received', 'accepted', NULL, 'bench', '', '',
       '{}', '{}', c.created_at, '', ''
FROM past c
"""


@dataclass
class Write:
    ms: float
    queries: int
    tell_ms: float = 0.0
    tell_queries: int = 0


@dataclass
class Figures:
    writes: list[Write] = field(default_factory=list)
    statements: StatementFigures = field(default_factory=StatementFigures)
    queued_seconds: float = 0.0
    emails: int = 0
    sms: int = 0
    seconds: float = 0.0
    checks: list[str] = field(default_factory=list)


def complaint_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    from complaints.models import Complaint

    return ContentType.objects.get_for_model(Complaint).pk


def seed_history(start: int, stop: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, {"content_type": complaint_type(), "start": start, "stop": stop})
        for table in ("casework_notification", "casework_customermessage", "casework_transitionrecord"):
            cursor.execute(f"VACUUM ANALYZE {table}")


# 1. Writing: accept_complaint, which tells the customer in its transaction.


def received(first: int, last: int, count: int) -> list[int]:
    """Ids of ``count`` received complaints of today's numbered ``first`` to ``last``
    (seed.py: n % 10 == 0), their callers' identity verified."""
    ids = [n + 1 for n in range(first, last) if n % 10 == 0][:count]
    assert len(ids) == count, f"only {len(ids)} received complaints in {first}..{last}"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET identity_verified_at = now(), "
            "identity_verification_method = 'callback' WHERE id = ANY(%s)",
            [ids],
        )
    return ids


def measure_writes(figures: Figures, ids: list[int], agent) -> None:
    from complaints import services
    from complaints.models import Complaint
    from complaints.services import customer_notices

    tell = customer_notices.customers.tell_customer
    current: dict[str, Write] = {}

    def timed_tell(**kwargs):
        recorder = Recorder(StatementFigures())
        with connection.execute_wrapper(recorder):
            start = time.perf_counter()
            result = tell(**kwargs)
            current["write"].tell_ms = (time.perf_counter() - start) * 1000
        current["write"].tell_queries = recorder.queries
        return result

    customer_notices.customers.tell_customer = timed_tell
    try:
        for index, pk in enumerate(ids):
            complaint = Complaint.objects.select_related("sla_clock", "partner").get(pk=pk)
            current["write"] = write = Write(0.0, 0)
            recorder = Recorder(figures.statements if index >= WARM_UP else StatementFigures())
            with connection.execute_wrapper(recorder):
                start = time.perf_counter()
                services.accept_complaint(complaint=complaint, actor=agent)
                write.ms = (time.perf_counter() - start) * 1000
            write.queries = recorder.queries
            if index >= WARM_UP:
                figures.writes.append(write)
    finally:
        customer_notices.customers.tell_customer = tell
    from casework.models import CustomerMessage

    told = CustomerMessage.objects.filter(object_id__in=ids, kind="acceptance", status="queued").count()
    assert told == len(ids), f"{told} of {len(ids)} acceptance notices written"


# 2. Delivering: a real worker, a real SMTP server, the file SMS gateway.


def queue_notices(figures: Figures, emails: int, sms: int, tag: str) -> None:
    """``emails`` e-mail and ``sms`` SMS acceptance notices through ``tell_customer``, one
    event each, on today's complaints (given an e-mail address), 100 per transaction."""
    from django.db import transaction

    from casework.notices import customers
    from complaints.models import Complaint
    from complaints.services import customer_notices

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET customer_email = 'customer' || id || '@example.com' "
            "WHERE id <= %s AND customer_email = ''",
            [RECENT],
        )
    complaints = list(Complaint.objects.select_related("sla_clock", "partner").filter(pk__lte=RECENT))
    channels = ["email"] * emails + ["sms"] * sms
    start = time.perf_counter()
    for batch in range(0, len(channels), 100):
        with transaction.atomic():
            for index in range(batch, min(batch + 100, len(channels))):
                complaint = complaints[index % len(complaints)]
                context = customer_notices.shared_context() | {
                    "reference": complaint.reference,
                    "deadline": customers.local_date(complaint.sla_clock.resolution_due_at),
                }
                message = customers.tell_customer(
                    case=complaint,
                    kind=customers.ACCEPTANCE,
                    event=f"bench-{tag}-{index}",
                    channel=channels[index],
                    context=context,
                )
                assert message is not None and message.channel == channels[index], message
    figures.queued_seconds = time.perf_counter() - start


def still_pending(pending) -> bool:
    """Whether the outbox has a pending row; once more on a new connection if the database
    dropped this one (another session on the machine may restart PostgreSQL)."""
    from django.db import OperationalError

    try:
        return pending.exists()
    except OperationalError:
        connection.close()
        time.sleep(5)
        return pending.exists()


def deliver_all(figures: Figures, tag: str, timeout: float) -> None:
    from django.conf import settings

    from casework.models import DeliveryAttempt, Notification
    from casework.notices import outbox, replies, sms
    from casework.tests.smtp_server import smtp_server_on_loopback
    from casework.tests.worker import running_worker

    pending = Notification.objects.filter(status=Notification.Status.PENDING)
    queued = list(pending.values_list("pk", "channel", "idempotency_key"))
    figures.emails = sum(channel == "email" for _, channel, _ in queued)
    figures.sms = sum(channel == "sms" for _, channel, _ in queued)
    with tempfile.TemporaryDirectory(prefix=f"bench-notices-{tag}-") as scratch:
        scratch = Path(scratch)
        sms_dir = scratch / "sms"
        with smtp_server_on_loopback() as mailbox:
            env = {
                "EMAIL_BACKEND": settings.EMAIL_BACKEND,  # SMTP, to the server above
                "EMAIL_HOST": settings.EMAIL_HOST,
                "EMAIL_PORT": str(settings.EMAIL_PORT),
                "SMS_FILE_PATH": str(sms_dir),
            }
            with running_worker(scratch, queue_prefix=f"bench-notices-{tag}", env=env) as worker:
                start = time.perf_counter()
                for pk, _, _ in queued:
                    outbox.publish(pk)
                deadline = start + timeout
                while still_pending(pending):
                    if time.perf_counter() > deadline or worker.process.poll() is not None:
                        raise SystemExit(f"{pending.count()} notices still pending; log: {worker.log}")
                    time.sleep(POLL_S)
                figures.seconds = time.perf_counter() - start
                results = Counter(worker.results())
                assert "Traceback" not in worker.read_log(), worker.read_log()[-3000:]
            received = Counter(str(message["Message-ID"]).strip() for message in mailbox.messages)
        expected_mail = {replies.notice_message_id(key) for _, channel, key in queued if channel == "email"}
        gateway = sms.FileSmsGateway(sms_dir)
        expected_sms = {gateway.path_for(key).name for _, channel, key in queued if channel == "sms"}
        files = {path.name for path in sms_dir.glob("*.json")} if sms_dir.exists() else set()
    ids = [pk for pk, _, _ in queued]
    attempts = Counter(
        DeliveryAttempt.objects.filter(notification_id__in=ids).values_list("notification_id", flat=True)
    )
    sent = Notification.objects.filter(pk__in=ids, status=Notification.Status.SENT).count()
    assert set(received) == expected_mail, (
        f"{len(expected_mail - set(received))} e-mails missing, e.g. "
        f"{sorted(expected_mail - set(received))[:2]} ({len(received)} received)"
    )
    assert max(received.values()) == 1, f"{sum(n > 1 for n in received.values())} e-mails received twice"
    assert files == expected_sms, f"{len(expected_sms - files)} SMS missing"
    assert sent == len(ids) and set(attempts.values()) == {1} and len(attempts) == len(ids), (sent, attempts)
    assert results["True"] == len(ids), results
    figures.checks = [
        f"{len(received):,} e-mails received by the SMTP server, {len(received):,} Message-IDs, none twice",
        f"{len(files):,} SMS files, one per notice",
        f"{sent:,} notices sent, one delivery attempt each; the worker's tasks: {dict(results)}",
    ]


# Reporting.


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), p95(values)


def report(sizes: tuple[int, int], small: Figures, large: Figures, explain: bool) -> bool:
    names = (f"{sizes[0]:,}", f"{sizes[1]:,}")
    passed = True
    heading = f"{'per notice written':34s} {'median ms':>19s} {'p95 ms':>19s} {'ratio':>6s}"
    print(f"\n{heading} {'queries median/p95':>22s}")
    print(f"{'':34s} {names[0]:>9s} {names[1]:>9s} {names[0]:>9s} {names[1]:>9s}")
    print("-" * 120)
    rows = (
        ("accept_complaint (whole call)", lambda w: w.ms, lambda w: w.queries),
        ("  of which tell_customer", lambda w: w.tell_ms, lambda w: w.tell_queries),
    )
    for label, ms_of, queries_of in rows:
        small_median, small_p95 = summary([ms_of(w) for w in small.writes])
        large_median, large_p95 = summary([ms_of(w) for w in large.writes])
        small_q = summary([queries_of(w) for w in small.writes])
        large_q = summary([queries_of(w) for w in large.writes])
        ratio = large_median / small_median
        ok = ratio <= TARGET and small_q == large_q
        passed &= ok
        print(
            f"{label:34s} {small_median:9.1f} {large_median:9.1f} {small_p95:9.1f} {large_p95:9.1f}"
            f" {ratio:6.2f}  {small_q[0]:.0f}/{small_q[1]:.0f} → {large_q[0]:.0f}/{large_q[1]:.0f}"
            f"  {'PASS' if ok else 'FAIL'}"
        )
    print()
    for label, figures in zip(names, (small, large), strict=True):
        total = figures.emails + figures.sms
        print(
            f"worker at {label:>9s}: {total / figures.seconds:6.1f} notices/s ({total:,}: "
            f"{figures.emails:,} e-mail, {figures.sms:,} SMS, in {figures.seconds:.1f} s; "
            f"written in {figures.queued_seconds:.1f} s)"
        )
        for check in figures.checks:
            print(f"    {check}")
    rate_ratio = (small.emails + small.sms) / small.seconds / ((large.emails + large.sms) / large.seconds)
    ok = rate_ratio <= TARGET
    passed &= ok
    print(f"worker's time per notice, {names[1]} / {names[0]}: {rate_ratio:.2f}  {'PASS' if ok else 'FAIL'}")
    growth = []
    for sql, (total, count, params) in large.statements.shapes.items():
        before = small.statements.shapes.get(sql)
        if before and count and before[1]:
            mean, mean_before = total / count, before[0] / before[1]
            growth.append((mean - mean_before, mean, mean_before, sql, params))
    growth.sort(key=lambda row: row[0], reverse=True)
    print(f"\nstatements of the writes whose mean time grew most ({names[0]} → {names[1]}, ms per call):")
    for grown, at_large, at_small, sql, _params in growth[:8]:
        print(f"  {at_small:7.2f} → {at_large:7.2f}  (+{grown:.2f})  {sql[:150]}")
    if explain:
        selects = [row for row in growth if row[3].lstrip().upper().startswith("SELECT")]
        for _grown, _at_large, _at_small, sql, params in selects[:3]:
            print(f"\n== at {names[1]}: {sql[:400]}")
            print("\n".join(explain_plan(sql, params)))
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--accepts", type=int, default=400, help="received complaints accepted, per size")
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=1_000)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the worker may take, per size")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if args.large <= args.small or args.small < RECENT:
        parser.error(f"--small must be at least {RECENT:,} (today's cases), --large above it")
    if args.accepts + WARM_UP > RECENT // 20:
        parser.error(f"--accepts: at most {RECENT // 20 - WARM_UP} (today's received complaints, halved)")

    from casework.tests.queues import own_queue

    with scratch_database(), own_queue("bench-notices"):
        from django.contrib.auth.models import User
        from django.utils import timezone

        from casework.models import Partner

        print(f"database: {connection.vendor} {connection.pg_version}", flush=True)
        seed = setup(timezone.now())
        # The partners' customers are told directly too: every accepted complaint tells one.
        Partner.objects.update(notifies_customers_directly=True)
        agent = User.objects.get(pk=seed.agents[0])
        # Each size accepts other received complaints of today's: the first half at the small size.
        halves = ((0, RECENT // 2), (RECENT // 2, RECENT))
        results = []
        start_n = 0
        for size, (first, last) in zip((args.small, args.large), halves, strict=True):
            tag = f"s{size}"
            start = time.perf_counter()
            grow(seed, start_n, size)
            seed_history(start_n, size)
            start_n = size
            print(
                f"seeded {size:,} complaints and their history in {time.perf_counter() - start:.1f} s",
                flush=True,
            )
            figures = Figures()
            measure_writes(figures, received(first, last, args.accepts + WARM_UP), agent)
            queue_notices(figures, args.emails, args.sms, tag)
            print(
                f"  {len(figures.writes) + WARM_UP} accepted; queued in {figures.queued_seconds:.1f} s",
                flush=True,
            )
            deliver_all(figures, tag, args.timeout)
            print(f"  delivered in {figures.seconds:.1f} s", flush=True)
            results.append(figures)
        passed = report((args.small, args.large), *results, args.explain)
        print("\nall targets met" if passed else "\nSOME TARGETS MISSED")
        raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
