"""Two people acting on a refund at the same moment: approvals, second approvals, submits,
reports and openings on one transaction or for one customer. Only PostgreSQL has the row
locks to show it with (SQLite serialises writers): each test is marked ``postgres``."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from django.db import IntegrityError

from casework.core.errors import ConcurrentChange, InvalidInput
from casework.models import Notification
from casework.tests.races import at_the_same_moment, race, won_and_lost
from refunds import services
from refunds.models import PaymentInstruction, RefundCase, RefundState
from refunds.tests.factories import (
    ON_THE_TRANSACTION,
    SETTLED_AS,
    large,
    open_refund,
    refund_for_customer,
    split_in_two,
    transaction_details,
)
from refunds.tests.readback import instructions_of, records_of, stored


@pytest.mark.postgres
@pytest.mark.parametrize(
    "amount", [Decimal("300.00"), Decimal("6000.00")], ids=["one-approval", "first-approval"]
)
def test_two_approvals_at_once_approve_once(
    amount,
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    refund_case_in,
    refunds_desk,
    other_refunds_desk,
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large(requested_amount=amount))

    outcomes = at_the_same_moment(case, services.approve_refund, [refunds_desk, other_refunds_desk])

    won, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    assert (
        lost.message
        == f"{case.reference} was changed by someone else after you opened it; reload and try again."
    )
    after = stored(case)
    if amount > Decimal("5000"):
        assert (after.state, after.first_approved_by, after.approved_by) == (
            RefundState.UNDER_REVIEW,
            won.first_approved_by,
            None,
        )
        transition = "first_approval"
    else:
        assert (after.state, after.approved_by) == (RefundState.APPROVED, won.approved_by)
        transition = "approve"
    [approval] = [r for r in records_of(case) if r.transition in ("approve", "first_approval")]
    assert approval.transition == transition
    assert approval.actor in (refunds_desk, other_refunds_desk)


@pytest.mark.postgres
def test_two_second_approvals_at_once_approve_once(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    refund_case_in,
    refunds_desk,
    other_refunds_desk,
    supervisor,
):
    case = refund_case_in(RefundState.UNDER_REVIEW, **large())
    services.approve_refund(case=case, actor=refunds_desk)

    outcomes = at_the_same_moment(case, services.approve_refund, [other_refunds_desk, supervisor])

    won, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    after = stored(case)
    assert (after.state, after.approved_by) == (RefundState.APPROVED, won.approved_by)
    assert [r.transition for r in records_of(case)].count("approve") == 1


@pytest.mark.postgres
def test_two_submits_at_once_make_one_instruction(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    refund_case_in,
    refunds_desk,
    supervisor,
):
    case = refund_case_in(RefundState.APPROVED)

    outcomes = at_the_same_moment(case, services.submit_to_payments, [refunds_desk, supervisor])

    _, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, ConcurrentChange)
    assert stored(case).state == RefundState.PROCESSING
    [instruction] = instructions_of(case)
    assert instruction.idempotency_key == f"{case.reference}-PAY-1"
    assert Notification.objects.filter(kind="payment_instruction", case_reference=case.reference).count() == 1


@pytest.mark.postgres
def test_the_same_report_twice_at_once_settles_once(
    require_postgres, transactional_db, django_db_serialized_rollback, refund_case_in, payments_system
):
    case = refund_case_in(RefundState.PROCESSING)
    [instruction] = instructions_of(case)
    report = partial(
        services.report_settlement,
        idempotency_key=instruction.idempotency_key,
        actor=payments_system,
        outcome="settled",
        processor_reference=SETTLED_AS,
    )

    outcomes = race(report, report)

    assert [type(o) for o in outcomes] == [PaymentInstruction, PaymentInstruction], outcomes
    assert stored(case).state == RefundState.REFUNDED
    assert [r.transition for r in records_of(case)].count("settle") == 1


def approved_at_once(cases: list[RefundCase], actors: list) -> list:
    """Each actor approves its own case (a fresh copy), all at the same moment."""
    copies = [stored(case) for case in cases]
    return race(
        *[
            partial(services.approve_refund, case=copy, actor=actor)
            for copy, actor in zip(copies, actors, strict=True)
        ]
    )


def one_approved_one_waiting(cases: list[RefundCase]) -> tuple[RefundCase, RefundCase]:
    after = [stored(case) for case in cases]
    approved = [case for case in after if case.state == RefundState.APPROVED]
    waiting = [case for case in after if case.awaits_second_approval]
    assert (len(approved), len(waiting)) == (1, 1), [(c.state, c.first_approved_by_id) for c in after]
    return approved[0], waiting[0]


# Two cases on one transaction, each below the threshold, approved at the same moment by
# two people: the transaction's row lock queues them, and the second counts the first.
@pytest.mark.postgres
def test_split_cases_approved_at_once_on_one_transaction_take_a_second_approver(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    agent,
    refunds_desk,
    other_refunds_desk,
):
    cases = list(split_in_two(agent, refunds_desk))

    outcomes = approved_at_once(cases, [refunds_desk, other_refunds_desk])

    assert all(isinstance(outcome, RefundCase) for outcome in outcomes), outcomes
    _, waiting = one_approved_one_waiting(cases)
    assert records_of(waiting)[-1].data["four_eyes"] == ON_THE_TRANSACTION


# Two cases of one customer on two transactions: no row is shared, the customer's lock
# queues them.
@pytest.mark.postgres
def test_a_customers_cases_approved_at_once_take_a_second_approver(
    require_postgres,
    transactional_db,
    django_db_serialized_rollback,
    thresholds,
    agent,
    refunds_desk,
    other_refunds_desk,
):
    cases = [refund_for_customer(agent, refunds_desk, "3000.00", phone="13800138000") for _ in range(2)]

    outcomes = approved_at_once(cases, [refunds_desk, other_refunds_desk])

    assert all(isinstance(outcome, RefundCase) for outcome in outcomes), outcomes
    _, waiting = one_approved_one_waiting(cases)
    assert "approved or paid to this customer" in records_of(waiting)[-1].data["four_eyes"]


def open_at_once(actors: list, **arguments) -> list:
    return race(*[partial(open_refund, actor, **arguments) for actor in actors])


# The transaction is already on record (a cancelled case named it): its row lock queues
# the two openings, and the second sees the first.
@pytest.mark.postgres
def test_two_cases_at_once_on_a_known_transaction_cannot_together_exceed_it(
    require_postgres, transactional_db, django_db_serialized_rollback, refund_case_in, agent, other_agent
):
    earlier = refund_case_in(RefundState.CANCELLED)
    reference = earlier.transaction.reference

    outcomes = open_at_once(
        [agent, other_agent], transaction_reference=reference, requested_amount=Decimal("500.00")
    )

    _, lost = won_and_lost(outcomes, RefundCase)
    assert isinstance(lost, InvalidInput) and lost.field == "requested_amount"
    assert "is more than is still refundable" in lost.message
    assert RefundCase.objects.filter(transaction__reference=reference).exclude(pk=earlier.pk).count() == 1


# On first sight of a transaction there is no row to lock: the second opening's insert
# waits on the unique reference, fails in its savepoint, and then locks and checks the
# row the first committed, so two partial refunds that fit both open.
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("requested", "opened"), [(Decimal("500.00"), 1), (Decimal("300.00"), 2)], ids=["exceeding", "fitting"]
)
def test_two_cases_at_once_on_a_new_transaction_open_what_fits(
    requested, opened, require_postgres, transactional_db, django_db_serialized_rollback, agent, other_agent
):
    details = transaction_details()

    outcomes = open_at_once([agent, other_agent], requested_amount=requested, **details)

    assert not any(isinstance(outcome, IntegrityError) for outcome in outcomes), outcomes
    cases = [o for o in outcomes if isinstance(o, RefundCase)]
    assert len(cases) == opened
    if opened == 1:
        [lost] = [o for o in outcomes if isinstance(o, BaseException)]
        assert isinstance(lost, InvalidInput) and lost.field == "requested_amount"
    assert (
        RefundCase.objects.filter(transaction__reference=details["transaction_reference"]).count() == opened
    )
