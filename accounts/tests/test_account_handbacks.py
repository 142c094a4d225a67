"""An unlock executed on a request opened from a complaint is handed back to the complaint's
holder (nobody holds a request): a row on My work and one e-mail."""

from __future__ import annotations

from accounts import services
from accounts.models import LockReason, RequestKind
from accounts.tests.factories import wallet_account
from casework.models import Handback, HandbackKind, Notification
from casework.workspace import handbacks, queues
from complaints import services as complaint_services
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state


def _unlock_from_complaint(agent, reviewer, state=ComplaintState.ACCEPTED):
    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS)
    complaint = complaint_in_state(
        state, agent=agent, category="account_locked", account_number=account.account_number
    )
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    return services.approve_request(request=request, actor=reviewer)


def test_an_executed_unlock_is_handed_back_to_the_complaints_holder(agent, supervisor):
    agent.email = "wang.fang@wallet.example"
    agent.save(update_fields=["email"])
    request = _unlock_from_complaint(agent, supervisor)

    services.execute_request(request=request, actor=supervisor)

    [handback] = Handback.objects.all()
    assert (handback.case, handback.holder, handback.kind, handback.source_reference) == (
        request.complaint,
        agent,
        HandbackKind.UNLOCK_EXECUTED,
        request.reference,
    )
    [notice] = Notification.objects.filter(kind=handbacks.NOTICE_KIND)
    assert notice.recipient == agent.email
    assert f"Unlock executed on complaint {request.complaint.reference}." in notice.body
    assert f"It happened on account request {request.reference}, opened from it." in notice.body


def test_a_complaint_that_could_not_follow_waits_on_my_work(agent, supervisor):
    request = _unlock_from_complaint(agent, supervisor, ComplaintState.IN_PROGRESS)
    complaint = request.complaint
    complaint_services.wait_for_customer(complaint=complaint, actor=agent, reason="Asked for the ID card")

    services.execute_request(request=request, actor=supervisor)

    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.AWAITING_CUSTOMER  # it could not resolve: still the agent's
    assert queues.counts(agent).handed_back == 1
    [row] = [row for row in queues.my_cases(agent) if row.case.pk == complaint.pk]
    assert row.handed_back == "Unlock executed"


def test_an_unlock_without_a_complaint_hands_nothing_back(agent, supervisor):
    account = wallet_account(lock_reason=LockReason.WRONG_PASSWORDS)
    request = services.open_account_request(actor=agent, account_number=account.account_number)
    services.verify_identity(request=request, actor=agent, method="sms_code")
    services.add_evidence(request=request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=request, actor=agent)
    services.approve_request(request=request, actor=supervisor)

    services.execute_request(request=request, actor=supervisor)

    assert (request.kind, request.complaint) == (RequestKind.UNLOCK, None)
    assert not Handback.objects.exists()
