"""Benchmark: does filing a customer's reply cost the same at 10,000 and 1,000,000 cases?

Seeds ``--small`` complaints (``seed.py``: today's 10,000 and, growing, the older history)
and one outgoing notice per complaint (``CustomerMessage``, the acceptance e-mail, with
its Message-ID; plain SQL, as the cases are), starts a real IMAP server (dovecot, as the
tests do: ``casework.tests.mailserver``), puts ``--replies`` customers' e-mails in its
INBOX and files them with ``mailbox.fetch`` until the mailbox has nothing unseen. Then it
grows the same database to ``--large`` complaints and does it again with as many new
replies, on other cases of today's (so both sizes answer the same question over more rows).

The replies are mixed as a mailbox's are: most sent to the signed reply address of the
notice they answer, some quoting only its Message-ID (``In-Reply-To``), some answering a
case awaiting the customer (which resumes it and tells its holder), a few from unknown
senders (each opens a complaint). Then ``--sms`` SMS replies through
``texts.file_customer_sms`` (the gateway's webhook's service), some on cases awaiting
the customer.

Printed per size: replies per second end to end (the fetches' wall time over the
mailbox: IMAP, parsing, filing, marking seen), and per reply, measured around each
filing (``mail.file_customer_email`` as ``mailbox.fetch`` calls it): queries and
milliseconds, median and p95, by kind of reply. Target: the same queries per reply at
both sizes and at most 1.5 times the time. With ``--explain``, the statements whose mean
time grew most are shown with ``EXPLAIN ANALYZE`` at the large size (rolled back).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_ibench \\
      .venv/bin/python bench/intake.py --small 10000 --large 1000000

It runs on a fresh test database (``test_<name>``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage

from common import connection, scratch_database
from seed import RECENT, grow, setup

TARGET = 1.5
WARM_UP = 4
COMPLAINTS_ADDRESS = "complaints@wallet.example"

# Of every 20 e-mail replies: 15 to the reply address, 2 by In-Reply-To only, 2 on cases
# awaiting the customer (reply address), 1 from an unknown sender.
MIX = ("address",) * 15 + ("thread",) * 2 + ("resume",) * 2 + ("unknown",)

NOTICES_SQL = """
INSERT INTO casework_customermessage (
    content_type_id, object_id, case_reference, direction, channel, kind, address, language,
    subject, body_text, body_html, template_code, status, message_id, in_reply_to, created_at,
    sent_at)
SELECT %(content_type)s, c.id, c.reference, 'out', 'email', 'acceptance',
       'customer' || c.id || '@example.com', 'zh-hans',
       '[' || c.reference || '] We have received your complaint', 'We will answer within 15 days.',
       '', '', 'sent', '<complaint-' || c.id || '-acceptance@wallet.example>', '', c.created_at,
       c.created_at
FROM complaints_complaint c WHERE c.id > %(start)s AND c.id <= %(stop)s
"""


@dataclass
class Reply:
    kind: str
    ms: float
    queries: int


@dataclass
class Figures:
    seconds: float = 0.0
    rounds: int = 0
    replies: list[Reply] = field(default_factory=list)
    sms: list[Reply] = field(default_factory=list)
    # Each statement's shape: total ms, count, the last parameters (for EXPLAIN).
    shapes: dict[str, list] = field(default_factory=lambda: defaultdict(lambda: [0.0, 0, None]))


class Recorder:
    """Counts and times the statements run inside it (``connection.execute_wrapper``)."""

    def __init__(self, figures: Figures) -> None:
        self.figures = figures
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            shape = self.figures.shapes[sql]
            shape[0] += (time.perf_counter() - start) * 1000
            shape[1] += 1
            shape[2] = params
            self.queries += 1


def measured(file, figures: Figures, kinds_of: dict[str, str], into: list[Reply]):
    """``file`` (a filing service), timed and its statements counted, call by call."""

    def run(*args, **kwargs):
        recorder = Recorder(figures)
        with connection.execute_wrapper(recorder):
            start = time.perf_counter()
            result = file(*args, **kwargs)
            ms = (time.perf_counter() - start) * 1000
        key = args[0] if isinstance(args[0], str) else args[0].get("Message-ID")
        into.append(Reply(kinds_of.get(key, "?"), ms, recorder.queries))
        return result

    return run


# Seeding.


def seed_notices(start: int, stop: int) -> None:
    from django.contrib.contenttypes.models import ContentType

    from complaints.models import Complaint

    content_type = ContentType.objects.get_for_model(Complaint).pk
    with connection.cursor() as cursor:
        cursor.execute(NOTICES_SQL, {"content_type": content_type, "start": start, "stop": stop})
        cursor.execute("ANALYZE casework_customermessage")


def make_room(seed, large: int) -> None:
    """The complaints (and clocks) the unknown senders open take ids above those the large
    size will seed, so growing the tables after the small size's intake collides with none."""
    with connection.cursor() as cursor:
        tops = (("complaints_complaint", large), ("casework_slaclock", seed.clock_base + 3 * large))
        for table, top in tops:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"greatest((SELECT max(id) FROM {table}), %s))",
                [top + 10],
            )


Targets = list[tuple[str, int]]


def targets(first: int, last: int, count: int, sms: int) -> tuple[Targets, Targets]:
    """(kind, complaint id) for ``count`` e-mail and ``sms`` SMS replies on today's complaints
    numbered ``first`` to ``last`` (seed.py: n % 10 is 6 awaiting the customer; 1 to 5 open
    with a holder), each case answered once."""
    waiting = [n + 1 for n in range(first, last) if n % 10 == 6]
    working = [n + 1 for n in range(first, last) if n % 10 in (1, 2, 3, 5)]
    mail: list[tuple[str, int]] = []
    for index in range(count):
        kind = MIX[index % len(MIX)]
        mail.append((kind, 0 if kind == "unknown" else (waiting if kind == "resume" else working).pop()))
    texts = [("sms-resume" if index % 4 == 0 else "sms", 0) for index in range(sms)]
    texts = [(kind, (waiting if kind == "sms-resume" else working).pop()) for kind, _ in texts]
    # Filed first, not measured: one of each kind fills the caches (and makes the intake's user).
    warm = [("address", working.pop()), ("thread", working.pop()), ("resume", waiting.pop()), ("unknown", 0)]
    return warm + mail, texts


def mail_for(kind: str, complaint_id: int, tag: str, number: int) -> EmailMessage:
    from casework.models import CustomerMessage
    from casework.notices.replies import reply_address

    message = EmailMessage()
    message["Message-ID"] = f"<reply-{tag}-{number}@customer.example>"
    message["Subject"] = "My wallet was charged twice" if kind == "unknown" else "Re: your complaint"
    if kind == "unknown":
        message["From"] = f"New Customer <new.customer.{tag}.{number}@example.net>"
        message["To"] = COMPLAINTS_ADDRESS
    else:
        notice = CustomerMessage.objects.get(
            direction=CustomerMessage.Direction.OUTGOING, object_id=complaint_id, kind="acceptance"
        )
        message["From"] = f"Customer {complaint_id} <{notice.address}>"
        message["To"] = COMPLAINTS_ADDRESS if kind == "thread" else reply_address(notice.pk)
        message["In-Reply-To"] = notice.message_id
        message["References"] = notice.message_id
    message.set_content(f"Reply {number}: here is my bank statement, as you asked.\n" * 5)
    return message


def fill(server, mail: list[tuple[str, int]], tag: str) -> dict[str, str]:
    kinds_of = {}
    with server.session() as imap:
        for number, (kind, complaint_id) in enumerate(mail):
            message = mail_for(kind, complaint_id, tag, number)
            kinds_of[message["Message-ID"]] = kind
            status, detail = imap.append("INBOX", None, None, message.as_bytes())
            assert status == "OK", detail
    return kinds_of


# Measuring.


def measure(server, size: int, mail, texts, tag: str) -> Figures:
    from django.utils import timezone

    from casework.intake import mailbox
    from casework.intake import texts as sms_intake
    from casework.models import CustomerMessage
    from complaints.models import Complaint, State

    figures = Figures()
    warm, mail = mail[:WARM_UP], mail[WARM_UP:]
    fill(server, warm, f"w{tag}")
    assert mailbox.fetch(mailbox.Mailbox.from_url(server.url)).filed == WARM_UP
    server.empty()
    kinds_of = fill(server, mail, tag)
    complaints_before = Complaint.objects.count()
    original = mailbox.file_customer_email
    mailbox.file_customer_email = measured(original, figures, kinds_of, figures.replies)
    box = mailbox.Mailbox.from_url(server.url)
    try:
        start = time.perf_counter()
        while True:
            fetched = mailbox.fetch(box)
            figures.rounds += 1
            assert not fetched.failed, f"{fetched.failed} replies not filed"
            if not fetched.filed:
                break
        figures.seconds = time.perf_counter() - start
    finally:
        mailbox.file_customer_email = original
    assert server.unseen() == 0
    filed = CustomerMessage.objects.filter(direction="in", message_id__startswith=f"<reply-{tag}-").count()
    assert filed == len(mail), f"{filed} of {len(mail)} filed"
    resumed = [pk for kind, pk in mail if kind == "resume"]
    assert not Complaint.objects.filter(pk__in=resumed).exclude(state=State.IN_PROGRESS).exists()
    opened = Complaint.objects.count() - complaints_before
    assert opened == sum(kind == "unknown" for kind, _ in mail), opened

    phones = {pk: f"+86138{pk - 1:08d}" for _, pk in texts}
    for pk, phone in phones.items():  # seed.py's phones are national: these in E.164, as filed
        Complaint.objects.filter(pk=pk).update(customer_phone=phone)
    kinds_of = {f"{phones[pk]}|{tag}": kind for kind, pk in texts}
    file_sms = measured(
        lambda phone, *rest: sms_intake.file_customer_sms(phone.partition("|")[0], *rest),
        figures,
        kinds_of,
        figures.sms,
    )
    for number, (_kind, pk) in enumerate(texts):
        filed = file_sms(f"{phones[pk]}|{tag}", "我已经上传了账单。", timezone.now(), f"{tag}-{number}")
        assert filed is not None and filed.object_id == pk
    waiting = [pk for kind, pk in texts if kind == "sms-resume"]
    assert not Complaint.objects.filter(pk__in=waiting).exclude(state=State.IN_PROGRESS).exists()
    print(
        f"  {len(mail):,} e-mails filed in {figures.seconds:.1f} s ({figures.rounds} fetches), "
        f"{opened} complaints opened; {len(texts)} SMS filed",
        flush=True,
    )
    return figures


# Reporting.


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def summary(replies: list[Reply]) -> tuple[float, float, float, float, int]:
    ms = [reply.ms for reply in replies]
    queries = [reply.queries for reply in replies]
    return statistics.median(ms), p95(ms), statistics.median(queries), p95(queries), max(queries)


def report(sizes: tuple[int, int], small: Figures, large: Figures, explain: bool) -> bool:
    names = (f"{sizes[0]:,}", f"{sizes[1]:,}")
    passed = True
    print()
    for label, figures in zip(names, (small, large), strict=True):
        rate = len(figures.replies) / figures.seconds
        print(f"end to end at {label:>9s}: {rate:6.1f} replies/s ({figures.seconds:.1f} s for "
              f"{len(figures.replies):,}, {figures.rounds} fetches)")  # fmt: skip
    header = (
        f"\n{'per reply':24s} {'median ms':>19s} {'p95 ms':>19s} {'ratio':>6s}"
        f" {'queries (median/p95/max)':>28s}  result"
    )
    print(header)
    print(f"{'':24s} {names[0]:>9s} {names[1]:>9s} {names[0]:>9s} {names[1]:>9s}")
    print("-" * (len(header) - 1))
    groups = [("all e-mail", lambda r: True)]
    groups += [(f"e-mail: {kind}", lambda r, kind=kind: r.kind == kind) for kind in dict.fromkeys(MIX)]
    rows = [(label, [r for r in small.replies if test(r)], [r for r in large.replies if test(r)])
            for label, test in groups]  # fmt: skip
    rows += [("SMS: all", small.sms, large.sms)]
    for kind in ("sms", "sms-resume"):
        rows.append((f"SMS: {kind}", [r for r in small.sms if r.kind == kind],
                     [r for r in large.sms if r.kind == kind]))  # fmt: skip
    for label, at_small, at_large in rows:
        if not at_small or not at_large:
            continue
        small_median, small_p95, small_queries, small_qp95, small_max = summary(at_small)
        large_median, large_p95, large_queries, large_qp95, large_max = summary(at_large)
        ratio = large_median / small_median
        # The same statements per reply: median and p95 (the first reply of a run also
        # fills caches, and the first unknown sender makes the intake's user).
        ok = ratio <= TARGET and (small_queries, small_qp95) == (large_queries, large_qp95)
        passed &= ok
        print(
            f"{label:24s} {small_median:9.1f} {large_median:9.1f} {small_p95:9.1f} {large_p95:9.1f}"
            f" {ratio:6.2f} {small_queries:4.0f}/{small_qp95:<4.0f}/{small_max:<3d} →"
            f" {large_queries:3.0f}/{large_qp95:<4.0f}/{large_max:<3d}  {'PASS' if ok else 'FAIL'}"
        )
    growth = []
    for sql, (total, count, params) in large.shapes.items():
        before = small.shapes.get(sql)
        if before and count and before[1]:
            mean, mean_before = total / count, before[0] / before[1]
            growth.append((mean - mean_before, mean, mean_before, sql, params))
    # By how much the mean grew, of the statements run at least 20 times (fewer is noise).
    growth = [row for row in growth if large.shapes[row[3]][1] >= 20]
    growth.sort(key=lambda row: row[0], reverse=True)
    print(f"\nstatements whose mean time grew most ({names[0]} → {names[1]}, ms per call):")
    for grown, at_large, at_small, sql, _params in growth[:8]:
        print(f"  {at_small:7.2f} → {at_large:7.2f}  (+{grown:.2f})  {sql[:150]}")
    if explain:
        selects = [row for row in growth if row[3].lstrip().upper().startswith("SELECT")]
        for _grown, _at_large, _at_small, sql, params in selects[:3]:
            print(f"\n== at {names[1]}: {sql[:400]}")
            print("\n".join(explain_plan(sql, params)))
    return passed


def explain_plan(sql: str, params) -> list[str]:
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--replies", type=int, default=1_000)
    parser.add_argument("--sms", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if args.large <= args.small or args.small < RECENT:
        parser.error(f"--small must be at least {RECENT:,} (today's cases), --large above it")

    from casework.tests import mailserver

    if not mailserver.available():
        raise SystemExit("dovecot is missing: make mailserver")
    with scratch_database(), mailserver.dovecot() as server:
        from django.contrib.auth.models import User
        from django.utils import timezone

        print(f"database: {connection.vendor} {connection.pg_version}; dovecot on port {server.port}")
        seed = setup(timezone.now())
        # The holders have an address: a reply's hand-back writes its e-mail to the outbox.
        for user in User.objects.filter(username__startswith="bench."):
            User.objects.filter(pk=user.pk).update(email=f"{user.username}@wallet.example")
        # Each size answers other cases of today's: the first half at the small size.
        halves = ((0, RECENT // 2), (RECENT // 2, RECENT))
        results = []
        start_n = 0
        for size, (first, last) in zip((args.small, args.large), halves, strict=True):
            start = time.perf_counter()
            grow(seed, start_n, size)
            seed_notices(start_n, size)
            start_n = size
            make_room(seed, args.large)
            seconds = time.perf_counter() - start
            print(f"seeded {size:,} complaints and their notices in {seconds:.1f} s", flush=True)
            mail, texts = targets(first, last, args.replies, args.sms)
            results.append(measure(server, size, mail, texts, tag=f"s{size}"))
            server.empty()
        passed = report((args.small, args.large), *results, args.explain)
        kinds = Counter(kind for kind, _ in targets(0, RECENT // 2, args.replies, args.sms)[0][WARM_UP:])
        print(f"\nthe mix of e-mail, per size: {dict(kinds)}")
        print("\nall targets met" if passed else "\nSOME TARGETS MISSED")
        raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
