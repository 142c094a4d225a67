"""The staff door to refund cases, driven through the test client as a logged-in user:
what agents, the refunds desk, supervisors and auditors see and do, and what they are
refused. Fixtures for the desk and the payments system are in this package's conftest."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from casework import roles
from casework.errors import PermissionRefused
from casework.models import Notification, SlaClock, TransitionRecord
from casework.tests import files
from casework.tests.admin import act, admin_url, forbidden, messages_of, results
from casework.tests.users import make_user
from complaints.models import State
from complaints.tests.factories import complaint_in_state
from refunds import services
from refunds.models import (
    InstructionStatus,
    PaymentInstruction,
    PaymentTransaction,
    RefundCase,
    RefundEvidence,
    RefundState,
)
from refunds.tests.factories import PNG, open_refund, refund_in_state

CHANGELIST = reverse("admin:refunds_refundcase_changelist")
ADD = reverse("admin:refunds_refundcase_add")
TRANSACTIONS = reverse("admin:refunds_paymenttransaction_changelist")

pytestmark = pytest.mark.usefixtures("media_root")

FOUR_EYES_REFUSAL = (
    "Four eyes: you gave the first approval, so someone else from the refunds desk "
    "or a supervisor must give the second."
)


def large_refund(agent, desk, state: str = RefundState.UNDER_REVIEW, **arguments) -> RefundCase:
    """CNY 6,000 of an 8,000 payment: above the CNY 5,000 four-eyes threshold."""
    return refund_in_state(
        state,
        agent=agent,
        desk=desk,
        transaction_amount=Decimal("8000.00"),
        requested_amount=Decimal("6000.00"),
        **arguments,
    )


def unchanged(case: RefundCase) -> tuple:
    """What a refused action must leave as it was."""
    stored = RefundCase.objects.get(pk=case.pk)
    return (
        stored.state,
        stored.version,
        stored.approved_amount,
        stored.first_approved_by_id,
        stored.history.count(),
        TransitionRecord.objects.filter(case_reference=case.reference).count(),
    )


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
    due = f"{timezone.localtime(case.sla_clock.resolution_due_at):%Y-%m-%d %H:%M}"
    for shown in (case.reference, "CNY 300.00", case.transaction.reference, "on track", due, "overdue"):
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
    assert content.count('alt="True"') == 2  # one overdue, one awaiting its second approval


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


# Opening a case.


def test_agent_opens_a_refund_case_through_the_add_form(client, agent):
    client.force_login(agent)
    paid_at = timezone.localtime() - dt.timedelta(days=2)
    response = client.post(
        ADD,
        {
            "refund_type": "duplicate_charge",
            "requested_amount": "45.50",
            "reason": "Charged twice for one taxi ride.",
            "transaction_reference": "TXN-ADMIN-0001",
            "merchant": "Didi Chuxing",
            "transaction_amount": "45.50",
            "currency": "CNY",
            "paid_at": f"{paid_at:%Y-%m-%d %H:%M}",
        },
        follow=True,
    )
    case = RefundCase.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert f"Opened {case}: CNY 45.50 on TXN-ADMIN-0001; it is now requested." in messages_of(response)
    assert (case.state, case.submitted_by, case.transaction.merchant) == (
        RefundState.REQUESTED,
        agent,
        "Didi Chuxing",
    )


def test_more_than_is_refundable_is_a_field_error_and_nothing_is_saved(client, agent):
    first = open_refund(agent)  # CNY 300 of the 800 paid
    client.force_login(agent)
    response = client.post(
        ADD,
        {
            "refund_type": "other",
            "requested_amount": "600.00",
            "reason": "The rest of it.",
            "transaction_reference": first.transaction.reference,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["requested_amount"] == [
        f"CNY 600.00 is more than is still refundable on {first.transaction.reference}: "
        "CNY 500.00 of CNY 800.00, counting its other refund cases."
    ]
    assert RefundCase.objects.get() == first


# Every transition button, through the admin.


def test_a_refund_through_every_button_until_it_is_paid(client, agent, refunds_desk, payments_system):
    case = open_refund(agent)
    client.force_login(refunds_desk)
    page = client.get(admin_url(case)).content.decode()
    assert admin_url(case, "transition", "start_review") in page
    assert admin_url(case, "step", "add-evidence") in page

    response = act(client, admin_url(case, "transition", "start_review"), reason="Mine")
    assert f"{case}: start review done; it is now under review." in messages_of(response)

    response = act(
        client, admin_url(case, "transition", "request_evidence"), what="The merchant's cancellation e-mail"
    )
    assert f"{case}: request evidence done; it is now awaiting evidence." in messages_of(response)
    case.refresh_from_db()
    assert case.evidence_requested == "The merchant's cancellation e-mail"
    assert case.sla_clock.is_paused
    assert "(paused: waiting on the customer)" in client.get(admin_url(case)).content.decode()

    response = act(client, admin_url(case, "transition", "evidence_received"), reason="Came by post")
    assert f"{case}: evidence received done; it is now under review." in messages_of(response)

    approve = admin_url(case, "transition", "approve")
    assert "Approve" in client.get(admin_url(case)).content.decode()
    form = client.get(approve).context["transition_form"]
    assert form["amount"].value() == Decimal("300.00")  # what was asked, as CNY is written
    response = act(client, approve, amount="250.00", reason="Delivery fee is the merchant's to keep")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.approved_amount, case.approved_by) == (Decimal("250.00"), refunds_desk)

    response = act(client, admin_url(case, "transition", "submit_to_payments"))
    assert f"{case}: submit to payments done; it is now processing." in messages_of(response)
    first = PaymentInstruction.objects.get(case=case)
    assert (first.attempt, first.amount, first.status) == (1, Decimal("250.00"), InstructionStatus.SENT)
    notice = Notification.objects.get(idempotency_key=first.idempotency_key)
    assert notice.channel == Notification.Channel.WEBHOOK

    services.report_settlement(
        idempotency_key=first.idempotency_key,
        actor=payments_system,
        outcome="failed",
        error="Beneficiary account closed",
    )
    page = client.get(admin_url(case)).content.decode()
    assert "Beneficiary account closed" in page and first.idempotency_key in page
    response = act(client, admin_url(case, "transition", "retry"))
    assert f"{case}: retry payment done; it is now processing." in messages_of(response)
    second = PaymentInstruction.objects.get(case=case, attempt=2)

    services.report_settlement(
        idempotency_key=second.idempotency_key,
        actor=payments_system,
        outcome="settled",
        processor_reference="PSP-778899",
    )
    case.refresh_from_db()
    assert case.state == RefundState.REFUNDED
    page = client.get(admin_url(case)).content.decode()
    for shown in ("PSP-778899", "CNY 250.00", second.idempotency_key, "settled"):
        assert shown in page, shown
    assert "/transition/" not in page and "/step/" not in page  # nothing left to do
    trail = list(
        TransitionRecord.objects.filter(case_reference=case.reference)
        .order_by("id")
        .values_list("transition", "actor_label")
    )
    assert trail == [
        ("open", "agent.wang"),
        ("start_review", "refunds.zhou"),
        ("request_evidence", "refunds.zhou"),
        ("evidence_received", "refunds.zhou"),
        ("approve", "refunds.zhou"),
        ("submit_to_payments", "refunds.zhou"),
        ("fail", "partner:payments"),
        ("retry", "refunds.zhou"),
        ("settle", "partner:payments"),
    ]


def test_a_rejection_needs_its_reason_and_a_cancellation_takes_one(client, agent, refunds_desk):
    rejected = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    cancelled = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)

    url = admin_url(rejected, "transition", "reject")
    assert act(client, url).context["transition_form"].errors["reason"] == ["This field is required."]
    response = act(client, url, reason="Delivered and signed for on 21 November.")
    assert f"{rejected}: reject done; it is now rejected." in messages_of(response)
    rejected.refresh_from_db()
    assert rejected.rejection_reason == "Delivered and signed for on 21 November."
    assert rejected.sla_clock.stopped_at is not None

    response = act(client, admin_url(cancelled, "transition", "cancel"), reason="Merchant paid it back")
    assert f"{cancelled}: cancel done; it is now cancelled." in messages_of(response)
    record = TransitionRecord.objects.filter(case_reference=cancelled.reference).latest("id")
    assert (record.transition, record.reason) == ("cancel", "Merchant paid it back")


def test_a_large_refund_needs_two_people(client, agent, refunds_desk, other_refunds_desk):
    case = large_refund(agent, refunds_desk)
    approve = admin_url(case, "transition", "approve")
    client.force_login(refunds_desk)
    page = client.get(admin_url(case)).content.decode()
    assert "Give first approval" in page and "CNY 6,000.00 is above the CNY 5,000.00 threshold" in page

    response = act(client, approve, reason="Receipts check out")
    assert (
        f"{case}: first approval of CNY 6,000.00 recorded; a second person from the refunds desk "
        "or a supervisor must approve it." in messages_of(response)
    )
    case.refresh_from_db()
    assert (case.state, case.first_approved_by, case.approved_amount) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        Decimal("6000.00"),
    )

    # The first approver is not offered the second, and is told why when they try.
    assert approve not in client.get(admin_url(case)).content.decode()
    before = unchanged(case)
    assert FOUR_EYES_REFUSAL in forbidden(client.get(approve))
    response = client.post(approve, {"version": case.version, "reason": "Me again"})
    assert FOUR_EYES_REFUSAL in forbidden(response)
    assert unchanged(case) == before

    # Someone else confirms the amount; another one is refused on the field.
    client.force_login(other_refunds_desk)
    assert "Give second approval" in client.get(admin_url(case)).content.decode()
    response = act(client, approve, amount="5500.00")
    assert response.context["transition_form"].errors["amount"] == [
        "The second approval confirms the first: CNY 6,000.00. If that amount is wrong, "
        "do not approve: reject the case with the reason instead."
    ]
    assert unchanged(case) == before
    response = act(client, approve, reason="Second pair of eyes")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.state, case.approved_by, case.first_approved_by) == (
        RefundState.APPROVED,
        other_refunds_desk,
        refunds_desk,
    )
    trail = list(
        TransitionRecord.objects.filter(case_reference=case.reference)
        .order_by("id")
        .values_list("transition", "actor_label", "reason")
    )[-2:]
    assert trail == [
        ("first_approval", "refunds.zhou", "Receipts check out"),
        ("approve", "refunds.qian", "Second pair of eyes"),
    ]


def test_the_opener_of_a_refund_case_is_refused_its_approval_as_the_service_refuses_it(
    client, refunds_desk, other_refunds_desk
):
    case = open_refund(refunds_desk)
    services.start_review(case=case, actor=refunds_desk)
    approve = admin_url(case, "transition", "approve")
    client.force_login(refunds_desk)
    with pytest.raises(PermissionRefused) as refused:
        services.approve_refund(case=RefundCase.objects.get(pk=case.pk), actor=refunds_desk)
    before = unchanged(case)

    # Not offered, and told why (a 403 page) on opening it and when posting anyway.
    assert approve not in client.get(admin_url(case)).content.decode()
    shown = forbidden(client.get(approve))
    assert refused.value.message in shown and "Nothing was changed." in shown
    response = client.post(approve, {"version": case.version, "reason": "Mine"})
    assert refused.value.message in forbidden(response)
    assert refused.value.message == (
        "Four eyes: you opened this refund case, so someone else from the refunds desk "
        "or a supervisor must approve it."
    )
    assert unchanged(case) == before

    client.force_login(other_refunds_desk)
    response = act(client, approve, reason="Voucher checks out")
    assert f"{case}: approve done; it is now approved." in messages_of(response)


def test_a_refund_split_into_cases_below_the_threshold_asks_for_a_first_approval(
    client, agent, refunds_desk, other_refunds_desk
):
    half = Decimal("4999.99")
    first = refund_in_state(
        RefundState.APPROVED,
        agent=agent,
        desk=refunds_desk,
        transaction_amount=half * 2,
        requested_amount=half,
    )
    second = open_refund(
        agent,
        transaction_reference=first.transaction.reference,
        transaction_amount=half * 2,
        requested_amount=half,
    )
    services.start_review(case=second, actor=refunds_desk)
    reason = (
        "CNY 9,999.98 approved or paid on this transaction with this case is above the CNY 5,000.00 "
        "threshold: a second approver is needed."
    )
    client.force_login(refunds_desk)

    page = client.get(admin_url(second)).content.decode()
    assert "Give first approval" in page and escape(f"Four eyes: {reason}") in page
    response = act(client, admin_url(second, "transition", "approve"), reason="Voucher checks out")

    assert (
        f"{second}: first approval of CNY 4,999.99 recorded; a second person from the refunds desk "
        "or a supervisor must approve it." in messages_of(response)
    )
    second.refresh_from_db()
    assert (second.state, second.first_approved_by, second.approved_by) == (
        RefundState.UNDER_REVIEW,
        refunds_desk,
        None,
    )
    record = TransitionRecord.objects.filter(case_reference=second.reference).latest("id")
    assert (record.transition, record.data["four_eyes"]) == ("first_approval", reason)


def test_a_partial_approval_below_the_threshold_needs_one_person(client, agent, refunds_desk):
    case = large_refund(agent, refunds_desk)
    client.force_login(refunds_desk)
    response = act(client, admin_url(case, "transition", "approve"), amount="4000.00")
    assert f"{case}: approve done; it is now approved." in messages_of(response)
    case.refresh_from_db()
    assert (case.approved_amount, case.first_approved_by) == (Decimal("4000.00"), None)


# Refusals: the reason shown, nothing written.


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("400.00", "CNY 400.00 is more than the customer asked for (CNY 300.00)."),
        ("120.005", "CNY has 2 decimal places; 120.005 has more."),
        ("0", "The amount must be more than zero."),
    ],
)
def test_a_wrong_approval_amount_is_a_field_error_and_changes_nothing(
    client, agent, refunds_desk, amount, message
):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(refunds_desk)
    response = act(client, admin_url(case, "transition", "approve"), amount=amount)
    assert response.status_code == 200
    assert response.context["transition_form"].errors["amount"] == [message]
    if amount != "0":  # refused by the form's field itself, before the service is asked
        assert message in messages_of(response)
    assert unchanged(case) == before


def test_a_transition_from_the_wrong_state_is_refused_with_the_reason(client, agent, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(refunds_desk)
    url = admin_url(case, "transition", "reject")
    assert "Cannot reject this refund case: it is approved." in messages_of(client.get(url, follow=True))
    response = client.post(url, {"version": case.version, "reason": "Changed my mind"}, follow=True)
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert "Cannot reject this refund case: it is approved." in messages_of(response)
    assert unchanged(case) == before


def test_posting_a_transition_by_hand_without_permission_is_refused(client, agent, refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(agent)  # opens and cancels refunds; reviews and approves none
    page = client.get(admin_url(case)).content.decode()
    assert admin_url(case, "transition", "approve") not in page
    assert admin_url(case, "transition", "request_evidence") not in page
    assert admin_url(case, "transition", "cancel") in page

    for name, data, refusal in (
        ("approve", {"reason": "Fine"}, "You do not have permission to approve refunds."),
        (
            "request_evidence",
            {"what": "A receipt"},
            "You do not have permission to request evidence on this refund case.",
        ),
        ("reject", {"reason": "No"}, "You do not have permission to reject this refund case."),
    ):
        response = client.post(admin_url(case, "transition", name), {"version": case.version, **data})
        assert refusal in forbidden(response), name
    assert "You do not have permission to approve refunds." in forbidden(
        client.get(admin_url(case, "transition", "approve"))
    )
    response = client.post(
        admin_url(case, "step", "assign-handler"),
        {"version": case.version, "handler": refunds_desk.pk},
    )
    assert "You do not have permission to assign handler on this refund case." in forbidden(response)
    assert unchanged(case) == before


def test_a_stale_page_is_refused_and_overwrites_nothing(client, agent, refunds_desk, other_refunds_desk):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    client.force_login(refunds_desk)
    url = admin_url(case, "transition", "request_evidence")
    seen = client.get(url).context["transition_form"]["version"].value()

    # Meanwhile a colleague takes the case over.
    services.assign_handler(
        case=RefundCase.objects.get(pk=case.pk),
        actor=other_refunds_desk,
        handler=other_refunds_desk,
        reason="Taking it over",
    )
    before = unchanged(case)
    response = client.post(url, {"version": seen, "what": "A receipt"}, follow=True)
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert f"{case} was changed by someone else after you opened it; reload and try again." in messages_of(
        response
    )
    response = client.post(
        admin_url(case, "step", "add-evidence"),
        {"version": seen, "kind": "payment_voucher", "file": files.upload("voucher.png", PNG)},
        follow=True,
    )
    assert f"{case} was changed by someone else after you opened it; reload and try again." in messages_of(
        response
    )
    assert unchanged(case) == before
    case.refresh_from_db()
    assert (case.handler, case.evidence_requested) == (other_refunds_desk, "")
    assert not RefundEvidence.objects.exists()


# Steps: the handler and the evidence.


def test_the_desk_assigns_a_handler(client, agent, refunds_desk, other_refunds_desk):
    case = open_refund(agent)
    client.force_login(refunds_desk)
    form = client.get(admin_url(case, "step", "assign-handler")).context["transition_form"]
    assert set(form.fields["handler"].queryset) == {refunds_desk, other_refunds_desk}  # not the agent
    response = act(
        client,
        admin_url(case, "step", "assign-handler"),
        handler=other_refunds_desk.pk,
        reason="Tea merchants",
    )
    assert f"{case}: assign handler done." in messages_of(response)
    case.refresh_from_db()
    assert case.handler == other_refunds_desk
    record = TransitionRecord.objects.filter(case_reference=case.reference).latest("id")
    assert (record.transition, record.reason) == ("assign", "Tea merchants")


def test_evidence_added_to_a_waiting_case_resumes_the_review(client, agent, refunds_desk, media_root):
    case = refund_in_state(RefundState.AWAITING_EVIDENCE, agent=agent, desk=refunds_desk)
    client.force_login(agent)
    response = act(
        client,
        admin_url(case, "step", "add-evidence"),
        kind="payment_voucher",
        file=SimpleUploadedFile("voucher.png", PNG, content_type="image/png"),
        note="Bank statement line",
    )
    evidence = RefundEvidence.objects.get()
    assert f"{case}: added payment voucher: voucher.png; it is now under review." in messages_of(response)
    # In a folder of its own nobody can guess: the case's reference does not find it.
    assert re.fullmatch(rf"refunds/{case.reference}/[0-9a-f]{{24}}/voucher\.png", evidence.file.name)
    assert evidence.file.read() == PNG
    assert evidence.uploaded_by == agent
    assert evidence.file.url in response.content.decode()  # the inline links it
    case.refresh_from_db()
    assert case.state == RefundState.UNDER_REVIEW and not case.sla_clock.is_paused


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "voucher.exe",
            b"MZ\x90\x00" + bytes(60),
            "'voucher.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        ("voucher.png", b"MZ\x90\x00" + bytes(60), "'voucher.png' is not really a PNG file."),
        ("voucher.png", PNG + bytes(2048), "'voucher.png' is larger than the 1 KB limit."),
    ],
)
def test_a_bad_evidence_file_is_a_field_error_and_nothing_is_written(
    client, agent, refunds_desk, media_root, settings, name, content, message
):
    settings.EVIDENCE_MAX_BYTES = 1024
    case = refund_in_state(RefundState.AWAITING_EVIDENCE, agent=agent, desk=refunds_desk)
    before = unchanged(case)
    client.force_login(agent)
    response = act(
        client,
        admin_url(case, "step", "add-evidence"),
        kind="proof_of_goods",
        file=files.upload(name, content),
    )
    assert response.status_code == 200  # the form again, the refusal on the file
    assert response.context["transition_form"].errors["file"] == [message]
    assert not RefundEvidence.objects.exists()
    assert unchanged(case) == before
    assert not any(media_root.iterdir())


def test_evidence_is_not_added_after_the_decision(client, agent, refunds_desk):
    case = refund_in_state(RefundState.APPROVED, agent=agent, desk=refunds_desk)
    client.force_login(agent)
    assert admin_url(case, "step", "add-evidence") not in client.get(admin_url(case)).content.decode()
    response = client.post(
        admin_url(case, "step", "add-evidence"),
        {"version": case.version, "kind": "other", "file": files.upload("late.png", PNG)},
        follow=True,
    )
    assert f"Evidence is added before the decision; {case} is approved." in messages_of(response)
    assert not RefundEvidence.objects.exists()


# From a complaint.


def test_a_refund_complaint_opens_its_refund_case(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund")
    step = admin_url(complaint, "step", "open-refund-case")
    client.force_login(agent)
    assert step in client.get(admin_url(complaint)).content.decode()

    response = act(client, step, refund_type="failed_payment")
    case = RefundCase.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(case)
    assert (
        f"Opened {case.reference} from {complaint}: a refund of CNY 88.00 on transaction "
        f"{complaint.transaction_reference}; it is now requested."
    ) in messages_of(response)
    assert (case.complaint, case.refund_type, case.requested_amount, case.reason) == (
        complaint,
        "failed_payment",
        Decimal("88.00"),
        complaint.description,
    )
    assert case.transaction.paid_at == complaint.transaction_at
    assert admin_url(case) in client.get(admin_url(complaint)).content.decode()


def test_a_complaint_without_its_payment_time_asks_for_it(client, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund", transaction_at=None)
    step = admin_url(complaint, "step", "open-refund-case")
    client.force_login(agent)
    response = act(client, step, refund_type="not_received", requested_amount="50.00")
    assert response.context["transition_form"].errors["paid_at"] == ["Give when the customer paid."]
    assert not RefundCase.objects.exists() and not PaymentTransaction.objects.exists()

    paid_at = timezone.localtime() - dt.timedelta(days=1)
    response = act(
        client,
        step,
        refund_type="not_received",
        requested_amount="50.00",
        paid_at=f"{paid_at:%Y-%m-%d %H:%M}",
        reason="Half the order never came",
    )
    case = RefundCase.objects.get()
    assert (case.requested_amount, case.reason) == (Decimal("50.00"), "Half the order never came")


def test_only_an_open_refund_complaint_offers_a_refund_case(client, agent):
    other = complaint_in_state(State.IN_PROGRESS, agent=agent)  # a failed transaction
    resolved = complaint_in_state(State.RESOLVED, agent=agent, category="refund")
    client.force_login(agent)
    for complaint in (other, resolved):
        assert "open-refund-case" not in client.get(admin_url(complaint)).content.decode()
    response = client.post(
        admin_url(other, "step", "open-refund-case"), {"refund_type": "other"}, follow=True
    )
    assert response.redirect_chain[-1][0] == admin_url(other)
    assert "Only a complaint about a refund not processed opens a refund case." in messages_of(response)
    assert not RefundCase.objects.exists()


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
