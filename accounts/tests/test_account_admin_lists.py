"""The account request admin's lists and readers: the changelist with its filters, search
and a constant query count, and auditors who read requests, accounts and history and
change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountStatus, AuthenticationEvidence, LockReason, RequestKind, RequestState
from accounts.tests.admin import ACCOUNTS, ADD, CHANGELIST, open_request, verified_request, wallet_account
from casework.models import SlaClock
from casework.privacy.masking import mask_account_number
from casework.tests.admin import admin_url, forbidden, results
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.usefixtures("media_root")

# The changelist.


def test_changelist_shows_kind_state_account_risk_and_sla(client, agent):
    account_request = open_request(agent, wallet_account(lock_reason=LockReason.SUSPICIOUS_ACTIVITY))
    client.force_login(agent)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    number = account_request.account.account_number
    for shown in (account_request.reference, mask_account_number(number), "suspicious activity"):
        assert shown in content
    assert number not in content  # masked (casework.privacy.masking)
    assert "on track" in content
    assert "needs a risk officer" in content  # in the description, no longer a column of its own


def test_changelist_filters_by_state_kind_lock_reason_and_sla(client, agent):
    unlock = open_request(agent, wallet_account(lock_reason=LockReason.DEVICE_CHANGE))
    lock = open_request(
        agent, wallet_account(AccountStatus.ACTIVE), kind=RequestKind.LOCK, lock_reason="risk_control"
    )
    verified = verified_request(agent)
    SlaClock.objects.filter(pk=unlock.sla_clock_id).update(resolution_breached_at=timezone.now())
    client.force_login(agent)

    assert results(client.get(CHANGELIST, {"state": "identity_verified"})) == [verified]
    assert results(client.get(CHANGELIST, {"kind": "lock"})) == [lock]
    assert results(client.get(CHANGELIST, {"lock_reason": "device_change"})) == [unlock]
    assert results(client.get(CHANGELIST, {"sla": "breached"})) == [unlock]
    assert set(results(client.get(CHANGELIST, {"sla": "on_track"}))) == {lock, verified}


def test_changelist_searches_by_reference_account_and_complaint(client, agent):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        category="account_locked",
        account_number=wallet_account().account_number,
    )
    from_complaint = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    other = open_request(agent)
    client.force_login(agent)

    assert results(client.get(CHANGELIST, {"q": other.reference})) == [other]
    assert results(client.get(CHANGELIST, {"q": other.account.account_number})) == [other]
    assert results(client.get(CHANGELIST, {"q": complaint.reference})) == [from_complaint]


def _changelist_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    return len(queries)


def test_changelist_query_count_does_not_grow_with_the_page(client, agent):
    for _ in range(5):
        verified_request(agent)
    client.force_login(agent)
    client.get(CHANGELIST)  # warm the content-type and session caches
    with_five = _changelist_queries(client)

    for _ in range(25):
        open_request(agent)
    open_request(agent, wallet_account(lock_reason=LockReason.JUDICIAL_FREEZE, status=AccountStatus.FROZEN))
    with_thirty_one = _changelist_queries(client)

    assert with_five == with_thirty_one, (with_five, with_thirty_one)
    print(f"\naccount request changelist queries: {with_five} for 5 rows, {with_thirty_one} for 31 rows")


# Auditors.


def test_auditor_reads_requests_accounts_and_history_and_changes_nothing(client, agent, auditor):
    account_request = services.verify_identity(
        request=open_request(agent),
        actor=agent,
        method="callback",
        reason="Called back on the registered phone",
    )
    client.force_login(auditor)

    assert results(client.get(CHANGELIST)) == [account_request]
    page = client.get(admin_url(account_request))
    content = page.content.decode()
    assert page.status_code == 200
    assert "Called back on the registered phone" in content  # the timeline's reason
    assert 'name="_save"' not in content and "/transition/" not in content and "/step/" not in content
    assert client.get(admin_url(account_request, "history")).status_code == 200
    assert client.get(ACCOUNTS).status_code == 200
    history = reverse("admin:accounts_walletaccount_history", args=[account_request.account_id])
    assert client.get(history).status_code == 200

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, {"account_number": account_request.account.account_number}).status_code == 403
    response = client.post(
        admin_url(account_request, "transition", "cancel"),
        {"version": account_request.version},
    )
    assert "You do not have permission to cancel this account request." in forbidden(response)
    account_request.refresh_from_db()
    assert account_request.state == RequestState.IDENTITY_VERIFIED


def test_auditor_cannot_collect_evidence(client, agent, auditor):
    account_request = verified_request(agent)
    client.force_login(auditor)
    response = client.post(
        admin_url(account_request, "step", "collect-authentication"),
        {"version": account_request.version, "method": "sms_code", "outcome": "passed"},
    )
    assert "You do not have permission to collect authentication on this account request." in forbidden(
        response
    )
    assert not AuthenticationEvidence.objects.exists()


def test_a_closed_complaint_offers_no_unlock_request(client, agent):
    complaint = complaint_in_state(
        State.RESOLVED, agent=agent, category="account_locked", account_number=wallet_account().account_number
    )
    client.force_login(agent)
    page = client.get(reverse("admin:complaints_complaint_change", args=[complaint.pk])).content.decode()
    assert "open-unlock-request" not in page
    assert Complaint.objects.get(pk=complaint.pk).state == State.RESOLVED
