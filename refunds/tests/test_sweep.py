"""The SLA sweep and refund cases: the handler is reminded before the refund deadline, once
per offset; the deadline waits while evidence is awaited; an overdue case is marked late
for good and escalated to the supervisors.

Each test passes the sweep an explicit ``now``; cases are opened through the services, at
real time or at a time the ``clock`` fixture sets.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from casework.cases import sweep
from casework.models import Notification, SlaClock, SlaStatus
from casework.tests.test_sweep import sweep_concurrently
from refunds import services
from refunds.models import PaymentInstruction, RefundCase, RefundState
from refunds.tests.clock import shanghai
from refunds.tests.factories import open_refund, transaction_details

REFUNDS_MAILBOX = "refunds@wallet.example"
SUPERVISORS_MAILBOX = "supervisors@wallet.example"
DAY = dt.timedelta(days=1)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def two_reminders(settings) -> list[int]:
    settings.REFUND_REMINDER_DAYS_BEFORE = [2, 1]
    return settings.REFUND_REMINDER_DAYS_BEFORE


def stored(case: RefundCase) -> RefundCase:
    return RefundCase.objects.select_related("sla_clock").get(pk=case.pk)


def clock_of(case: RefundCase) -> SlaClock:
    return SlaClock.objects.get(pk=case.sla_clock_id)


def reminders(case: RefundCase | None = None) -> list[Notification]:
    found = Notification.objects.filter(kind="refund_reminder")
    if case is not None:
        found = found.filter(case_reference=case.reference)
    return list(found.order_by("id"))


def long_ago(days: int = 40) -> dict:
    """Open arguments for a case received ``days`` ago, on a payment made the day before."""
    received_at = timezone.now() - dt.timedelta(days=days)
    return {"received_at": received_at, **transaction_details(paid_at=received_at - DAY)}


# Reminders before the deadline.


def test_the_handler_is_reminded_two_days_and_one_day_before_the_deadline_once_each(
    refund_case_in, refunds_desk
):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    due = clock_of(case).resolution_due_at
    assert stored(case).next_reminder_at == due - 2 * DAY

    early = sweep.run(due - 2 * DAY - MINUTE)
    first, again = sweep.run(due - 2 * DAY + MINUTE), sweep.run(due - 2 * DAY + 2 * MINUTE)

    assert (early["refunds.reminders"], first["refunds.reminders"], again["refunds.reminders"]) == (0, 1, 0)
    [notice] = reminders(case)
    assert notice.recipient == refunds_desk.email
    assert notice.subject == f"[{case.reference}] refund due {sweep.local(due)}"
    assert notice.body.startswith(f"Refund case {case.reference} is due ")
    assert "Handler: refunds.zhou" in notice.body
    assert case.transaction.reference in notice.body
    assert stored(case).next_reminder_at == due - DAY

    second, later = sweep.run(due - DAY + MINUTE), sweep.run(due - MINUTE)

    assert (second["refunds.reminders"], later["refunds.reminders"]) == (1, 0)
    assert [n.idempotency_key for n in reminders(case)] == [
        f"refundcase-{case.pk}-reminder-{days}d-{due:%Y%m%d%H%M}-{refunds_desk.email}" for days in (2, 1)
    ]
    after = stored(case)
    assert (after.next_reminder_at, after.reminders_sent) == (None, 2)


def test_a_late_sweep_sends_only_the_nearest_reminder(refund_case_in):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    due = clock_of(case).resolution_due_at

    result = sweep.run(due - DAY + MINUTE)

    assert result["refunds.reminders"] == 1
    [notice] = reminders(case)
    assert "-reminder-1d-" in notice.idempotency_key
    assert stored(case).next_reminder_at is None


def test_the_reminder_offsets_come_from_the_settings(settings, refund_case_in):
    settings.REFUND_REMINDER_DAYS_BEFORE = [5, 3, 1]
    case = refund_case_in(RefundState.UNDER_REVIEW)
    due = clock_of(case).resolution_due_at
    assert stored(case).next_reminder_at == due - 5 * DAY

    sent = [sweep.run(due - days * DAY + MINUTE)["refunds.reminders"] for days in (5, 4, 3, 2, 1)]

    assert sent == [1, 0, 1, 0, 1]
    assert [key.split("-reminder-")[1][:2] for key in (n.idempotency_key for n in reminders(case))] == [
        "5d",
        "3d",
        "1d",
    ]


@pytest.mark.parametrize(
    ("state", "reviewer"),
    [(RefundState.REQUESTED, None), (RefundState.UNDER_REVIEW, "supervisor")],
    ids=["no-handler-yet", "handler-without-email"],
)
def test_without_a_handlers_email_the_refunds_desk_is_reminded(state, reviewer, request, agent):
    case = open_refund(agent)
    if reviewer:
        services.start_review(case=case, actor=request.getfixturevalue(reviewer))
    assert stored(case).state == state
    due = clock_of(case).resolution_due_at

    sweep.run(due - 2 * DAY + MINUTE)

    [notice] = reminders(case)
    assert notice.recipient == REFUNDS_MAILBOX


# Notices show the amount at the currency's minor units ("CNY 300.00").
def test_a_reminder_shows_the_amount_in_the_currencys_minor_units(refund_case_in):
    case = refund_case_in(RefundState.UNDER_REVIEW)

    sweep.run(clock_of(case).resolution_due_at - 2 * DAY + MINUTE)

    [notice] = reminders(case)
    assert f"Refund: CNY 300.00 of transaction {case.transaction.reference}" in notice.body


def test_no_reminder_while_evidence_is_awaited(refund_case_in):
    case = refund_case_in(RefundState.AWAITING_EVIDENCE)
    due = clock_of(case).resolution_due_at
    assert stored(case).next_reminder_at is None

    results = [sweep.run(due - days * DAY + MINUTE) for days in (2, 1)] + [sweep.run(due + 60 * DAY)]

    assert [r["refunds.reminders"] for r in results] == [0, 0, 0]
    assert [r["refunds.overdue"] for r in results] == [0, 0, 0]
    assert not Notification.objects.filter(case_reference=case.reference).exists()
    assert clock_of(case).resolution_breached_at is None


def test_the_reminder_moves_with_the_deadline_after_the_pause(clock, agent, refunds_desk):
    clock.set(2026, 11, 13, 10, 0)  # a Friday
    case = open_refund(agent)  # goods not received: 10 business days
    assert clock_of(case).resolution_due_at == shanghai(2026, 11, 27, 18, 0)
    services.start_review(case=case, actor=refunds_desk)
    clock.set(2026, 11, 16, 10, 0)
    services.request_evidence(case=case, actor=refunds_desk, what="The courier's delivery record")
    clock.set(2026, 11, 17, 10, 0)  # one working day later
    services.evidence_received(case=case, actor=refunds_desk)

    due = clock_of(case).resolution_due_at
    assert due == shanghai(2026, 11, 30, 18, 0)
    assert stored(case).next_reminder_at == due - 2 * DAY

    assert sweep.run(shanghai(2026, 11, 25, 18, 1))["refunds.reminders"] == 0  # the old reminder time
    assert sweep.run(due - 2 * DAY + MINUTE)["refunds.reminders"] == 1
    [notice] = reminders(case)
    assert notice.idempotency_key.startswith(f"refundcase-{case.pk}-reminder-2d-{due:%Y%m%d%H%M}-")


# A pause moves the deadline: the reminders are due again before the new one (their
# idempotency key is per deadline).
def test_a_reminder_sent_before_the_pause_is_sent_again_before_the_moved_deadline(clock, agent, refunds_desk):
    clock.set(2026, 11, 13, 10, 0)  # a Friday: due Friday 27 November, 18:00
    case = open_refund(agent)
    services.start_review(case=case, actor=refunds_desk)
    assert sweep.run(shanghai(2026, 11, 25, 18, 1))["refunds.reminders"] == 1
    clock.set(2026, 11, 25, 18, 5)
    case = stored(case)  # as the admin loads it, after the sweep
    services.request_evidence(case=case, actor=refunds_desk, what="The courier's delivery record")
    clock.set(2026, 11, 28, 10, 0)  # Thursday and Friday spent waiting
    services.evidence_received(case=case, actor=refunds_desk)
    due = clock_of(case).resolution_due_at
    assert due == shanghai(2026, 12, 1, 18, 0)

    assert sweep.run(due - 2 * DAY + MINUTE)["refunds.reminders"] == 1


# The sweep writes reminders_sent and next_reminder_at with UPDATE, and a case's own save
# leaves them out: a transition on a copy read before the sweep keeps the sweep's count.
def test_a_transition_on_a_copy_read_before_the_sweep_keeps_the_reminder_count(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW)
    due = clock_of(case).resolution_due_at
    opened_before_the_sweep = stored(case)
    sweep.run(due - 2 * DAY + MINUTE)

    services.approve_refund(case=opened_before_the_sweep, actor=refunds_desk)

    after = stored(case)
    assert after.state == RefundState.APPROVED
    assert (after.reminders_sent, after.next_reminder_at) == (1, due - DAY)


@pytest.mark.parametrize("state", [RefundState.REFUNDED, RefundState.REJECTED, RefundState.CANCELLED])
def test_an_ended_case_is_not_reminded(state, refund_case_in):
    case = refund_case_in(state)
    due = clock_of(case).resolution_due_at
    assert stored(case).next_reminder_at is None

    results = [sweep.run(due - DAY + MINUTE), sweep.run(due + DAY)]

    assert [(r["refunds.reminders"], r["refunds.overdue"]) for r in results] == [(0, 0), (0, 0)]
    assert (
        not Notification.objects.filter(case_reference=case.reference)
        .exclude(kind__in=["payment_instruction", "handback"])  # the settlement's hand-back
        .exists()
    )


# Overdue: late for good, and escalated.


def test_an_overdue_case_is_marked_late_once_and_escalated_to_the_supervisors(refund_case_in, refunds_desk):
    case = refund_case_in(RefundState.UNDER_REVIEW, **long_ago())
    due = clock_of(case).resolution_due_at
    now = timezone.now()

    first, again = sweep.run(now), sweep.run(now + MINUTE)

    assert (first["refunds.overdue"], again["refunds.overdue"]) == (1, 0)
    assert first["refunds.reminders"] == 0  # past the deadline the overdue notice takes over
    clock = clock_of(case)
    assert clock.resolution_breached_at == due
    assert clock.status(now) == SlaStatus.BREACHED
    breach = list(
        Notification.objects.filter(kind="breach", case_reference=case.reference).order_by("recipient")
    )
    assert [n.recipient for n in breach] == [SUPERVISORS_MAILBOX, refunds_desk.email]
    assert all(n.subject == f"[{case.reference}] SLA breached" for n in breach)
    assert breach[0].body.startswith(f"Refund case {case.reference} is overdue: its deadline was ")
    assert "It stays marked late, also after it settles; the supervisors have been told." in breach[0].body
    assert not reminders(case)
    after = stored(case)
    assert (after.next_reminder_at, after.reminders_sent) == (None, 2)


def test_an_overdue_case_nobody_handles_escalates_from_the_refunds_desk(agent):
    case = open_refund(agent, **long_ago())

    sweep.run(timezone.now())

    breach = Notification.objects.filter(kind="breach", case_reference=case.reference)
    assert sorted(breach.values_list("recipient", flat=True)) == [REFUNDS_MAILBOX, SUPERVISORS_MAILBOX]


def test_a_case_nobody_reviewed_within_a_business_day_is_marked_late_to_first_response(agent):
    case = open_refund(agent, **long_ago(days=5))

    result = sweep.run(timezone.now())

    assert result["refunds.late_first_response"] == 1
    clock = clock_of(case)
    assert clock.first_response_breached_at == clock.first_response_due_at


@pytest.mark.parametrize("swept_first", [True, False], ids=["swept", "not-swept"])
def test_lateness_is_kept_after_the_refund_settles(swept_first, refund_case_in, payments_system):
    case = refund_case_in(RefundState.PROCESSING, **long_ago())
    due = clock_of(case).resolution_due_at
    if swept_first:
        sweep.run(timezone.now())
    instruction = PaymentInstruction.objects.get(case=case)

    services.report_settlement(
        idempotency_key=instruction.idempotency_key,
        actor=payments_system,
        outcome="settled",
        processor_reference="PSP-LATE-1",
    )

    assert stored(case).state == RefundState.REFUNDED
    clock = clock_of(case)
    assert clock.stopped_at is not None
    assert clock.resolution_breached_at == due
    assert clock.is_breached() and clock.is_breached(timezone.now() + 400 * DAY)
    assert sweep.run(timezone.now() + DAY)["refunds.overdue"] == 0


def test_a_case_awaiting_evidence_is_not_overdue(refund_case_in):
    case = refund_case_in(RefundState.AWAITING_EVIDENCE)

    result = sweep.run(clock_of(case).resolution_due_at + 60 * DAY)

    assert result["refunds.overdue"] == 0
    assert clock_of(case).resolution_breached_at is None


# Two sweepers at once (two beat instances, a manual run during a deploy) split the work.
# Only PostgreSQL has row locks to prove it with: SQLite serialises writers.

CASES = 20


@pytest.mark.postgres
def test_two_sweeps_at_once_send_each_reminder_once_and_mark_each_case_late_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent
):
    cases = [open_refund(agent) for _ in range(CASES)]
    due = max(clock_of(case).resolution_due_at for case in cases)

    reminded = sweep_concurrently(due - 2 * DAY + MINUTE)
    overdue = sweep_concurrently(due + MINUTE)

    assert sum(r["refunds.reminders"] for r in reminded) == CASES
    assert sum(r["refunds.overdue"] for r in overdue) == CASES
    per_reminder = Counter(
        Notification.objects.filter(kind="refund_reminder").values_list("case_reference", "recipient")
    )
    assert set(per_reminder) == {(case.reference, REFUNDS_MAILBOX) for case in cases}
    assert set(per_reminder.values()) == {1}
    per_breach = Counter(
        Notification.objects.filter(kind="breach").values_list("case_reference", "recipient")
    )
    assert len(per_breach) == CASES * 2 and set(per_breach.values()) == {1}
    for case in cases:
        assert stored(case).reminders_sent == 2  # the 2-day one, then the overdue notice took over
        clock = clock_of(case)
        assert clock.resolution_breached_at == clock.resolution_due_at
        assert clock.history.filter(resolution_breached_at__isnull=False).count() == 1


@contextmanager
def held_by_another_sweep(lock: Callable[[], object]) -> Iterator[None]:
    """Another sweep, on its own connection, in the middle of a step: the rows ``lock``
    locks stay locked until the block ends."""
    holding, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def other_sweep() -> None:
        try:
            with transaction.atomic():
                lock()
                holding.set()
                assert release.wait(timeout=30)
        except BaseException as error:
            failures.append(error)
            holding.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweep)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert failures == []
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")  # a wait is a failure, not a hang
            yield
    finally:
        release.set()
        thread.join(timeout=30)
    assert failures == []


@pytest.mark.postgres
def test_a_case_is_marked_late_while_another_sweep_holds_it_for_its_reminders(
    require_postgres, transactional_db, django_db_serialized_rollback, agent
):
    """The reminder step locks the case row, the overdue step the clock: neither hides a
    case from the other. (The overdue step used to lock the joined case row too and skip
    the clock with it; when the other sweep then held the clock for its first-response
    mark, neither marked the case late.)"""
    case = open_refund(agent, **long_ago())
    reminder_lock = RefundCase.objects.select_for_update(of=("self",)).filter(pk=case.pk)  # as send_reminders

    with held_by_another_sweep(lambda: list(reminder_lock)):
        overdue = sweep.mark_breaches(services.CLOCKED, timezone.now())

    assert overdue == 1
    clock = clock_of(case)
    assert clock.resolution_breached_at == clock.resolution_due_at


@pytest.mark.postgres
def test_a_reminder_is_sent_while_another_sweep_holds_the_cases_clock(
    require_postgres, transactional_db, django_db_serialized_rollback, agent
):
    case = open_refund(agent)
    now = clock_of(case).resolution_due_at - 2 * DAY + MINUTE

    with held_by_another_sweep(lambda: services.CLOCKED.clocks(pk=case.sla_clock_id)):
        sent = services.send_reminders(now)

    assert sent == 1
    assert [n.recipient for n in reminders(case)] == [REFUNDS_MAILBOX]
    assert stored(case).reminders_sent == 1
