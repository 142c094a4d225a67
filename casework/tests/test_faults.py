"""Faults produced for real, in CI: the broker killed while cases escalate, a worker
killed mid-webhook, the database restarted under the SLA sweep, a hundred pairs of
approvals racing.

Each fault is the real thing (``casework.tests.faults``): a ``redis-server`` of the test's
own killed with SIGKILL, a worker's process group killed, the PostgreSQL cluster behind
``DATABASE_URL`` restarted with ``pg_ctlcluster``. Nothing that fails is mocked; what the
tests assert is what a user or a partner would see afterwards.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from accounts import services as accounts_services
from accounts.models import AccountRequest, RequestState
from accounts.tests.factories import request_in_state
from casework.access import roles
from casework.cases import sweep
from casework.core.errors import ConcurrentChange
from casework.management.commands.receive_webhooks import secrets_from_options
from casework.models import DeliveryAttempt, Notification, Partner, SlaClock, TransitionRecord
from casework.notices import outbox, partner_webhooks
from casework.tasks import run_outbox_sweep, run_sla_sweep
from casework.tests.environment import require_service
from casework.tests.faults import (
    Cluster,
    HeldTransaction,
    HoldingReceiver,
    clock_moved_on,
    cluster_serving_the_database,
    outcome_of,
    private_redis,
    publishing_to,
    send_as_beat,
    serving,
    sessions_waiting_on_a_lock,
)
from casework.tests.races import race, won_and_lost
from casework.tests.users import make_user
from casework.tests.worker import DELIVERY_TIMEOUT_S, running_worker, wait_for
from complaints import services as complaint_services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register

ESCALATIONS = 5
ACME_SECRET = "whsec_" + base64.b64encode(b"acme secret for the fault tests!").decode()


def sweep_outbox_as_beat() -> int:
    """The outbox sweep's task, run as beat runs it, once a notice's first retry is due."""
    with clock_moved_on(outbox.FIRST_RETRY_AFTER):
        return run_outbox_sweep()


# --- 1. the broker killed while cases escalate ------------------------------------------


@pytest.mark.worker
def test_notices_written_while_the_broker_is_dead_are_each_delivered_once_when_it_is_back(
    transactional_db, django_db_serialized_rollback, tmp_path, agent, technical_team, caplog
):
    """Redis, the broker, is killed while agents escalate: each escalation commits with its
    notice, which waits in the outbox; once Redis is back the sweep hands each to the
    (reconnected) worker, and each goes out once."""
    with (
        private_redis(tmp_path / "redis") as broker,
        running_worker(
            tmp_path, queue_prefix="faults-broker", env={"CELERY_BROKER_URL": broker.url}
        ) as worker,
        publishing_to(broker.url),
    ):
        broker.kill()
        escalated = [
            complaint_in_state(State.ESCALATED, agent=agent, team=technical_team) for _ in range(ESCALATIONS)
        ]

        references = [complaint.reference for complaint in escalated]
        assert all(Complaint.objects.get(pk=c.pk).state == State.ESCALATED for c in escalated)
        notices = Notification.objects.filter(kind="escalation", case_reference__in=references)
        assert sorted(n.case_reference for n in notices) == sorted(references)  # one each
        assert {(n.status, n.attempts) for n in notices} == {(Notification.Status.PENDING, 0)}
        assert caplog.text.count("Broker unavailable; notice") == ESCALATIONS

        broker.start()  # same port, empty: whatever it held before is gone
        assert sweep_outbox_as_beat() == ESCALATIONS
        wait_for(
            lambda: len(worker.results()) >= ESCALATIONS,
            timeout=DELIVERY_TIMEOUT_S,
            what=f"{ESCALATIONS} deliveries",
            worker=worker,
        )

        assert worker.results() == ["True"] * ESCALATIONS
        assert {ref: len(worker.mails_about(ref)) for ref in references} == dict.fromkeys(references, 1)
        assert {(n.status, n.attempts) for n in notices.all()} == {(Notification.Status.SENT, 1)}
        assert DeliveryAttempt.objects.filter(notification__in=notices).count() == ESCALATIONS

        # Beat's next sweep finds nothing left to send, now or later.
        assert sweep_outbox_as_beat() == 0
        time.sleep(1)
        assert len(worker.results()) == ESCALATIONS
        assert {ref: len(worker.mails_about(ref)) for ref in references} == dict.fromkeys(references, 1)
        log = worker.read_log()
        assert "Connection to broker lost" in log and f"Connected to {broker.url}" in log  # it came back
        assert "raised unexpected" not in log


# --- 2. a worker killed mid-delivery of a partner webhook --------------------------------


def subscribe(partner: Partner, url: str) -> Partner:
    partner.webhook_url = url
    partner.webhook_secret = ACME_SECRET
    partner.save()
    return partner


@pytest.fixture
def slow_partner(tmp_path) -> Iterator[HoldingReceiver]:
    """ACME's endpoint: the demo receiver, holding its first answer after filing the event."""
    receiver = HoldingReceiver(
        tmp_path / "partner", secrets_for=secrets_from_options([f"acme={ACME_SECRET}"]), hold_first=True
    )
    with serving(receiver):
        yield receiver


@pytest.mark.worker
def test_a_worker_killed_mid_webhook_is_resent_with_the_same_id_and_applied_once(
    transactional_db, django_db_serialized_rollback, tmp_path, agent, partner, slow_partner
):
    """Transport is at least once, the effect exactly once by ``webhook-id``.

    The partner files the event, but the worker is killed (SIGKILL, its whole process
    group) before the answer reaches it: its claim on the notice rolls back, the notice
    stays pending, and a fresh worker sends it again with the same ``webhook-id``. The
    partner's receiver (the demo's, deduping by ``webhook-id``) acknowledges the repeat
    and applies the event once.
    """
    receiver = slow_partner
    complaint = register(agent, partner=partner, channel="partner_api")
    complaint_services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    subscribe(partner, receiver.url + "/acme/")
    (tmp_path / "killed").mkdir()
    (tmp_path / "fresh").mkdir()

    with running_worker(tmp_path / "killed", queue_prefix="faults-killed") as killed:
        complaint_services.accept_complaint(complaint=complaint, actor=agent)  # commits: one event
        assert receiver.held.wait(timeout=DELIVERY_TIMEOUT_S), killed.read_log()
        # Filed by the partner, the answer held, the notice's row claimed but not committed.
        os.killpg(killed.process.pid, signal.SIGKILL)
        killed.process.wait(timeout=30)
    receiver.release.set()  # the answer goes nowhere

    notice = Notification.objects.get(kind=partner_webhooks.KIND, case_reference=complaint.reference)
    assert (notice.status, notice.attempts) == (Notification.Status.PENDING, 0)  # the claim rolled back
    assert len(receiver.filed("acme")) == 1

    with running_worker(tmp_path / "fresh", queue_prefix="faults-fresh") as fresh:
        assert sweep_outbox_as_beat() == 1
        wait_for(
            lambda: fresh.results() == ["True"], timeout=DELIVERY_TIMEOUT_S, what="the resend", worker=fresh
        )

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Notification.Status.SENT, 1)
    assert receiver.webhook_ids() == [notice.idempotency_key] * 2  # sent twice, one id
    [applied] = receiver.filed("acme")  # applied once
    assert applied["webhook_id"] == notice.idempotency_key
    assert applied["event"] == json.loads(notice.body)
    assert applied["event"]["data"]["reference"] == complaint.reference
    assert (applied["event"]["data"]["from_state"], applied["event"]["data"]["to_state"]) == (
        State.RECEIVED,
        State.ACCEPTED,
    )
    verified = [line for line in receiver.lines() if line.startswith("verified ")]
    assert len(verified) == 2
    assert f"(repeat of {notice.idempotency_key}: already filed)" in verified[1]
    assert "repeat of" not in verified[0]


# --- 3. the database restarted under the SLA sweep --------------------------------------

BREACHING = sweep.SWEEP_BATCH + 50  # two batches: the restart falls in the second
WARNED = 40
CLOSING = 20
MAX_TICKS = 6


@pytest.fixture
def restartable_cluster(require_postgres) -> Iterator[Cluster]:
    cluster = cluster_serving_the_database()
    require_service(cluster is not None, "a local PostgreSQL cluster that pg_ctlcluster can restart")
    try:
        yield cluster
    finally:
        cluster.ensure_running()
        connections.close_all()  # whatever this process held died with the old server


def due_clocks(agent) -> tuple[list[Complaint], list[Complaint], list[Complaint]]:
    """Complaints whose clocks the sweep must act on now: past their resolution deadline,
    within their warning time, and resolved long enough ago to close by themselves."""
    now = timezone.now()
    long_ago = {"received_at": now - dt.timedelta(days=60), "transaction_at": now - dt.timedelta(days=61)}
    breaching = [complaint_in_state(State.ACCEPTED, agent=agent, **long_ago) for _ in range(BREACHING)]
    warned = [complaint_in_state(State.ACCEPTED, agent=agent) for _ in range(WARNED)]
    SlaClock.objects.filter(complaint__in=warned).update(resolution_warn_at=now - dt.timedelta(minutes=5))
    closing = [complaint_in_state(State.RESOLVED, agent=agent) for _ in range(CLOSING)]
    days = settings.COMPLAINT_AUTO_CLOSE_DAYS
    Complaint.objects.filter(pk__in=[c.pk for c in closing]).update(
        resolved_at=now - dt.timedelta(days=days, hours=1)
    )
    return breaching, warned, closing


def hold_breach_notice_of(complaint: Complaint):
    """What the sweep writes last for ``complaint``'s breach, written first by someone else
    and not committed: the sweep's insert of that notice waits on its key until the
    restart ends both. It pins the restart inside the sweep's transaction, not by luck."""

    def write() -> None:
        case = Complaint.objects.select_related("sla_clock", "team", "assigned_to").get(pk=complaint.pk)
        clocked = complaint_services.CLOCKED
        clocked.notify(
            case, kind="breach", recipients=clocked.breach_recipients(case)[-1:], subject="held by the test"
        )

    return write


def acts(result: dict[str, int]) -> tuple[int, int, int]:
    """What a sweep did to complaints: (breaches marked, warnings written, automatic closes)."""
    return result["complaints.breached"], result["complaints.due_soon"], result["complaints.auto_closed"]


def references(complaints: list[Complaint]) -> list[str]:
    return [complaint.reference for complaint in complaints]


@pytest.mark.worker
@pytest.mark.postgres
def test_the_database_restarted_mid_sweep_leaves_every_clock_acted_on_exactly_once(
    restartable_cluster, transactional_db, django_db_serialized_rollback, tmp_path, agent
):
    """A worker sweeps hundreds of due clocks, one batch a transaction; PostgreSQL is
    restarted (fast: sessions terminated) while the second batch is half written. That
    batch rolls back whole, the worker's next sweeps pick it up, and in the end each
    clock was acted on once: one breach mark and one notice per recipient, one warning,
    one automatic close. Nothing missed, nothing twice."""
    cluster = restartable_cluster
    breaching, warned, closing = due_clocks(agent)
    last = max(breaching, key=lambda complaint: complaint.sla_clock_id)  # in the second batch
    results: list[dict[str, int]] = []

    with (
        # Its own broker: the notices the worker's sweep hands on stay there, with no one to deliver them.
        private_redis(tmp_path / "redis") as broker,
        running_worker(
            tmp_path, queue_prefix="faults-sweep", env={"CELERY_BROKER_URL": broker.url}
        ) as worker,
        publishing_to(broker.url),
    ):
        how, first = outcome_of(worker, send_as_beat(run_sla_sweep))
        assert how == "succeeded", first
        results.append(first)
        assert acts(first) == (sweep.SWEEP_BATCH, WARNED, CLOSING)

        with HeldTransaction(hold_breach_notice_of(last)):
            interrupted = send_as_beat(run_sla_sweep)
            wait_for(
                lambda: sessions_waiting_on_a_lock() > 0,
                timeout=60,
                what="the second sweep's batch waiting on the held notice",
                worker=worker,
            )
            cluster.restart()
        connections.close_all()  # this process's connection died with the old server

        how, error = outcome_of(worker, interrupted)
        assert how == "raised" and "OperationalError" in error, error
        marked = SlaClock.objects.filter(
            complaint__in=breaching, resolution_breached_at__isnull=False
        ).count()
        assert marked == sweep.SWEEP_BATCH  # some, not all: the second batch rolled back whole

        # Beat keeps ticking; the same worker sweeps until there is nothing left to do.
        for _ in range(MAX_TICKS):
            how, result = outcome_of(worker, send_as_beat(run_sla_sweep))
            assert how == "succeeded", result
            if not any(result.values()):
                break
            results.append(result)
        else:
            pytest.fail(f"the sweep was still busy after {MAX_TICKS} ticks: {results}")

    acted = Counter()
    for result in results:
        acted.update(result)
    assert acts(acted) == (BREACHING, WARNED, CLOSING)  # no sweep that finished did anything twice
    # Each act once, seen as the back office sees it.
    clocks = SlaClock.objects.filter(complaint__in=breaching)
    assert all(clock.resolution_breached_at == clock.resolution_due_at for clock in clocks)
    breach_notices = Counter(
        Notification.objects.filter(kind="breach").values_list("case_reference", flat=True)
    )
    assert breach_notices == dict.fromkeys(references(breaching), 2)  # the team's, the supervisors'
    warnings = Counter(Notification.objects.filter(kind="due_soon").values_list("case_reference", flat=True))
    assert warnings == dict.fromkeys(references(warned), 1)
    assert SlaClock.objects.filter(complaint__in=warned, due_soon_notified_at__isnull=True).count() == 0
    closes = Counter(
        TransitionRecord.objects.filter(transition="close").values_list("case_reference", flat=True)
    )
    assert closes == dict.fromkeys(references(closing), 1)
    assert set(Complaint.objects.filter(pk__in=[c.pk for c in closing]).values_list("state", flat=True)) == {
        State.CLOSED
    }
    call_command("verify_audit_chain", stdout=io.StringIO())  # raises if a chain is broken


# --- 4. a hundred pairs of approvals racing ---------------------------------------------

PAIRS = 100
PAIRS_AT_ONCE = 10  # twenty connections at a time, well inside max_connections


@pytest.fixture
def second_supervisor(db) -> User:
    return make_user("sup.li", roles.SUPERVISOR)


@pytest.mark.postgres
def test_a_hundred_pairs_of_approvals_at_the_same_instant_approve_each_request_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, supervisor, second_supervisor
):
    """Two supervisors approve the same unlock request at the same instant, a hundred times
    over, each on a connection of their own: one approval each wins, the other is refused
    as a concurrent change, and every trail holds one approval and still verifies."""
    requests = [
        request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor) for _ in range(PAIRS)
    ]
    outcomes: list[tuple[AccountRequest, list]] = []
    for start in range(0, PAIRS, PAIRS_AT_ONCE):
        batch = requests[start : start + PAIRS_AT_ONCE]
        # Each racer's own copy, all read before any of them acts, as two open admin pages.
        racers = [
            partial(
                accounts_services.approve_request,
                request=AccountRequest.objects.get(pk=request.pk),
                actor=actor,
            )
            for request in batch
            for actor in (supervisor, second_supervisor)
        ]
        results = race(*racers)
        outcomes += [(request, results[2 * i : 2 * i + 2]) for i, request in enumerate(batch)]

    # What the back office holds: each request approved once, by the one who won.
    for request, pair in outcomes:
        winner, _ = won_and_lost(pair, AccountRequest)
        stored = AccountRequest.objects.get(pk=request.pk)
        assert (stored.state, stored.approved_by) == (RequestState.APPROVED, winner.approved_by)
    approvals = Counter(
        TransitionRecord.objects.filter(transition="approve").values_list("case_reference", flat=True)
    )
    assert approvals == dict.fromkeys([request.reference for request in requests], 1)
    call_command("verify_audit_chain", stdout=io.StringIO())  # raises if a chain is broken
    # What each loser saw: the refusal that tells them to reload, never another error.
    refusals = [error for _, pair in outcomes for error in pair if isinstance(error, BaseException)]
    assert Counter(type(error).__name__ for error in refusals) == {"ConcurrentChange": PAIRS}, [
        error for error in refusals if not isinstance(error, ConcurrentChange)
    ][:3]
    assert all("was changed by someone else after you opened it" in error.message for error in refusals)
