"""Opening an account request through the admin's add form: unknown accounts, a lock
without its reason and an unlock of a judicial freeze are refused with the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts import services
from accounts.models import AccountRequest, AccountStatus, LockReason, RequestState
from accounts.tests.admin import ADD, wallet_account
from casework.models import SlaClock, TransitionRecord
from casework.privacy.masking import mask_account_number
from casework.tests.admin import admin_url, messages_of
from complaints.models import State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.usefixtures("media_root")


def test_agent_opens_a_request_through_the_add_form(client, agent):
    account = wallet_account(lock_reason=LockReason.DEVICE_CHANGE)
    client.force_login(agent)
    response = client.post(
        ADD,
        {
            "account_number": account.account_number,
            "kind": "unlock",
            "customer_statement": "New phone; the app locked me out.",
            "explanation_given": "Locked because the device changed; we check it is you.",
        },
        follow=True,
    )
    account_request = AccountRequest.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(account_request)
    assert (account_request.state, account_request.lock_reason, account_request.submitted_by) == (
        RequestState.SUBMITTED,
        LockReason.DEVICE_CHANGE,
        agent,
    )
    assert (
        f"Opened {account_request}: unlock of account {mask_account_number(account.account_number)}; "
        "it is now submitted." in messages_of(response)
    )
    record = TransitionRecord.objects.get(case_reference=account_request.reference)
    assert (record.transition, record.actor, record.reason) == (
        "open",
        agent,
        "New phone; the app locked me out.",
    )


def test_an_unknown_account_is_a_field_error_and_nothing_is_saved(client, agent):
    client.force_login(agent)
    response = client.post(ADD, {"account_number": "6222000000000000", "kind": "unlock"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["account_number"] == ["There is no wallet account 6222000000000000."]
    assert not AccountRequest.objects.exists()
    assert not SlaClock.objects.exists()
    assert not TransitionRecord.objects.exists()


def test_a_lock_without_its_reason_is_a_field_error(client, agent):
    account = wallet_account(AccountStatus.ACTIVE)
    client.force_login(agent)
    response = client.post(ADD, {"account_number": account.account_number, "kind": "lock"})
    assert response.context["adminform"].form.errors["lock_reason"] == [
        "Say why the account is to be locked."
    ]
    assert not AccountRequest.objects.exists()


def test_an_unlock_of_a_judicial_freeze_is_refused_with_the_reason(client, agent):
    frozen = wallet_account(AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    client.force_login(agent)
    response = client.post(ADD, {"account_number": frozen.account_number, "kind": "unlock"}, follow=True)
    account_request = AccountRequest.objects.get()
    assert account_request.state == RequestState.REJECTED
    assert services.JUDICIAL_FREEZE_REFUSAL in messages_of(response)
    assert escape(services.JUDICIAL_FREEZE_REFUSAL) in response.content.decode()  # the timeline says it too
    frozen.refresh_from_db()
    assert (frozen.status, frozen.lock_reason) == (AccountStatus.FROZEN, LockReason.JUDICIAL_FREEZE)
    assert frozen.history.count() == 1  # never touched


def test_a_complaint_about_a_judicial_freeze_opens_no_unlock(client, agent):
    frozen = wallet_account(AccountStatus.FROZEN, lock_reason=LockReason.JUDICIAL_FREEZE)
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="account_locked", account_number=frozen.account_number
    )
    client.force_login(agent)
    response = client.post(
        reverse("admin:complaints_complaint_step", args=[complaint.pk, "open-unlock-request"]), follow=True
    )
    assert services.JUDICIAL_FREEZE_REFUSAL in messages_of(response)
    assert AccountRequest.objects.get().state == RequestState.REJECTED
    frozen.refresh_from_db()
    assert frozen.status == AccountStatus.FROZEN
