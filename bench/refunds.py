"""Benchmark: the refunds admin changelist, the partner API list and the reminder sweep
over many refund cases.

Seeds N refund cases (each on its own transaction, with its deadline clock) straight
into a scratch database with bulk inserts (load, not behaviour); ``--due`` of them have
a reminder due now. Measures wall time and query counts for the changelist (first
page, the overdue and awaiting-approval filters, search by transaction reference), the
partner API list at three page sizes, and the reminder sweep until idle.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \\
      .venv/bin/python bench/refunds.py --cases 20000 --due 1000

As bench/scale.py, it runs on a fresh test database, never the demo's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal

from common import analyze, connection, measure_api_list, measure_changelist, report, scratch_database


def seed(count: int, due: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from casework.models import Partner, SlaClock, SlaPolicy
    from refunds.models import PaymentTransaction, RefundCase, RefundState, RefundType

    policy = SlaPolicy.objects.get(case_type="refund", category="", priority="")
    desk = User.objects.create_user("bench.desk", email="desk@bench.example", is_staff=True)
    desk.groups.add(Group.objects.get(name="refunds desk"))
    partner_user = User.objects.create_user("bench.partner")
    partner_user.groups.add(Group.objects.get(name="partner"))
    partner = Partner.objects.create(code="bench", name="Bench Pay", user=partner_user)
    now = timezone.now()
    rng = random.Random(7)
    states = [RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.APPROVED, RefundState.PROCESSING]
    batch = 2000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        payments = PaymentTransaction.objects.bulk_create(
            PaymentTransaction(
                reference=f"TXN-BENCH-{offset + i:08d}",
                merchant=f"Merchant {(offset + i) % 500}",
                amount=Decimal("800.00"),
                currency="CNY",
                paid_at=now - dt.timedelta(days=10),
            )
            for i in range(size)
        )
        clocks = []
        for i in range(size):
            if offset + i < due:  # a reminder due now: the deadline is a day away
                started = now - dt.timedelta(days=8)
            else:
                started = now - dt.timedelta(hours=rng.randint(1, 24 * 12))
            deadline = started + dt.timedelta(days=9)
            clocks.append(
                SlaClock(
                    policy=policy,
                    started_at=started,
                    first_response_due_at=started + dt.timedelta(hours=8),
                    first_responded_at=started + dt.timedelta(hours=1),
                    resolution_due_at=deadline,
                    resolution_warn_at=deadline - dt.timedelta(days=1),
                )
            )
        clocks = SlaClock.objects.bulk_create(clocks)
        cases = []
        for i, (payment, clock) in enumerate(zip(payments, clocks, strict=True)):
            n = offset + i
            case = RefundCase(
                reference=f"RFD-20261101-{n:06d}",
                refund_type=rng.choice(RefundType.values),
                transaction=payment,
                requested_amount=Decimal("300.00"),
                reason="Benchmark refund",
                handler=desk,
                partner=partner if n % 3 == 0 else None,
                submitted_by=desk,
                sla_clock=clock,
                created_at=clock.started_at,
                # The first ``due`` cases have a reminder due now; the rest later.
                next_reminder_at=now - dt.timedelta(minutes=5) if n < due else now + dt.timedelta(days=30),
            )
            case.__dict__["state"] = rng.choice(states)  # load, not behaviour
            cases.append(case)
        RefundCase.objects.bulk_create(cases)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--due", type=int, default=1000)
    args = parser.parse_args()

    with scratch_database():
        from django.utils import timezone

        from casework.models import Notification
        from refunds import services

        start = time.perf_counter()
        seed(args.cases, args.due)
        analyze()
        print(
            f"database: {connection.vendor}; seeded {args.cases} refund cases "
            f"({args.due} with a reminder due) in {time.perf_counter() - start:.1f} s"
        )

        views = [
            ("admin changelist, first page", ""),
            ("admin changelist, overdue filter", "?sla=breached"),
            ("admin changelist, awaiting approval filter", "?approval=any"),
            ("admin changelist, search by transaction", "?q=TXN-BENCH-00001234"),
        ]
        measure_changelist("/admin/refunds/refundcase/", views)
        measure_api_list("/api/v1/refund-cases/", "bench.partner")

        now = timezone.now()
        start = time.perf_counter()
        rounds = sent = 0
        while True:
            done = services.send_reminders(now)
            rounds += 1
            sent += done
            if not done or rounds > 100:
                break
        elapsed = (time.perf_counter() - start) * 1000
        notices = Notification.objects.filter(kind="refund_reminder").count()
        report(
            f"reminder sweep until idle ({rounds} rounds)", elapsed, note=f"{sent} sent, {notices} notices"
        )
        assert notices == args.due, (notices, args.due)


if __name__ == "__main__":
    main()
