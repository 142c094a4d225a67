"""The staff door to wallet accounts and their lock/unlock requests, driven through the
test client as a logged-in user: what agents, supervisors, risk officers and auditors
see and do, and what they are refused."""

from __future__ import annotations

import itertools
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts import services
from accounts.models import (
    AccountRequest,
    AccountStatus,
    AuthenticationEvidence,
    LockReason,
    PartnerAccountLink,
    RequestKind,
    RequestState,
    WalletAccount,
)
from casework import roles
from casework.masking import mask_account_number
from casework.models import SlaClock, TransitionRecord
from casework.tests import files
from casework.tests.admin import act, admin_url, forbidden, messages_of, results
from casework.tests.api import client_for
from casework.tests.files import PNG
from casework.tests.users import make_user
from complaints.models import Complaint, ResolutionCode, State
from complaints.tests.factories import complaint_in_state

CHANGELIST = reverse("admin:accounts_accountrequest_changelist")
ADD = reverse("admin:accounts_accountrequest_add")
ACCOUNTS = reverse("admin:accounts_walletaccount_changelist")

pytestmark = pytest.mark.usefixtures("media_root")


_numbers = itertools.count(1)


def wallet_account(status: str = AccountStatus.LOCKED, **overrides) -> WalletAccount:
    """Reference data from the wallet core: written directly, locked by default."""
    locked = status != AccountStatus.ACTIVE
    values = {
        "account_number": f"62220077{next(_numbers):08d}",
        "holder_name": "Li Wei",
        "phone_masked": "138****8000",
        "status": status,
        "lock_reason": LockReason.WRONG_PASSWORDS if locked else "",
        "locked_at": timezone.now() if locked else None,
        "failed_attempts": 5 if locked else 0,
    }
    return WalletAccount.objects.create(**{**values, **overrides})


def open_request(actor, account: WalletAccount | None = None, **arguments) -> AccountRequest:
    account = account or wallet_account()
    return services.open_account_request(
        actor=actor, account_number=account.account_number, customer_statement="Locked out.", **arguments
    )


def verified_request(agent, **arguments) -> AccountRequest:
    return services.verify_identity(request=open_request(agent, **arguments), actor=agent, method="callback")


def collect(client, account_request: AccountRequest, **data):
    return act(client, admin_url(account_request, "step", "collect-authentication"), **data)


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
    assert number not in content  # masked (casework.masking)
    assert "on track" in content
    assert 'alt="True"' in content  # needs the risk officer


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


# Opening a request.


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


# The demo story: from a locked-account complaint to an unlocked account.


def test_an_unlock_from_a_complaint_through_the_admin(client, agent, supervisor):
    account = wallet_account()
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="account_locked", account_number=account.account_number
    )
    complaint_page = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    open_step = reverse("admin:complaints_complaint_step", args=[complaint.pk, "open-unlock-request"])
    client.force_login(agent)

    # The agent opens the request from the complaint; the verified identity carries over.
    assert open_step in client.get(complaint_page).content.decode()
    assert client.get(open_step).status_code == 200  # a confirmation: nothing to type
    response = client.post(open_step, follow=True)
    account_request = AccountRequest.objects.get()
    assert response.redirect_chain[-1][0] == admin_url(account_request)
    assert (
        f"Opened {account_request} to unlock account {mask_account_number(account.account_number)} "
        f"from {complaint}; "
        "it is now identity verified." in messages_of(response)
    )
    assert (account_request.complaint, account_request.state) == (complaint, RequestState.IDENTITY_VERIFIED)
    assert admin_url(account_request) in client.get(complaint_page).content.decode()

    # Two alternative authentications, the second with the ID card's photo.
    collect(client, account_request, method="sms_code", outcome="passed", note="Code read back correctly")
    photo = SimpleUploadedFile("id.png", PNG, content_type="image/png")
    response = collect(
        client, account_request, method="id_document", outcome="passed", file=photo, note="ID matches"
    )
    assert f"{account_request}: collect authentication done." in messages_of(response)
    evidence = AuthenticationEvidence.objects.get(method="id_document")
    assert re.fullmatch(rf"accounts/{account_request.reference}/[0-9a-f]{{24}}/id\.png", evidence.file.name)
    assert evidence.file.read() == PNG
    assert evidence.file.url in response.content.decode()  # the inline links the scan

    response = act(client, admin_url(account_request, "transition", "submit_for_review"))
    assert f"{account_request}: submit for review done; it is now pending review." in messages_of(response)

    # The agent may not approve; the approve button is not even offered.
    page = client.get(admin_url(account_request)).content.decode()
    assert admin_url(account_request, "transition", "approve") not in page
    account_request.refresh_from_db()
    response = client.post(
        admin_url(account_request, "transition", "approve"),
        {"version": account_request.version, "reason": "Looks fine"},
    )
    assert "You do not have permission to approve account requests." in forbidden(response)

    # A supervisor, who collected none of the proof, approves and executes.
    client.force_login(supervisor)
    act(client, admin_url(account_request, "transition", "approve"), reason="SMS and ID both passed")
    response = act(client, admin_url(account_request, "transition", "execute"))
    assert f"{account_request}: execute done; it is now executed." in messages_of(response)

    account.refresh_from_db()
    assert (account.status, account.lock_reason, account.failed_attempts) == (AccountStatus.ACTIVE, "", 0)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code) == (State.RESOLVED, ResolutionCode.UNLOCKED)

    # The request's timeline: each step, who took it and why.
    trail = list(
        TransitionRecord.objects.filter(case_reference=account_request.reference)
        .order_by("id")
        .values_list("transition", "actor_label", "reason")
    )
    assert trail == [
        ("open", "agent.wang", complaint.description),
        ("verify_identity", "agent.wang", f"Verified on complaint {complaint.reference}"),
        ("collect_authentication", "agent.wang", "Code read back correctly"),
        ("collect_authentication", "agent.wang", "ID matches"),
        ("submit_for_review", "agent.wang", ""),
        ("approve", "sup.huang", "SMS and ID both passed"),
        ("execute", "sup.huang", "unlock executed"),
    ]
    page = client.get(admin_url(account_request)).content.decode()
    for transition, actor, reason in trail:
        assert transition.replace("_", " ") in page
        assert actor in page
        assert reason in page

    # The account's history: who changed it, and which request.
    history = client.get(reverse("admin:accounts_walletaccount_history", args=[account.pk]))
    assert history.status_code == 200
    latest = account.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        supervisor,
        f"{account_request.reference}-unlock",
    )
    assert f"{account_request.reference}-unlock" in history.content.decode()


def test_a_second_unlock_from_the_same_complaint_is_refused(client, agent):
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        category="account_locked",
        account_number=wallet_account().account_number,
    )
    first = services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    client.force_login(agent)
    url = reverse("admin:complaints_complaint_step", args=[complaint.pk, "open-unlock-request"])
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:complaints_complaint_change", args=[complaint.pk])
    assert (
        f"Account {complaint.account_number} already has an open request, {first.reference}."
        in messages_of(response)
    )
    assert AccountRequest.objects.get() == first


def test_identity_is_verified_from_its_transition_form(client, agent):
    account_request = open_request(agent)
    client.force_login(agent)
    url = admin_url(account_request, "transition", "verify_identity")
    assert url in client.get(admin_url(account_request)).content.decode()
    response = act(client, url, method="security_questions", note="Answered both security questions")
    assert f"{account_request}: verify identity done; it is now identity verified." in messages_of(response)
    account_request.refresh_from_db()
    assert (account_request.identity_verified_by, account_request.identity_verification_method) == (
        agent,
        "security_questions",
    )
    record = TransitionRecord.objects.latest("id")
    assert (record.transition, record.reason) == ("verify_identity", "Answered both security questions")


def test_whoever_collected_proof_cannot_approve(client, agent, supervisor):
    account_request = verified_request(agent)
    client.force_login(supervisor)
    collect(client, account_request, method="face_check", outcome="passed")
    act(client, admin_url(account_request, "transition", "submit_for_review"))
    account_request.refresh_from_db()

    response = client.post(
        admin_url(account_request, "transition", "approve"),
        {"version": account_request.version, "reason": "Checked it myself"},
    )
    assert (
        "Four eyes: you verified the caller or collected proof on this request, "
        "so another reviewer must approve it." in (forbidden(response))
    )
    account_request.refresh_from_db()
    assert account_request.state == RequestState.PENDING_REVIEW

    client.force_login(make_user("sup.lin", roles.SUPERVISOR))
    act(client, admin_url(account_request, "transition", "approve"), reason="Face check reviewed")
    account_request.refresh_from_db()
    assert account_request.state == RequestState.APPROVED


def test_the_supervisor_who_opened_an_unlock_request_is_refused_its_approval(client, agent, supervisor):
    # Opened on the customer's behalf; an agent does the verification and the proof.
    account_request = open_request(supervisor)
    services.verify_identity(request=account_request, actor=agent, method="callback")
    services.add_evidence(request=account_request, actor=agent, method="sms_code", outcome="passed")
    services.submit_for_review(request=account_request, actor=agent)
    approve = admin_url(account_request, "transition", "approve")
    refusal = "Four eyes: you opened this request, so another reviewer must approve it."
    client.force_login(supervisor)

    assert approve not in client.get(admin_url(account_request)).content.decode()
    shown = forbidden(client.get(approve))
    assert refusal in shown and "Nothing was changed." in shown
    response = client.post(approve, {"version": account_request.version, "reason": "Mine"})
    assert refusal in forbidden(response)
    account_request.refresh_from_db()
    assert (account_request.state, account_request.approved_by) == (RequestState.PENDING_REVIEW, None)

    client.force_login(make_user("sup.lin", roles.SUPERVISOR))
    act(client, approve, reason="Callback and SMS code reviewed")
    account_request.refresh_from_db()
    assert account_request.state == RequestState.APPROVED


def test_a_risk_unlock_is_approved_by_the_risk_officer_only(client, agent, supervisor, risk_officer):
    account_request = verified_request(
        agent, account=wallet_account(lock_reason=LockReason.SUSPICIOUS_ACTIVITY)
    )
    services.add_evidence(request=account_request, actor=agent, method="face_check", outcome="passed")
    services.submit_for_review(request=account_request, actor=agent)
    client.force_login(supervisor)
    shown = client.get(admin_url(account_request, "transition", "approve"))
    assert (
        "The account was locked for suspicious activity: a risk officer must approve the unlock."
        in forbidden(shown)
    )
    response = client.post(
        admin_url(account_request, "transition", "approve"),
        {"version": account_request.version, "reason": "Fine"},
    )
    assert (
        "The account was locked for suspicious activity: a risk officer must approve the unlock."
        in forbidden(response)
    )

    client.force_login(risk_officer)
    act(client, admin_url(account_request, "transition", "approve"), reason="Logins were the customer's own")
    account_request.refresh_from_db()
    assert (account_request.state, account_request.approved_by) == (RequestState.APPROVED, risk_officer)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "id.exe",
            b"MZ\x90\x00" + bytes(60),
            "'id.exe' is not an accepted evidence file; send one of: pdf, jpg, jpeg, png.",
        ),
        ("id.png", b"MZ\x90\x00" + bytes(60), "'id.png' is not really a PNG file."),
    ],
)
def test_a_wrong_evidence_file_is_a_field_error_and_nothing_is_written(
    client, agent, media_root, name, content, message
):
    account_request = verified_request(agent)
    client.force_login(agent)
    upload = files.upload(name, content)
    response = collect(client, account_request, method="id_document", outcome="passed", file=upload)
    assert response.status_code == 200  # the form again, the refusal on the file
    assert response.context["transition_form"].errors["file"] == [message]
    assert not AuthenticationEvidence.objects.exists()
    assert not TransitionRecord.objects.filter(transition="collect_authentication").exists()
    assert not any(media_root.iterdir())


def test_an_id_document_without_its_scan_is_refused(client, agent):
    account_request = verified_request(agent)
    client.force_login(agent)
    response = collect(client, account_request, method="id_document", outcome="passed")
    (error,) = response.context["transition_form"].errors["file"]
    assert error.endswith("ID document needs its scan or photo.")
    assert not AuthenticationEvidence.objects.exists()


def test_a_rejection_needs_its_reason_and_ends_the_clock(client, agent, supervisor):
    account_request = verified_request(agent)
    client.force_login(supervisor)
    url = admin_url(account_request, "transition", "reject")
    assert act(client, url).context["transition_form"].errors["reason"] == ["This field is required."]
    act(client, url, reason="The caller could not confirm recent transactions.")
    account_request.refresh_from_db()
    assert account_request.state == RequestState.REJECTED
    assert account_request.sla_clock.stopped_at is not None


# Permission: the service decides, at every door.


def test_posting_a_transition_by_hand_without_permission_is_refused(client, agent, technician):
    account_request = open_request(agent)
    client.force_login(technician)  # reads requests, moves none
    page = client.get(admin_url(account_request)).content.decode()
    assert "/transition/" not in page and "/step/" not in page

    url = admin_url(account_request, "transition", "verify_identity")
    shown = client.get(url)
    assert "You do not have permission to verify identity on this account request." in forbidden(shown)
    response = client.post(url, {"version": account_request.version, "method": "sms_code"})
    assert "You do not have permission to verify identity on this account request." in forbidden(response)
    account_request.refresh_from_db()
    assert account_request.state == RequestState.SUBMITTED
    assert not TransitionRecord.objects.filter(transition="verify_identity").exists()


def test_nobody_edits_or_deletes_a_request_in_the_admin(client, agent, supervisor):
    account_request = open_request(agent)
    client.force_login(supervisor)
    data = {"version": account_request.version, "_fsm_transition_to": "verify_identity"}
    assert client.post(admin_url(account_request), data).status_code == 403
    assert client.post(admin_url(account_request, "delete"), {"post": "yes"}).status_code == 403
    account_request.refresh_from_db()
    assert account_request.state == RequestState.SUBMITTED


def test_accounts_are_read_only_in_the_admin(client, agent, supervisor, django_user_model):
    account = wallet_account()
    client.force_login(supervisor)
    assert results(client.get(ACCOUNTS, {"q": account.account_number})) == [account]
    assert results(client.get(ACCOUNTS, {"status": "active"})) == []
    change = reverse("admin:accounts_walletaccount_change", args=[account.pk])
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(change, {"status": "active", "lock_reason": ""}).status_code == 403
    assert client.get(reverse("admin:accounts_walletaccount_add")).status_code == 403
    delete = reverse("admin:accounts_walletaccount_delete", args=[account.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    account.refresh_from_db()
    assert account.status == AccountStatus.LOCKED

    client.force_login(django_user_model.objects.create_superuser("root", password="x-not-used-x"))
    assert client.get(reverse("admin:accounts_walletaccount_add")).status_code == 200  # demo data
    assert client.post(change, {"status": "active", "lock_reason": ""}).status_code == 403


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


# Which accounts each partner serves


LINKS = reverse("admin:accounts_partneraccountlink_changelist")


def test_an_administrator_links_an_account_to_a_partner_who_may_then_ask_for_it(
    client, django_user_model, partner
):
    root = django_user_model.objects.create_superuser("root", password="x-not-used-x")
    client.force_login(root)
    account = wallet_account()
    api = client_for(partner.user)
    body = {"account_number": account.account_number}
    assert api.post("/api/v1/account-requests/", body, format="json").status_code == 400

    page = client.post(
        reverse("admin:accounts_partneraccountlink_add"),
        {"partner": partner.pk, "account": account.pk, "basis": "Opened through ACME Pay's app, 2025-03."},
    )

    assert page.status_code == 302, page.content
    link = PartnerAccountLink.objects.get()
    assert (link.partner, link.account, link.created_by, link.ended_at) == (partner, account, root, None)
    assert link.history.get().history_user == root
    assert api.post("/api/v1/account-requests/", body, format="json").status_code == 201
    listed = client.get(LINKS).content.decode()
    assert mask_account_number(account.account_number) in listed and account.account_number not in listed


def test_a_link_needs_its_basis_and_a_second_current_link_is_refused_next_to_the_fields(
    client, django_user_model, partner
):
    client.force_login(django_user_model.objects.create_superuser("root", password="x-not-used-x"))
    account = wallet_account()
    add = reverse("admin:accounts_partneraccountlink_add")

    page = client.post(add, {"partner": partner.pk, "account": account.pk, "basis": ""})
    assert "basis" in page.context["adminform"].form.errors
    services.link_partner_to_account(partner=partner, account=account, basis="Core record.", actor=None)
    page = client.post(add, {"partner": partner.pk, "account": account.pk, "basis": "Again."})

    assert page.status_code == 200 and page.context["adminform"].form.errors
    assert PartnerAccountLink.objects.count() == 1


def test_ending_a_link_in_the_admin_keeps_it_and_shuts_the_partner_out(client, django_user_model, partner):
    root = django_user_model.objects.create_superuser("root", password="x-not-used-x")
    client.force_login(root)
    account = wallet_account()
    link = services.link_partner_to_account(
        partner=partner, account=account, basis="Core record.", actor=None
    )

    client.post(LINKS, {"action": "end_links", "_selected_action": [link.pk]})

    link.refresh_from_db()
    assert (link.ended_by, link.ended_at is not None) == (root, True)
    body = {"account_number": account.account_number}
    assert client_for(partner.user).post("/api/v1/account-requests/", body, format="json").status_code == 400


@pytest.mark.parametrize("role", [roles.SUPERVISOR, roles.RISK_OFFICER, roles.AUDITOR])
def test_supervisors_risk_officers_and_auditors_read_the_links_but_do_not_make_them(client, role, partner):
    client.force_login(make_user(f"reader.{role.replace(' ', '-')}", role))
    link = services.link_partner_to_account(
        partner=partner, account=wallet_account(), basis="Core record.", actor=None
    )

    assert client.get(LINKS).status_code == 200
    assert client.get(reverse("admin:accounts_partneraccountlink_change", args=[link.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_partneraccountlink_add")).status_code == 403
    client.post(LINKS, {"action": "end_links", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert link.ended_at is None
