"""A provisional credit's own deadline in the sweep: the refunds desk (and the handler) is
warned once as a due credit nears its ``due_at``; after it, the credit is marked late for
good and the supervisors hear of it too. A credit made, or on a case that ended, is left
alone. The sweep is given an explicit ``now``."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from casework.cases import sweep
from casework.models import Notification
from casework.tests.test_sweep import sweep_concurrently
from refunds import services
from refunds.models import ProvisionalCredit
from refunds.services.provisional import WARN_BEFORE
from refunds.tests.provisional import refund_under

REFUNDS_MAILBOX = "refunds@wallet.example"
SUPERVISORS_MAILBOX = "supervisors@wallet.example"
HANDLER = "zhou.min@wallet.example"
MINUTE = dt.timedelta(minutes=1)


def _notices(kind: str) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(kind=kind).values_list("case_reference", "recipient"))


def _opened(agent, desk) -> ProvisionalCredit:
    case = refund_under(agent, desk)
    return services.open_provisional_credit(refund_case=case, actor=desk)


@pytest.mark.django_db
def test_the_desk_is_warned_once_before_a_due_credit_falls_due(agent, refunds_desk):
    credit = _opened(agent, refunds_desk)
    assert credit.warn_at == credit.due_at - WARN_BEFORE

    early = sweep.run(credit.warn_at - MINUTE)
    first, again = sweep.run(credit.warn_at + MINUTE), sweep.run(credit.warn_at + 2 * MINUTE)

    assert early["provisional_credits.due_soon"] == 0
    assert (first["provisional_credits.due_soon"], again["provisional_credits.due_soon"]) == (1, 0)
    reference = credit.reference
    assert _notices("provisional_credit_due_soon") == [(reference, REFUNDS_MAILBOX), (reference, HANDLER)]
    notice = Notification.objects.filter(kind="provisional_credit_due_soon").first()
    assert f"[{reference}] provisional credit due" in notice.subject or reference in notice.subject
    credit.refresh_from_db()
    assert credit.warned_at is not None and credit.late_at is None


@pytest.mark.django_db
def test_a_credit_not_made_by_its_deadline_is_marked_late_for_good(
    agent, refunds_desk, payments_system, clock
):
    credit = _opened(agent, refunds_desk)

    on_time = sweep.run(credit.due_at)
    late = sweep.run(credit.due_at + MINUTE)
    again = sweep.run(credit.due_at + 2 * MINUTE)

    assert (on_time["provisional_credits.late"], late["provisional_credits.late"]) == (0, 1)
    assert again["provisional_credits.late"] == 0
    reference = credit.reference
    assert _notices("provisional_credit_late") == [
        (reference, REFUNDS_MAILBOX),
        (reference, SUPERVISORS_MAILBOX),
        (reference, HANDLER),
    ]
    credit.refresh_from_db()
    assert credit.late_at == credit.due_at and credit.is_late
    # Credited after that, it stays late, and the extension stays closed.
    clock.now = credit.due_at + dt.timedelta(hours=1)
    credit = services.credit_provisionally(credit=credit, actor=payments_system, processor_reference="PSP-1")
    assert credit.late_at == credit.due_at
    assert services.provisional_credit_refusal(credit.refund_case.complaint, by=credit.due_at) is not None


@pytest.mark.django_db
def test_a_credit_made_or_on_an_ended_case_is_not_chased(agent, refunds_desk, payments_system):
    made = _opened(agent, refunds_desk)
    services.credit_provisionally(credit=made, actor=payments_system, processor_reference="PSP-2")
    ended = _opened(agent, refunds_desk)
    services.reject_refund(case=ended.refund_case, actor=refunds_desk, reason="The customer renewed it.")

    later = max(made.due_at, ended.due_at) + MINUTE
    result = sweep.run(later)

    assert (result["provisional_credits.due_soon"], result["provisional_credits.late"]) == (0, 0)
    assert (
        not Notification.objects.filter(kind__startswith="provisional_credit_")
        .exclude(kind__in=["provisional_credit_instruction"])
        .exists()
    )


@pytest.mark.postgres
def test_two_sweeps_at_once_mark_each_credit_late_once(
    require_postgres, transactional_db, django_db_serialized_rollback, agent, refunds_desk
):
    credits = [_opened(agent, refunds_desk) for _ in range(4)]
    later = max(credit.due_at for credit in credits) + MINUTE

    results = sweep_concurrently(later)

    assert sum(r["provisional_credits.late"] for r in results) == len(credits)
    per_notice = Counter(
        Notification.objects.filter(kind="provisional_credit_late").values_list("recipient", "case_reference")
    )
    assert len(per_notice) == len(credits) * 3 and set(per_notice.values()) == {1}
    for credit in credits:
        assert credit.history.filter(late_at__isnull=False).count() == 1
