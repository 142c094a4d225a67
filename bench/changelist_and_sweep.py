"""Benchmark: admin changelist, API list and the SLA sweep over many complaints.

Seeds N complaints with their SLA clocks straight into a scratch database (bulk
inserts; this is load, not behaviour), then measures wall time and query counts for:
the admin changelist (plain, SLA "breached" filter, search by phone), the partner
API list page, and one SLA sweep with a batch of due clocks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_bench \
      .venv/bin/python bench/changelist_and_sweep.py --complaints 30000

The database named in DATABASE_URL is dropped and recreated by `migrate` on a fresh
test database (Django's test runner utilities), never the one you run the demo on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from common import analyze, connection, measure_api_list, measure_changelist, report, scratch_database


def seed(count: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from casework.models import Partner, SlaClock, SlaPolicy, Team
    from complaints.models import Category, Channel, Complaint, State

    policy = SlaPolicy.objects.get(case_type="complaint", category="", priority="")
    agent = User.objects.create_user("bench.agent", is_staff=True)
    agent.groups.add(Group.objects.get(name="agent"))
    partner_user = User.objects.create_user("bench.partner")
    partner_user.groups.add(Group.objects.get(name="partner"))
    partner = Partner.objects.create(code="bench", name="Bench Pay", user=partner_user)
    team = Team.objects.get(code="frontline")
    now = timezone.now()
    rng = random.Random(42)
    states = [
        State.RECEIVED, State.ACCEPTED, State.IN_PROGRESS, State.ESCALATED, State.RESOLVED, State.CLOSED
    ]  # fmt: skip
    batch = 2000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        clocks = []
        for _ in range(size):
            started = now - dt.timedelta(hours=rng.randint(1, 24 * 40))
            due = started + dt.timedelta(days=21)
            clocks.append(
                SlaClock(
                    policy=policy,
                    started_at=started,
                    first_response_due_at=started + dt.timedelta(days=1),
                    first_responded_at=started + dt.timedelta(hours=2),
                    resolution_due_at=due,
                    resolution_warn_at=due - dt.timedelta(hours=8),
                )
            )
        clocks = SlaClock.objects.bulk_create(clocks)
        complaints = []
        for i, clock in enumerate(clocks):
            n = offset + i
            complaint = Complaint(
                reference=f"CMP-20261101-{n:06d}",
                channel=rng.choice(Channel.values),
                category=rng.choice([Category.SLOW_SERVICE, Category.OTHER, Category.PRIVACY]),
                customer_name=f"Customer {n}",
                customer_phone=f"138{n:08d}",
                description="Benchmark complaint",
                team=team,
                assigned_to=agent,
                registered_by=agent,
                partner=partner if n % 3 == 0 else None,
                sla_clock=clock,
                created_at=clock.started_at,
            )
            # Load, not behaviour: set the stored state without a transition.
            complaint.__dict__["state"] = rng.choice(states)
            complaints.append(complaint)
        Complaint.objects.bulk_create(complaints)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=30000)
    args = parser.parse_args()

    with scratch_database():
        from django.utils import timezone

        from casework import sweep

        start = time.perf_counter()
        seed(args.complaints)
        analyze()
        seconds = time.perf_counter() - start
        print(f"database: {connection.vendor}; seeded {args.complaints} complaints in {seconds:.1f} s")

        views = [
            ("admin changelist, first page", ""),
            ("admin changelist, SLA breached filter", "?sla=breached"),
            ("admin changelist, search by phone", "?q=13800001234"),
            ("admin changelist, search by reference", "?q=CMP-20261101-001234"),
        ]
        measure_changelist("/admin/complaints/complaint/", views)
        measure_api_list("/api/v1/complaints/", "bench.partner")

        later = timezone.now() + dt.timedelta(days=30)
        start = time.perf_counter()
        rounds = 0
        while True:
            acted = sweep.run(later)
            rounds += 1
            if not any(acted.values()) or rounds > 400:
                break
        label = f"SLA sweep until idle ({rounds} rounds)"
        report(label, (time.perf_counter() - start) * 1000)


if __name__ == "__main__":
    main()
