"""The refund admin's lists and readers: the changelist for each staff role with its
filters, search and a constant query count, no staff door for partners, and auditors who
read cases, transactions and history and change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from casework.access import roles
from casework.models import SlaClock
from casework.sla.deadlines import next_deadline
from casework.tests import files
from casework.tests.admin import admin_url, forbidden, results
from casework.tests.users import make_user
from complaints.models import State
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import PaymentTransaction, RefundCase, RefundEvidence, RefundState
from refunds.tests.admin import ADD, CHANGELIST, TRANSACTIONS, large_refund, unchanged
from refunds.tests.factories import PNG, open_refund, refund_in_state

pytestmark = pytest.mark.usefixtures("media_root")

# The changelist.


@pytest.mark.parametrize(
    "role",
    [
        roles.AGENT,
        roles.REFUNDS_DESK,
        roles.SUPERVISOR,
        roles.AUDITOR,
        roles.TECHNICAL_TEAM,
        roles.COMPLAINTS_DEPARTMENT,
        roles.RISK_OFFICER,
    ],
)
def test_changelist_renders_for_each_staff_role_with_filters_and_search(client, agent, role):
    case = open_refund(agent)
    client.force_login(make_user(f"staff.{role.replace(' ', '-')}", role))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    # The next deadline as a countdown, its due time in the badge's title.
    deadline = next_deadline(case.sla_clock)
    due = f"{timezone.localtime(deadline.due_at):%Y-%m-%d %H:%M}"
    countdown = f'class="deadline deadline--{deadline.tone}"'
    for shown in (
        case.reference,
        "CNY 300.00",
        case.transaction.reference,
        "on track",
        due,
        countdown,
        "overdue",
    ):
        assert shown in content, shown
    filtered = client.get(
        CHANGELIST, {"state": "requested", "sla": "on_track", "approval": "any", "q": case.reference}
    )
    assert filtered.status_code == 200 and results(filtered) == []
    assert results(client.get(CHANGELIST, {"state": "requested", "q": case.reference})) == [case]


def test_partners_and_the_payments_system_have_no_staff_door(client, agent, partner, payments_system):
    open_refund(agent)
    for user in (partner.user, payments_system):
        client.force_login(user)
        response = client.get(CHANGELIST)
        assert response.status_code == 302 and "/login/" in response.url


def test_changelist_filters_by_state_type_currency_handler_deadline_and_approval(
    client, agent, refunds_desk, other_refunds_desk
):
    requested = open_refund(agent)
    duplicate = refund_in_state(
        RefundState.UNDER_REVIEW, agent=agent, desk=other_refunds_desk, refund_type="duplicate_charge"
    )
    dollars = open_refund(
        agent, currency="USD", transaction_amount=Decimal("120.00"), requested_amount=Decimal("120.00")
    )
    waiting = large_refund(agent, refunds_desk)
    waiting = services.approve_refund(case=waiting, actor=refunds_desk)  # the first of two
    SlaClock.objects.filter(pk=requested.sla_clock_id).update(resolution_breached_at=timezone.now())
    client.force_login(refunds_desk)

    assert set(results(client.get(CHANGELIST, {"state": "under_review"}))) == {duplicate, waiting}
    assert results(client.get(CHANGELIST, {"refund_type": "duplicate_charge"})) == [duplicate]
    assert results(client.get(CHANGELIST, {"transaction__currency": "USD"})) == [dollars]
    assert results(client.get(CHANGELIST, {"handler__id__exact": refunds_desk.pk})) == [waiting]
    assert results(client.get(CHANGELIST, {"sla": "breached"})) == [requested]
    assert set(results(client.get(CHANGELIST, {"sla": "on_track"}))) == {duplicate, dollars, waiting}
    assert results(client.get(CHANGELIST, {"approval": "second"})) == [waiting]
    assert set(results(client.get(CHANGELIST, {"approval": "any"}))) == {duplicate, waiting}

    content = client.get(CHANGELIST).content.decode()
    assert "USD 120.00" in content and "CNY 6,000.00" in content
    # Overdue and awaiting a second approval are filters now (above), no longer columns.
    assert content.count('class="case-state case-state--open"') == 4


def test_changelist_searches_by_reference_transaction_merchant_partner_and_complaint(
    client, agent, refunds_desk, partner
):
    plain = open_refund(agent, merchant="Shenzhen Bike Rentals")
    from_partner = open_refund(partner.user, partner=partner, external_reference="ACME-RF-0042")
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund")
    from_complaint = services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="failed_payment"
    )
    client.force_login(refunds_desk)

    assert results(client.get(CHANGELIST, {"q": plain.reference})) == [plain]
    assert results(client.get(CHANGELIST, {"q": plain.transaction.reference})) == [plain]
    assert results(client.get(CHANGELIST, {"q": "Shenzhen Bike"})) == [plain]  # by its beginning
    assert results(client.get(CHANGELIST, {"q": "ACME-RF-0042"})) == [from_partner]
    assert results(client.get(CHANGELIST, {"q": complaint.reference})) == [from_complaint]


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def _varied_cases(count: int, *, agent, desk, second) -> None:
    """Cases with and without a handler, approvals, instructions: every column filled."""
    states = [RefundState.REQUESTED, RefundState.UNDER_REVIEW, RefundState.APPROVED]
    for index in range(count):
        refund_in_state(states[index % len(states)], agent=agent, desk=desk, second=second)


def test_changelist_query_count_does_not_grow_with_the_page(client, agent, refunds_desk, other_refunds_desk):
    _varied_cases(2, agent=agent, desk=refunds_desk, second=other_refunds_desk)
    services.approve_refund(case=large_refund(agent, refunds_desk), actor=refunds_desk)
    client.force_login(refunds_desk)
    client.get(CHANGELIST)  # warm the content-type and session caches
    with_three = _changelist_queries(client)

    _varied_cases(22, agent=agent, desk=refunds_desk, second=other_refunds_desk)
    with_twenty_five = _changelist_queries(client)

    assert RefundCase.objects.count() == 25
    assert with_three == with_twenty_five, (with_three, with_twenty_five)
    print(f"\nrefund case changelist queries: {with_three} for 3 rows, {with_twenty_five} for 25 rows")


# Readers.


def test_auditor_reads_cases_transactions_and_history_and_changes_nothing(
    client, agent, refunds_desk, auditor
):
    case = services.start_review(
        case=open_refund(agent), actor=refunds_desk, reason="Checking the merchant's records"
    )
    before = unchanged(case)
    client.force_login(auditor)

    assert results(client.get(CHANGELIST)) == [case]
    content = client.get(admin_url(case)).content.decode()
    assert escape("Checking the merchant's records") in content  # the timeline's reason
    assert 'name="_save"' not in content and "/transition/" not in content and "/step/" not in content
    assert client.get(admin_url(case, "history")).status_code == 200
    assert client.get(TRANSACTIONS).status_code == 200

    assert client.get(ADD).status_code == 403
    response = client.post(admin_url(case, "transition", "cancel"), {"version": case.version})
    assert "You do not have permission to cancel this refund case." in forbidden(response)
    response = client.post(
        admin_url(case, "step", "add-evidence"),
        {"version": case.version, "kind": "other", "file": files.upload("a.png", PNG)},
    )
    assert "You do not have permission to add evidence on this refund case." in forbidden(response)
    assert unchanged(case) == before
    assert not RefundEvidence.objects.exists()


def test_nobody_edits_or_deletes_a_refund_case(client, agent, supervisor):
    case = open_refund(agent)
    client.force_login(supervisor)
    data = {"version": case.version, "_fsm_transition_to": "start_review"}
    assert client.post(admin_url(case), data).status_code == 403
    assert client.post(admin_url(case, "delete"), {"post": "yes"}).status_code == 403
    assert RefundCase.objects.get(pk=case.pk).state == RefundState.REQUESTED


def test_transactions_are_read_only_and_say_what_is_still_refundable(client, agent, refunds_desk):
    first = open_refund(agent)  # CNY 300 of 800
    second = open_refund(
        agent, transaction_reference=first.transaction.reference, requested_amount=Decimal("200.00")
    )
    services.cancel_refund(
        case=open_refund(agent, transaction_reference=first.transaction.reference), actor=agent
    )
    client.force_login(refunds_desk)

    listed = client.get(TRANSACTIONS, {"q": first.transaction.reference})
    assert results(listed) == [first.transaction]
    assert results(listed)[0].refund_case_count == 3
    change = reverse("admin:refunds_paymenttransaction_change", args=[first.transaction_id])
    page = client.get(change)
    content = page.content.decode()
    assert page.status_code == 200 and 'name="_save"' not in content
    assert "CNY 300.00" in content  # 800 paid, 300 + 200 held; the cancelled case holds nothing
    assert admin_url(first) in content and admin_url(second) in content
    assert "CNY 300.00 of CNY 800.00" in client.get(admin_url(first)).content.decode()

    assert client.post(change, {"merchant": "Someone else"}).status_code == 403
    assert client.get(reverse("admin:refunds_paymenttransaction_add")).status_code == 403
    delete = reverse("admin:refunds_paymenttransaction_delete", args=[first.transaction_id])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert PaymentTransaction.objects.get(pk=first.transaction_id).merchant == "Hangzhou Tea House"
