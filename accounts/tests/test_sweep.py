"""The SLA sweep and account requests: stale requests expire, reviewers are reminded once.

Each test passes the sweep an explicit ``now``; requests are opened at real time through
the services.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import services
from accounts.models import AccountRequest, LockReason, RequestState
from accounts.tests.factories import request_in_state, wallet_account
from casework.cases import sweep
from casework.models import Notification, SlaClock, Team, TransitionRecord
from casework.privacy.masking import mask_account_number
from casework.trail.audit import SYSTEM_ACTOR_LABEL
from complaints.models import ComplaintNote
from complaints.models import State as ComplaintState
from complaints.tests.factories import complaint_in_state

SUPERVISORS_MAILBOX = "supervisors@wallet.example"
FRONTLINE_MAILBOX = "frontline@wallet.example"
RISK_MAILBOX = "risk@wallet.example"


def clock_of(request: AccountRequest) -> SlaClock:
    return SlaClock.objects.get(pk=request.sla_clock_id)


def stored(request: AccountRequest) -> AccountRequest:
    return AccountRequest.objects.get(pk=request.pk)


def past_expiry(request: AccountRequest, days: int, minutes: int = 1) -> dt.datetime:
    return request.created_at + dt.timedelta(days=days, minutes=minutes)


def test_the_reminder_desks_are_the_ones_the_migrations_made(db):
    assert Team.objects.get(code="supervisors").mailbox == SUPERVISORS_MAILBOX
    assert Team.objects.get(code="risk").mailbox == RISK_MAILBOX


# Expiry.


@pytest.mark.parametrize("state", [RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED])
def test_a_request_left_without_evidence_expires_and_its_clock_stops(state, settings, agent, supervisor):
    settings.ACCOUNT_REQUEST_EXPIRY_DAYS = 7
    request = request_in_state(state, agent=agent, reviewer=supervisor)

    result = sweep.run(past_expiry(request, days=7))

    assert result["accounts.expired"] == 1
    assert stored(request).state == RequestState.EXPIRED
    record = TransitionRecord.objects.filter(case_reference=request.reference).latest("id")
    assert (record.transition, record.source_state, record.target_state) == ("expire", state, "expired")
    assert record.actor is None and record.actor_label == SYSTEM_ACTOR_LABEL == "SLA clock"
    assert record.reason == "No passed authentication within 7 days"
    assert clock_of(request).stopped_at == past_expiry(request, days=7)


@pytest.mark.parametrize("state", [RequestState.SUBMITTED, RequestState.IDENTITY_VERIFIED])
def test_a_request_younger_than_the_expiry_days_is_left_alone(state, settings, agent, supervisor):
    settings.ACCOUNT_REQUEST_EXPIRY_DAYS = 7
    request = request_in_state(state, agent=agent, reviewer=supervisor)

    result = sweep.run(past_expiry(request, days=7, minutes=-1))

    assert result["accounts.expired"] == 0
    assert stored(request).state == state
    assert clock_of(request).stopped_at is None


def test_the_expiry_days_come_from_the_settings(settings, agent, supervisor):
    settings.ACCOUNT_REQUEST_EXPIRY_DAYS = 2
    request = request_in_state(RequestState.SUBMITTED, agent=agent, reviewer=supervisor)

    sweep.run(past_expiry(request, days=2))

    assert stored(request).state == RequestState.EXPIRED
    assert TransitionRecord.objects.latest("id").reason == "No passed authentication within 2 days"


@pytest.mark.parametrize(
    "state",
    [
        RequestState.PENDING_REVIEW,
        RequestState.APPROVED,
        RequestState.EXECUTED,
        RequestState.REJECTED,
        RequestState.CANCELLED,
    ],
)
def test_requests_past_collecting_evidence_do_not_expire(state, settings, agent, supervisor):
    request = request_in_state(state, agent=agent, reviewer=supervisor)
    records = TransitionRecord.objects.count()

    result = sweep.run(past_expiry(request, days=settings.ACCOUNT_REQUEST_EXPIRY_DAYS + 30))

    assert result["accounts.expired"] == 0
    assert stored(request).state == state
    assert not TransitionRecord.objects.filter(transition="expire").exists()
    assert TransitionRecord.objects.count() == records


def test_expiring_twice_expires_once(settings, agent, supervisor):
    request = request_in_state(RequestState.SUBMITTED, agent=agent, reviewer=supervisor)
    later = past_expiry(request, days=settings.ACCOUNT_REQUEST_EXPIRY_DAYS)

    first, second = sweep.run(later), sweep.run(later + dt.timedelta(minutes=1))

    assert (first["accounts.expired"], second["accounts.expired"]) == (1, 0)
    assert TransitionRecord.objects.filter(case_reference=request.reference, transition="expire").count() == 1


def test_an_expired_request_from_a_complaint_leaves_the_complaint_a_note(settings, agent):
    account = wallet_account()
    complaint = complaint_in_state(
        ComplaintState.ACCEPTED, agent=agent, category="account_locked", account_number=account.account_number
    )
    request = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)

    sweep.run(past_expiry(request, days=settings.ACCOUNT_REQUEST_EXPIRY_DAYS))

    assert stored(request).state == RequestState.EXPIRED
    [note] = ComplaintNote.objects.filter(complaint=complaint)
    assert request.reference in note.body and "expired" in note.body
    assert note.author == agent


# Expiry is for requests left without passed authentication (expire_stale_requests in
# accounts/services.py); one whose proof passed waits on staff, and its SLA clock chases
# it instead.
def test_a_request_whose_authentication_passed_does_not_expire_as_unauthenticated(
    settings, agent, supervisor
):
    request = request_in_state(
        RequestState.IDENTITY_VERIFIED, agent=agent, reviewer=supervisor, authenticated=True
    )

    sweep.run(past_expiry(request, days=settings.ACCOUNT_REQUEST_EXPIRY_DAYS))

    expiries = TransitionRecord.objects.filter(case_reference=request.reference, transition="expire")
    assert not expiries.filter(reason__startswith="No passed authentication").exists()


# Reminders.


def test_a_request_waiting_for_review_reminds_the_supervisors_once(agent, supervisor):
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    now = clock_of(request).resolution_warn_at + dt.timedelta(minutes=1)

    first = sweep.run(now)
    second = sweep.run(now + dt.timedelta(minutes=1))

    assert (first["accounts.due_soon"], second["accounts.due_soon"]) == (1, 0)
    [notice] = Notification.objects.filter(kind="due_soon")
    assert notice.recipient == SUPERVISORS_MAILBOX
    assert notice.case_reference == request.reference
    assert notice.subject.startswith(f"[{request.reference}] due ")
    assert f"Account request {request.reference} waits for review" in notice.body
    # The supervisors' mailbox reads the account masked, and opens the request to reveal it.
    assert request.account.account_number not in notice.body
    assert mask_account_number(request.account.account_number) in notice.body
    assert f"/admin/accounts/accountrequest/{request.pk}/change/" in notice.body
    assert "risk officer" not in notice.body
    assert clock_of(request).due_soon_notified_at == now


@pytest.mark.parametrize("lock_reason", [LockReason.SUSPICIOUS_ACTIVITY, LockReason.RISK_CONTROL])
def test_an_unlock_for_the_risk_officer_reminds_the_risk_desk(lock_reason, agent, risk_officer):
    account = wallet_account(lock_reason=lock_reason)
    request = request_in_state(
        RequestState.PENDING_REVIEW, agent=agent, reviewer=risk_officer, account=account
    )
    now = clock_of(request).resolution_warn_at + dt.timedelta(minutes=1)

    sweep.run(now)
    sweep.run(now + dt.timedelta(minutes=5))

    [notice] = Notification.objects.filter(kind="due_soon")
    assert notice.recipient == RISK_MAILBOX
    assert "A risk officer must approve this unlock." in notice.body


def test_no_reminder_before_the_warn_time(agent, supervisor):
    request = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)

    result = sweep.run(clock_of(request).resolution_warn_at - dt.timedelta(minutes=1))

    assert result["accounts.due_soon"] == 0
    assert not Notification.objects.exists()


def test_an_ended_request_is_not_reminded(agent, supervisor):
    request = request_in_state(RequestState.EXECUTED, agent=agent, reviewer=supervisor)

    result = sweep.run(clock_of(request).resolution_warn_at + dt.timedelta(minutes=1))

    assert result["accounts.due_soon"] == 0
    assert not Notification.objects.filter(case_reference=request.reference).exists()


@pytest.mark.parametrize(
    ("state", "waits_for"),
    [
        (RequestState.SUBMITTED, "waits for the caller's identity check"),
        (RequestState.IDENTITY_VERIFIED, "waits for the customer's alternative authentication"),
    ],
)
def test_a_request_not_yet_with_the_reviewers_reminds_the_frontline(state, waits_for, agent, supervisor):
    request = request_in_state(state, agent=agent, reviewer=supervisor)
    now = clock_of(request).resolution_warn_at + dt.timedelta(minutes=1)

    assert sweep.run(now)["accounts.due_soon"] == 1

    [notice] = Notification.objects.filter(kind="due_soon")
    assert notice.recipient == FRONTLINE_MAILBOX
    assert f"Account request {request.reference} {waits_for}" in notice.body


def test_an_approved_request_reminds_the_reviewers_to_execute_it(agent, supervisor):
    request = request_in_state(RequestState.APPROVED, agent=agent, reviewer=supervisor)
    now = clock_of(request).resolution_warn_at + dt.timedelta(minutes=1)

    assert sweep.run(now)["accounts.due_soon"] == 1

    [notice] = Notification.objects.filter(kind="due_soon")
    assert notice.recipient == SUPERVISORS_MAILBOX
    assert f"Account request {request.reference} waits for execution" in notice.body
