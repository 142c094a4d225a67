"""The SLA sweep beat runs every minute: due-soon warnings, breaches, auto-close.

Each test passes the sweep an explicit ``now`` instead of freezing the clock; complaints
are registered at real time (or ``received_at`` in the past) through the services.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Iterator
from functools import partial

import pytest
from django.utils import timezone

from casework.cases import sweep
from casework.models import Notification, SlaClock, SlaStatus, TransitionRecord
from casework.tests.races import race
from casework.trail.audit import SYSTEM_ACTOR_LABEL
from complaints import selectors, services
from complaints.models import Complaint, State
from complaints.tests.factories import CLASSIFIED
from config.celery import app as celery_app

FRONTLINE_MAILBOX = "frontline@wallet.example"
SUPERVISORS_MAILBOX = "supervisors@wallet.example"


def register(actor, **overrides) -> Complaint:
    values = {
        "channel": "phone",
        "category": "slow_service",
        "customer_name": "Huang Bo",
        "customer_phone": "13712340987",
        "description": "Waited 40 minutes on the hotline and was cut off twice.",
    }
    values.update(overrides)
    return services.register_complaint(actor=actor, **values)


def accepted(actor, **overrides) -> Complaint:
    complaint = register(actor, **overrides)
    services.verify_identity(complaint=complaint, actor=actor, method="callback")
    return services.accept_complaint(complaint=complaint, actor=actor)


def clock_of(complaint: Complaint) -> SlaClock:
    return SlaClock.objects.get(pk=complaint.sla_clock_id)


def notices(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("recipient"))


def test_due_soon_warning_is_written_once_per_deadline(agent):
    complaint = accepted(agent)
    now = clock_of(complaint).resolution_warn_at + dt.timedelta(minutes=1)

    first = sweep.run(now)
    second = sweep.run(now + dt.timedelta(minutes=1))

    assert (first["complaints.due_soon"], second["complaints.due_soon"]) == (1, 0)
    [notice] = notices("due_soon")
    assert notice.recipient == FRONTLINE_MAILBOX
    assert notice.case_reference == complaint.reference
    assert notice.subject.startswith(f"[{complaint.reference}] due ")
    assert clock_of(complaint).due_soon_notified_at == now


def test_no_warning_before_the_warn_time(agent):
    complaint = accepted(agent)
    result = sweep.run(clock_of(complaint).resolution_warn_at - dt.timedelta(minutes=1))
    assert result["complaints.due_soon"] == 0
    assert not Notification.objects.filter(kind="due_soon").exists()  # the customer's acceptance aside


def test_a_holding_response_earns_a_new_warning_before_the_new_deadline(holding_reply_regime, agent):
    complaint = accepted(agent)
    sweep.run(clock_of(complaint).resolution_warn_at + dt.timedelta(minutes=1))
    services.send_holding_response(
        complaint=complaint, actor=agent, holding_response="The card network needs 20 more days."
    )
    extended = clock_of(complaint)
    assert extended.is_extended and extended.due_soon_notified_at is None

    sweep.run(extended.resolution_warn_at + dt.timedelta(minutes=1))
    sweep.run(extended.resolution_warn_at + dt.timedelta(minutes=2))

    assert len(notices("due_soon")) == 2  # one per deadline, not one per sweep


def test_breach_marks_the_clock_late_and_tells_the_supervisors(agent):
    complaint = accepted(agent, received_at=timezone.now() - dt.timedelta(days=60))
    due_at = clock_of(complaint).resolution_due_at

    result = sweep.run(timezone.now())
    sweep.run(timezone.now() + dt.timedelta(minutes=1))

    assert result["complaints.breached"] == 1
    clock = clock_of(complaint)
    assert clock.resolution_breached_at == due_at
    assert clock.status() == SlaStatus.BREACHED
    breach = notices("breach")
    assert [n.recipient for n in breach] == [FRONTLINE_MAILBOX, SUPERVISORS_MAILBOX]
    assert all(n.subject == f"[{complaint.reference}] SLA breached" for n in breach)
    assert "passed its resolution deadline" in breach[0].body


def test_a_breached_complaint_resolved_later_stays_late(agent):
    complaint = accepted(agent, received_at=timezone.now() - dt.timedelta(days=60))
    sweep.run(timezone.now())

    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Apologised"
    )

    clock = clock_of(complaint)
    assert clock.stopped_at is not None
    assert clock.is_breached() and clock.is_breached(timezone.now() + dt.timedelta(days=400))
    resolved_late = selectors.with_sla_status(
        Complaint.objects.filter(state=State.RESOLVED), SlaStatus.BREACHED, timezone.now()
    )
    assert list(resolved_late) == [complaint]


def test_a_paused_clock_is_not_breached_by_the_sweep(agent):
    waiting = accepted(agent)
    services.start_complaint(complaint=waiting, actor=agent)
    services.wait_for_customer(complaint=waiting, actor=agent, reason="Asked for the call times")
    running = accepted(agent)
    later = timezone.now() + dt.timedelta(days=60)

    result = sweep.run(later)

    assert result["complaints.breached"] == 1
    assert clock_of(running).resolution_breached_at is not None
    paused = clock_of(waiting)
    assert paused.is_paused and paused.resolution_breached_at is None
    assert not paused.is_breached(later)
    assert {n.case_reference for n in notices("breach")} == {running.reference}


def test_auto_close_closes_only_complaints_resolved_long_enough_ago(agent, settings):
    settings.COMPLAINT_AUTO_CLOSE_DAYS = 7
    complaint = accepted(agent)
    services.resolve_complaint(
        **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Told the customer"
    )
    resolved_at = Complaint.objects.get(pk=complaint.pk).resolved_at

    younger = sweep.run(resolved_at + dt.timedelta(days=7) - dt.timedelta(hours=1))
    assert younger["complaints.auto_closed"] == 0
    assert Complaint.objects.get(pk=complaint.pk).state == State.RESOLVED

    older = sweep.run(resolved_at + dt.timedelta(days=7, minutes=1))
    assert older["complaints.auto_closed"] == 1
    closed = Complaint.objects.get(pk=complaint.pk)
    assert closed.state == State.CLOSED and closed.closed_at is not None
    record = TransitionRecord.objects.filter(object_id=closed.pk, case_reference=closed.reference).last()
    assert (record.transition, record.source_state, record.target_state) == ("close", "resolved", "closed")
    assert record.actor is None and record.actor_label == SYSTEM_ACTOR_LABEL == "SLA clock"
    assert "7 days after resolution" in record.reason


def test_auto_close_leaves_other_states_alone(agent):
    open_complaint = accepted(agent)
    sweep.run(timezone.now() + dt.timedelta(days=60))
    assert Complaint.objects.get(pk=open_complaint.pk).state == State.ACCEPTED


# Two sweepers at once (two beat instances, a manual run during a deploy) must split the
# work. Only PostgreSQL has row locks to prove it with: SQLite serialises writers.

SWEEPERS = 2
COMPLAINTS = 30


@pytest.fixture
def private_queue() -> Iterator[str]:
    """Send this test's notices to a queue of its own and delete it afterwards.

    A transactional test commits for real, so each notice is published; left in the
    shared queue, they would wait for whichever worker uses the broker next (the demo's).
    """
    queue = f"sweep-test-{uuid.uuid4().hex[:10]}"
    previous_routes = celery_app.conf.task_routes
    # update(), not attribute assignment: only update() makes Celery rebuild its router.
    celery_app.conf.update(task_routes={"casework.tasks.deliver_notification": {"queue": queue}})
    try:
        yield queue
    finally:
        celery_app.conf.update(task_routes=previous_routes)
        with celery_app.connection_for_write() as conn:
            bound = celery_app.amqp.queues[queue].bind(conn.default_channel)
            bound.declare()  # on this channel, so deleting also drops the binding (Redis)
            bound.delete()


def sweep_concurrently(now: dt.datetime) -> list[dict[str, int]]:
    results = race(*[partial(sweep.run, now) for _ in range(SWEEPERS)], timeout=120)
    assert [r for r in results if isinstance(r, BaseException)] == []
    return results


@pytest.mark.postgres
def test_two_sweeps_at_once_act_once_on_each_complaint(
    require_postgres, transactional_db, django_db_serialized_rollback, private_queue, agent
):
    late = [accepted(agent) for _ in range(COMPLAINTS)]
    resolved = [accepted(agent) for _ in range(COMPLAINTS)]
    for complaint in resolved:
        services.resolve_complaint(
            **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="Told them"
        )
    later = timezone.now() + dt.timedelta(days=60)

    results = sweep_concurrently(later)

    assert sum(r["complaints.breached"] for r in results) == COMPLAINTS
    assert sum(r["complaints.auto_closed"] for r in results) == COMPLAINTS
    for complaint in late:
        clock = clock_of(complaint)
        assert clock.resolution_breached_at == clock.resolution_due_at
        # One write per clock: a second sweeper acting would leave a second history row.
        assert clock.history.filter(resolution_breached_at__isnull=False).count() == 1
    per_notice = Counter(
        Notification.objects.filter(kind="breach").values_list("case_reference", "recipient")
    )
    assert len(per_notice) == COMPLAINTS * 2 and set(per_notice.values()) == {1}
    assert {c.reference for c in late} == {reference for reference, _ in per_notice}
    for complaint in resolved:
        closes = TransitionRecord.objects.filter(
            case_reference=complaint.reference, object_id=complaint.pk, transition="close"
        )
        assert closes.count() == 1
        assert Complaint.objects.get(pk=complaint.pk).state == State.CLOSED
