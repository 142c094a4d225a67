"""The staff door to wallet accounts and their lock/unlock requests, driven through the
test client as a logged-in user: the demo story from a locked-account complaint to an
unlocked account, and permission at every door. The lists and auditors, opening a
request, and the partners' account links have their own ``test_account_admin_*.py``
modules."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services
from accounts.models import AccountRequest, AccountStatus, AuthenticationEvidence, LockReason, RequestState
from accounts.tests.admin import ACCOUNTS, collect, open_request, verified_request, wallet_account
from casework.access import roles
from casework.models import TransitionRecord
from casework.privacy.masking import mask_account_number
from casework.tests import files
from casework.tests.admin import act, admin_url, forbidden, messages_of, results
from casework.tests.files import PNG
from casework.tests.users import make_user
from complaints.models import ResolutionCode, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.usefixtures("media_root")


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
