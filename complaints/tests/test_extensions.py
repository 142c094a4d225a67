"""Extensions of a complaint's deadline as steps (issue 17, item 2): asked for with a reason,
approved by a second person where the regime's tier says so, refused without the
provisional credit Reg E asks for; granting moves the clock and tells the customer in
writing, with the reason and the new deadline.

The regime is recorded on the complaint and its clock here as registration records it
once the clocks follow the regimes (``under``); everything else goes through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import holidays
import pytest
from django.utils import timezone

from casework.access import roles
from casework.core.errors import ConcurrentChange, InvalidInput, PermissionRefused, TransitionRefused
from casework.models import (
    CustomerMessage,
    ExtensionRequest,
    ExtensionState,
    Notification,
    TransitionRecord,
)
from casework.sla.regimes import deployment_regime, regime_by_code
from casework.tests.users import make_user
from complaints import services
from complaints.models import Complaint, State
from complaints.services import extensions
from complaints.tests.factories import CLASSIFIED, complaint_in_state
from complaints.tests.regimes import (
    DAY_60,
    NEW_YORK,
    REASON,
    RECEIVED,
    SHANGHAI,
    fresh,
    received_complaint,
    under,
)
from refunds.models import CreditState, ProvisionalCredit, RefundType


def extension_notices(complaint: Complaint) -> list[CustomerMessage]:
    return list(CustomerMessage.objects.filter(case_reference=complaint.reference, kind="extension"))


@pytest.fixture
def lead(db):
    """A second supervisor: the complaint-handling lead who approves."""
    return make_user("sup.qian", roles.SUPERVISOR, email="qian@wallet.example")


@pytest.fixture
def pboc(db):
    regime = deployment_regime()
    assert regime.code == "cn-pboc"  # the default
    return regime


def test_under_the_pboc_default_an_extension_is_refused_without_a_reason(agent, pboc):
    complaint = received_complaint(agent, pboc)

    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason="   ")

    assert (refused.value.field, refused.value.message) == ("reason", str(extensions.REASON_NEEDED))
    assert not ExtensionRequest.objects.exists()


def test_a_pboc_extension_waits_for_approval_and_the_deadline_does_not_move(agent, supervisor, lead, pboc):
    complaint = received_complaint(agent, pboc)
    due = complaint.sla_clock.resolution_due_at

    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    complaint = fresh(complaint)
    assert request.state == ExtensionState.REQUESTED and request.rule.target == 60
    assert complaint.sla_clock.resolution_due_at == due
    assert complaint.sla_clock.extension is None and not complaint.sla_clock.is_extended
    assert complaint.holding_response == "" and extension_notices(complaint) == []
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.reason, record.data["waits"]) == ("request_extension", REASON, True)
    # The approvers are told; the one with an address by e-mail, the asker never.
    told = Notification.objects.filter(kind="extension_approval")
    assert [notice.recipient for notice in told] == ["qian@wallet.example"]
    assert REASON in told[0].body and complaint.reference in told[0].subject
    # One open request at a time.
    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason="Another reason.")
    assert refused.value.field == "reason" and "waiting for a decision" in refused.value.message


def test_the_asker_may_not_approve_their_own_extension(supervisor, pboc, agent):
    complaint = received_complaint(agent, pboc)
    request = services.request_extension(complaint=complaint, actor=supervisor, reason=REASON)

    with pytest.raises(PermissionRefused, match="someone else must approve"):
        services.approve_extension(request=request, actor=supervisor)

    request.refresh_from_db()
    assert request.state == ExtensionState.REQUESTED
    assert fresh(complaint).sla_clock.extension is None


def test_an_agent_without_the_approval_permission_may_not_approve(agent, other_agent, pboc):
    complaint = received_complaint(agent, pboc)
    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    with pytest.raises(PermissionRefused):
        services.approve_extension(request=request, actor=other_agent)


def test_a_supervisors_approval_moves_the_deadline_to_day_60_and_tells_the_customer_why(
    agent, supervisor, pboc
):
    complaint = received_complaint(agent, pboc)
    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    services.approve_extension(request=request, actor=supervisor, note="Complex: the scheme's trace.")

    complaint = fresh(complaint)
    request.refresh_from_db()
    assert complaint.sla_clock.resolution_due_at == DAY_60
    assert complaint.sla_clock.extension == request.rule and complaint.sla_clock.is_extended
    assert (request.state, request.decided_by, request.extended_due_at) == (
        ExtensionState.APPROVED,
        supervisor,
        DAY_60,
    )
    assert complaint.holding_response == REASON and complaint.holding_response_at is not None
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.actor, record.reason) == ("approve_extension", supervisor, REASON)
    assert (record.data["regime"], record.data["target"], record.data["unit"]) == (
        "cn-pboc",
        60,
        "civil_days",
    )
    [notice] = extension_notices(complaint)
    assert REASON in notice.body_text
    assert "2026年10月8日" in notice.body_text or "8 October 2026" in notice.body_text
    assert notice.notification.status in (Notification.Status.PENDING, Notification.Status.SENT)
    # PBOC allows one extension: no further one is asked for.
    assert extensions.extension_refusal(complaint) == f"{pboc} allows no further extension of this complaint."


def test_of_two_approvals_racing_one_wins_and_the_other_is_refused(agent, supervisor, lead, pboc):
    complaint = received_complaint(agent, pboc)
    services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    # Both approvers opened the request before either decided.
    first, second = ExtensionRequest.objects.get(), ExtensionRequest.objects.get()

    services.approve_extension(request=first, actor=supervisor)
    with pytest.raises(ConcurrentChange):
        services.approve_extension(request=second, actor=lead)

    stored = ExtensionRequest.objects.get()
    assert (stored.state, stored.decided_by) == (ExtensionState.APPROVED, supervisor)
    assert TransitionRecord.objects.filter(transition="approve_extension").count() == 1
    assert len(extension_notices(complaint)) == 1
    # Read again, the request is decided: refused as such.
    with pytest.raises(TransitionRefused, match="already granted"):
        services.approve_extension(request=stored, actor=lead)


def test_a_refusal_says_why_and_leaves_the_deadline(agent, supervisor, pboc):
    complaint = received_complaint(agent, pboc)
    due = complaint.sla_clock.resolution_due_at
    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    with pytest.raises(InvalidInput) as refused:
        services.refuse_extension(request=request, actor=supervisor, reason="")
    services.refuse_extension(request=request, actor=supervisor, reason="Not complex: answer it now.")

    assert refused.value.field == "reason"
    request.refresh_from_db()
    assert (request.state, request.decision_note) == (ExtensionState.REFUSED, "Not complex: answer it now.")
    assert fresh(complaint).sla_clock.resolution_due_at == due
    assert extension_notices(complaint) == []
    # Refused, the complaint may ask again.
    assert extensions.extension_refusal(fresh(complaint)) is None


def test_only_the_asker_withdraws_a_waiting_request(agent, other_agent, pboc):
    complaint = received_complaint(agent, pboc)
    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    with pytest.raises(PermissionRefused):
        services.withdraw_extension(request=request, actor=other_agent)
    services.withdraw_extension(request=request, actor=agent)

    request.refresh_from_db()
    assert request.state == ExtensionState.WITHDRAWN
    assert TransitionRecord.objects.latest("id").transition == "withdraw_extension"


def test_an_ended_complaints_request_is_not_approved(agent, supervisor, pboc):
    complaint = received_complaint(agent, pboc)
    request = services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    services.resolve_complaint(
        complaint=fresh(complaint), actor=agent, code="corrected", summary="Corrected.", **CLASSIFIED
    )

    with pytest.raises(TransitionRefused, match="no longer runs"):
        services.approve_extension(request=ExtensionRequest.objects.get(pk=request.pk), actor=supervisor)


# Reg E: 45 days only with the amount provisionally credited within 10 business days.


def reg_e_complaint(agent):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        category="refund",
        received_at=dt.datetime(2026, 8, 3, 10, 0, tzinfo=NEW_YORK),
        transaction_at=dt.datetime(2026, 8, 2, 10, 0, tzinfo=NEW_YORK),
        currency="USD",
    )
    return under(complaint, regime_by_code("us-reg-e"))


def credit(complaint, agent, *, credited_at):
    case = services_refunds().open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type=RefundType.NOT_RECEIVED
    )
    return ProvisionalCredit.objects.create(
        refund_case=case,
        amount=Decimal("88.00"),
        currency="USD",
        due_at=credited_at,
        state=CreditState.CREDITED,
        credited_at=credited_at,
        credited_by=agent,
        processor_reference="PSP-20260814-1",
    )


def services_refunds():
    from refunds import services as refund_services

    return refund_services


# 10 business days from Monday 3 August 2026 on the US calendar: Monday 17 August, 17:00.
REG_E_CREDIT_BY = dt.datetime(2026, 8, 17, 17, 0, tzinfo=NEW_YORK)


def test_reg_e_45_days_are_refused_without_a_provisional_credit(agent):
    complaint = reg_e_complaint(agent)
    due = complaint.sla_clock.resolution_due_at

    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason="The merchant has not answered.")

    assert refused.value.field == "reason"
    assert "provisionally credited by 2026-08-1" in refused.value.message
    assert extensions.credit_deadline(complaint, extensions.next_tier(complaint)) == REG_E_CREDIT_BY
    assert fresh(complaint).sla_clock.resolution_due_at == due


def test_reg_e_45_days_are_refused_with_a_credit_made_too_late(agent):
    complaint = reg_e_complaint(agent)
    credit(complaint, agent, credited_at=REG_E_CREDIT_BY + dt.timedelta(minutes=1))

    with pytest.raises(InvalidInput, match="after 2026-08-18 05:00: the longer limit needs it made in time"):
        services.request_extension(complaint=complaint, actor=agent, reason="The merchant has not answered.")


def test_reg_e_45_days_open_at_once_with_the_credit_made_in_time(agent):
    complaint = reg_e_complaint(agent)
    credit(complaint, agent, credited_at=REG_E_CREDIT_BY - dt.timedelta(days=3))

    request = services.request_extension(
        complaint=complaint, actor=agent, reason="The merchant has not answered."
    )

    complaint = fresh(complaint)
    assert request.state == ExtensionState.APPROVED and request.rule.target == 45
    assert complaint.sla_clock.resolution_due_at == complaint.sla_clock.started_at + dt.timedelta(days=45)
    assert len(extension_notices(complaint)) == 1


# PSD2 and NFRA: tiers without approval go in one step.


def business_days_after(start: dt.datetime, days: int) -> dt.datetime:
    """Close of business on the ``days``-th Chinese working day after the day of ``start``."""
    working = holidays.China(years=[2026, 2027])
    day, counted = start.date(), 0
    while counted < days:
        day += dt.timedelta(days=1)
        counted += working.is_working_day(day)
    return dt.datetime.combine(day, dt.time(18, 0), tzinfo=SHANGHAI)


def test_a_psd2_holding_reply_extends_at_once_to_35_business_days(agent):
    complaint = received_complaint(agent, regime_by_code("eu-psd2"))

    services.send_holding_response(complaint=complaint, actor=agent, holding_response=REASON)

    complaint = fresh(complaint)
    assert complaint.sla_clock.resolution_due_at == business_days_after(RECEIVED, 35)
    assert complaint.holding_response == REASON
    assert TransitionRecord.objects.latest("id").transition == "send_holding_response"
    assert ExtensionRequest.objects.get().state == ExtensionState.APPROVED
    assert len(extension_notices(complaint)) == 1


def test_nfra_tier_one_needs_no_approval_and_tier_two_does(agent, supervisor):
    nfra = regime_by_code("cn-nfra")
    complaint = received_complaint(agent, nfra)

    first = services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    complaint = fresh(complaint)
    # Day 30 from 3 August 2026 is Wednesday 2 September, a working day.
    assert first.state == ExtensionState.APPROVED
    assert complaint.sla_clock.resolution_due_at == dt.datetime(2026, 9, 2, 18, 0, tzinfo=SHANGHAI)

    second = services.request_extension(complaint=complaint, actor=agent, reason="Still with the insurer.")
    assert (second.state, second.rule.tier) == (ExtensionState.REQUESTED, 2)
    assert fresh(complaint).sla_clock.resolution_due_at == dt.datetime(2026, 9, 2, 18, 0, tzinfo=SHANGHAI)

    services.approve_extension(request=second, actor=supervisor)
    complaint = fresh(complaint)
    assert complaint.sla_clock.resolution_due_at == DAY_60
    assert len(extension_notices(complaint)) == 2
    with pytest.raises(InvalidInput, match="allows no further extension"):
        services.request_extension(complaint=complaint, actor=agent, reason="More.")


def test_cfpb_allows_no_extension_and_says_so_naming_the_regime(agent):
    cfpb = regime_by_code("us-cfpb")
    complaint = received_complaint(agent, cfpb)

    with pytest.raises(InvalidInput) as refused:
        services.request_extension(complaint=complaint, actor=agent, reason=REASON)

    assert (refused.value.field, refused.value.message) == (
        "reason",
        f"{cfpb} allows no extension of this complaint.",
    )


def test_a_complaint_under_no_regime_keeps_the_policys_one_holding_response(agent):
    # A complaint registered before regimes were recorded: none on it or its clock.
    complaint = under(complaint_in_state(State.IN_PROGRESS, agent=agent), None)
    due = complaint.sla_clock.resolution_due_at

    services.send_holding_response(complaint=complaint, actor=agent, holding_response=REASON)

    complaint = fresh(complaint)
    assert complaint.sla_clock.is_extended and complaint.sla_clock.resolution_due_at > due
    with pytest.raises(InvalidInput, match="already sent"):
        services.request_extension(complaint=complaint, actor=agent, reason=REASON)
    assert timezone.now() < complaint.sla_clock.resolution_due_at
