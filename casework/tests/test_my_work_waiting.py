"""My work's lists of what waits on someone other than the holder: complaints escalated to
the user's team (the technical team, the complaints department), and cases awaiting a
decision the user may take (account requests for reviewers and risk officers, refunds'
second approvals), never one the user made (four eyes)."""

from __future__ import annotations

from django.urls import reverse

from accounts.models import LockReason, RequestState
from accounts.services import add_evidence, open_account_request, submit_for_review, verify_identity
from accounts.tests.factories import request_in_state, wallet_account
from casework.access import roles
from casework.tests.users import make_user
from casework.workspace import queues
from complaints import services as complaints
from complaints.models import State
from complaints.tests.factories import complaint_in_state
from refunds import services as refunds
from refunds.models import RefundState
from refunds.tests.factories import large, refund_in_state

MY_WORK = reverse("admin-my-work")


def _cases(rows) -> list:
    return [row.case for row in rows]


def test_an_escalated_complaint_waits_on_the_team_it_went_to_due_first(
    agent, technician, complaints_officer, technical_team
):
    later = complaint_in_state(State.ESCALATED, agent=agent, team=technical_team)
    sooner = complaint_in_state(State.ESCALATED, agent=agent, team=technical_team)
    # Accepted, it was answered: the resolution is its next deadline.
    sooner.sla_clock.resolution_due_at = sooner.sla_clock.started_at.replace(year=2020)
    sooner.sla_clock.save()
    complaint_in_state(State.IN_PROGRESS, agent=agent)  # not escalated: the agent's alone

    assert _cases(queues.escalated_to_my_team(technician)) == [sooner, later]
    assert queues.escalated_to_my_team(complaints_officer) == []  # another team's
    counts = queues.counts(technician)
    assert (counts.waiting_on_me, counts.breached) == (2, 1)
    # The agent still holds them, but they wait on the team's findings, not on the agent.
    assert len(queues.my_cases(agent)) == 3
    assert queues.counts(agent).waiting_on_me == 1


def test_agents_answer_no_escalations_and_the_complaints_department_does(
    agent, complaints_officer, complaints_department
):
    escalated = complaint_in_state(State.ESCALATED, agent=agent, team=complaints_department)

    assert queues.escalation_kinds(agent) == ()
    assert queues.escalated_to_my_team(agent) == []
    assert _cases(queues.escalated_to_my_team(complaints_officer)) == [escalated]
    assert queues.counts(complaints_officer).waiting_on_me == 1


def test_returned_findings_take_the_complaint_off_the_teams_list(agent, technician):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)

    complaints.return_findings(complaint=complaint, actor=technician, findings="Duplicate debit; reversed")

    assert queues.escalated_to_my_team(technician) == []
    assert queues.counts(technician).waiting_on_me == 0
    assert queues.counts(agent).waiting_on_me == 1  # back with the agent


def test_an_account_request_pending_review_awaits_a_reviewer_who_made_none_of_it(
    agent, supervisor, risk_officer
):
    by_the_agent = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    by_the_supervisor = request_in_state(RequestState.PENDING_REVIEW, agent=supervisor, reviewer=risk_officer)
    request_in_state(RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor)  # not yet

    assert _cases(queues.awaiting_my_decision(risk_officer)) == [by_the_agent, by_the_supervisor]
    # Four eyes: the supervisor opened, verified and submitted the second one.
    assert _cases(queues.awaiting_my_decision(supervisor)) == [by_the_agent]
    assert queues.counts(risk_officer).waiting_on_me == 2
    assert queues.decision_kinds(agent) == ()  # agents submit, they do not approve


def test_whoever_checked_the_proof_or_verified_the_caller_never_sees_it_to_decide(
    agent, supervisor, risk_officer
):
    request = open_account_request(actor=agent, account_number=wallet_account().account_number)
    request = verify_identity(request=request, actor=supervisor, method="callback")
    add_evidence(request=request, actor=agent, method="sms_code", outcome="passed", note="Read back.")
    submit_for_review(request=request, actor=agent)
    other = make_user("sup.li", roles.SUPERVISOR)
    checked = open_account_request(actor=agent, account_number=wallet_account().account_number)
    checked = verify_identity(request=checked, actor=agent, method="callback")
    add_evidence(request=checked, actor=other, method="sms_code", outcome="passed", note="Read back.")
    submit_for_review(request=checked, actor=agent)

    assert _cases(queues.awaiting_my_decision(supervisor)) == [checked]
    assert _cases(queues.awaiting_my_decision(other)) == [request]
    assert len(queues.awaiting_my_decision(risk_officer)) == 2


def test_risk_unlocks_await_only_the_risk_officer(agent, supervisor, risk_officer):
    suspicious = wallet_account(lock_reason=LockReason.SUSPICIOUS_ACTIVITY)
    risky = request_in_state(
        RequestState.PENDING_REVIEW, agent=agent, reviewer=risk_officer, account=suspicious
    )

    assert _cases(queues.awaiting_my_decision(risk_officer)) == [risky]
    assert queues.awaiting_my_decision(supervisor) == []
    assert queues.counts(supervisor).waiting_on_me == 0


def test_a_large_refunds_second_approval_awaits_someone_other_than_its_first_approver(agent):
    first = make_user("refunds.zhou", roles.REFUNDS_DESK)
    second = make_user("refunds.qian", roles.REFUNDS_DESK)
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=first, **large())
    refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=first)  # no approval yet: the handler's
    assert queues.awaiting_my_decision(second) == []

    case = refunds.approve_refund(case=case, actor=first)

    assert case.state == RefundState.UNDER_REVIEW and case.first_approved_by == first
    assert _cases(queues.awaiting_my_decision(second)) == [case]
    assert queues.awaiting_my_decision(first) == []  # four eyes
    # The first approver still holds it, but it waits on the second approver's decision.
    assert len(queues.my_cases(first)) == 2
    assert queues.counts(first).waiting_on_me == 1
    assert queues.counts(second).waiting_on_me == 1


def test_risk_officers_have_my_work_with_only_their_decisions(client, agent, supervisor, risk_officer):
    client.force_login(risk_officer)
    page = client.get(MY_WORK).content.decode()
    assert "Awaiting my decision" in page and "Nothing awaits your decision." in page
    assert "My open cases" not in page and "Take next" not in page and "Escalated to my team" not in page

    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    page = client.get(MY_WORK).content.decode()
    assert request.reference in page
    assert "Nothing awaits your decision." not in page
    assert 'class="case-state case-state--' in page
    assert "****" in page  # the account number, masked as the list masks it
    assert "Forgot my password" in page  # what the customer says
    landing = client.get(reverse("admin:index")).content.decode()
    assert 'id="my-work-heading"' in landing


def test_technicians_see_escalations_first_and_agents_never_an_escalated_list(client, agent, technician):
    complaint = complaint_in_state(State.ESCALATED, agent=agent)

    client.force_login(technician)
    page = client.get(MY_WORK).content.decode()
    assert complaint.reference in page
    assert page.index("Escalated to my team") < page.index("</section>")
    assert "Take next" not in page and "My open cases" not in page
    assert "Awaiting my decision" not in page
    assert "Li Wei" in page and "+86 138 **** " in page  # the customer, the phone masked
    assert complaint.customer_phone[-8:] not in page

    client.force_login(agent)
    page = client.get(MY_WORK).content.decode()
    assert "Escalated to my team" not in page and "Awaiting my decision" not in page
    assert "My open cases" in page and complaint.reference in page
