"""The demo loader and the audit-chain check, through ``call_command`` as an operator runs them."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
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
from casework.access import roles
from casework.access.demo_credentials import demo_key
from casework.cases import timeline
from casework.models import (
    CustomerMessage,
    ErasureRequest,
    Handback,
    HandbackKind,
    Notification,
    Partner,
    PartnerApiKey,
    TransitionRecord,
)
from casework.trail.audit import records_for
from complaints.admin import ComplaintAdmin
from complaints.models import Complaint, State, SurveyResponse
from refunds import demo_customer
from refunds.models import RefundCase, RefundState


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_allowed(db, settings, tmp_path) -> None:
    settings.DEMO = (
        True  # the suite runs as the demo (casework/tests/environment.py); said here for the reader
    )
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's evidence scans


@pytest.fixture
def demo(demo_allowed) -> str:
    return run("load_demo")


def test_demo_gives_a_staff_login_for_every_role_and_an_admin(demo):
    User = get_user_model()
    for role in roles.ROLES:
        if role == roles.PARTNER:
            continue
        user = User.objects.get(groups__name=role)
        assert user.is_staff and user.has_usable_password()
        assert f"{user.username}-demo-only" in demo
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("admin-demo-only")
    assert User.objects.get(username="agent").check_password("agent-demo-only")


def test_demo_has_two_partners_each_with_a_key_that_sees_only_its_own_cases(demo):
    for code, name in (("demopay", "DemoPay"), ("quickmart", "QuickMart")):
        partner = Partner.objects.get(code=code)
        assert name in partner.name
        assert partner.user.groups.filter(name=roles.PARTNER).exists()
        assert not partner.user.is_staff and not partner.user.has_usable_password()
        key = demo_key(code)
        assert f'curl -H "Authorization: Bearer {key}" http://127.0.0.1:8000/api/v1/complaints/' in demo
        assert f"secret {partner.webhook_secret}" in demo
        assert partner.webhook_url == f"http://127.0.0.1:8001/{code}/"
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        response = client.get("/api/v1/complaints/", {"page_size": 100})
        assert response.status_code == 200, response.content
        references = {row["reference"] for row in response.json()["results"]}
        own = Complaint.objects.filter(partner=partner).values_list("reference", flat=True)
        assert references == set(own)
        assert references
    payments = APIClient()
    payments.credentials(HTTP_AUTHORIZATION=f"Bearer {demo_key('payments')}")
    assert payments.get("/api/v1/complaints/").status_code == 403


def test_demo_shows_every_complaint_state(demo):
    assert set(Complaint.objects.values_list("state", flat=True)) == set(State.values)


def test_demo_has_an_accepted_complaint_whose_customer_was_told_by_e_mail(demo, mailoutbox):
    complaint = Complaint.objects.get(external_reference="demo-locked-chengdu")
    acceptance = CustomerMessage.objects.get(case_reference=complaint.reference, kind="acceptance")

    assert (acceptance.channel, acceptance.status) == ("email", "sent")
    assert any(mail.subject == f"Your complaint {complaint.reference} is accepted" for mail in mailoutbox)
    assert "Customer notices: " in demo and "SMS under " in demo and "e-mail under " in demo


def test_demo_customer_reply_by_e_mail_resumes_the_complaint_awaiting_them(demo):
    complaint = Complaint.objects.get(external_reference="demo-topup-statement")

    assert complaint.state == State.IN_PROGRESS and not complaint.sla_clock.is_paused
    [reply] = CustomerMessage.objects.filter(
        case_reference=complaint.reference, direction=CustomerMessage.Direction.INCOMING
    )
    assert (reply.channel, reply.status, reply.address) == ("email", "received", "lin.fang@example.com")
    assert "中国银行卡（尾号4821）扣款 300.00 元" in reply.body_text  # noqa: RUF001 (Chinese brackets)
    entries = timeline.timeline(complaint, ComplaintAdmin.timeline_sources)
    # The acceptance e-mail it answers, then the reply; the clock paused, then resumed by it.
    assert [entry.what for entry in entries if entry.kind == "customer message"] == [
        "Acceptance notice by e-mail to l***@example.com",
        "reply by e-mail",
    ]
    transitions = TransitionRecord.objects.filter(case_reference=complaint.reference).order_by("pk")
    assert [record.transition for record in transitions][-2:] == ["wait_for_customer", "customer_replied"]
    assert Handback.objects.get(case_reference=complaint.reference).kind == HandbackKind.CUSTOMER_REPLIED
    assert f"{complaint.reference}  in_progress        in progress again: the customer's e-mail reply" in demo


def test_demo_has_a_survey_answer_that_the_dashboards_csat_shows(demo, client):
    complaint = Complaint.objects.get(external_reference="demo-didi-pending")
    answer = SurveyResponse.objects.get(complaint=complaint)

    assert answer.rating == 5 and complaint.state == State.CLOSED  # a good score reopens nothing
    assert f"Survey answered: {complaint.reference} rated 5 of 5" in demo
    client.force_login(get_user_model().objects.get(username="supervisor"))
    dashboard = client.get(reverse("admin:index")).content.decode()
    assert '<span data-csat="100%">100%</span>' in dashboard
    assert "1 of 1 survey answer in the period rated the outcome 4 or 5 of 5; average rating 5.0." in (
        dashboard
    )


def test_make_run_prints_a_working_survey_link_of_a_resolved_complaint_not_rated_yet(demo, client):
    banner = Path(django_settings.BASE_DIR, "Makefile").read_text().split("\nrun: demo\n")[1].split("\n\n")[0]
    assert "manage.py demo_survey_link" in banner
    printed = run("demo_survey_link")

    complaint = Complaint.objects.get(external_reference="demo-hotline-wait")
    assert f"Customer's survey of {complaint.reference} (resolved, not rated yet): http://" in printed
    link = re.search(r"https?://\S+", printed).group(0)
    assert link.startswith(django_settings.PUBLIC_BASE_URL)
    page = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert complaint.reference in page.content.decode() and 'name="rating"' in page.content.decode()
    assert not SurveyResponse.objects.filter(complaint=complaint).exists()


def test_demo_survey_link_is_for_the_demo_only(db, settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="DEMO is off"):
        run("demo_survey_link")


def test_demo_escalation_writes_a_notice_for_the_technical_team(demo):
    escalated = Complaint.objects.get(state=State.ESCALATED)
    assert escalated.escalated_to.code == "technical"
    notice = Notification.objects.get(kind="escalation")
    assert notice.case_reference == escalated.reference
    assert notice.recipient == escalated.escalated_to.mailbox
    assert notice.status == Notification.Status.PENDING  # the worker delivers it after commit


def test_demo_complaints_move_only_through_recorded_transitions(demo):
    for complaint in Complaint.objects.all():
        last = TransitionRecord.objects.filter(
            object_id=complaint.pk, case_reference=complaint.reference
        ).last()
        assert last.target_state == complaint.state


def test_demo_shows_every_account_request_state_and_prints_each(demo):
    requests = AccountRequest.objects.all()
    assert set(requests.values_list("state", flat=True)) == set(RequestState.values)
    section = demo.split("Demo account requests")[1].split("Demo wallet accounts")[0]
    for request in requests.exclude(account__account_number=demo_customer.ACCOUNT):  # her own section
        assert f"  {request.reference}  {request.state} " in section


def test_demo_has_accounts_in_every_status_and_lock_reason(demo):
    accounts = WalletAccount.objects.all()
    assert set(accounts.values_list("status", flat=True)) == set(AccountStatus.values)
    assert set(accounts.exclude(lock_reason="").values_list("lock_reason", flat=True)) == set(
        LockReason.values
    )
    for account in accounts:
        assert re.fullmatch(r"1\d{2}\*{4}\d{4}", account.phone_masked), account.phone_masked
        if account.account_number != demo_customer.ACCOUNT:  # the customer's page's own section
            assert f"  {account.account_number}  {account.phone_masked}  {account.status} " in demo


def test_demo_locked_account_call_is_done_end_to_end(demo):
    complaint = Complaint.objects.get(external_reference="demo-locked-airport")
    request = complaint.account_requests.get()
    assert (request.kind, request.state) == (RequestKind.UNLOCK, RequestState.EXECUTED)
    assert (complaint.state, complaint.resolution_code) == (State.RESOLVED, "unlocked")
    assert (request.account.status, request.account.lock_reason) == (AccountStatus.ACTIVE, "")
    agent = get_user_model().objects.get(username="agent")
    assert request.approved_by.username == "supervisor"
    assert request.identity_verified_by == agent
    evidence = {item.method: item for item in request.evidence.all()}
    assert set(evidence) == {"sms_code", "id_document"}
    assert {item.outcome for item in evidence.values()} == {"passed"}
    assert {item.checked_by for item in evidence.values()} == {agent}
    with evidence["id_document"].file.open("rb") as scan:
        assert scan.read(8) == b"\x89PNG\r\n\x1a\n"
    steps = list(
        TransitionRecord.objects.filter(case_reference=request.reference).values_list("transition", flat=True)
    )
    assert steps == [
        "open",
        "verify_identity",
        "collect_authentication",
        "collect_authentication",
        "submit_for_review",
        "approve",
        "execute",
    ]


def test_demo_leaves_a_locked_account_call_for_the_readme_walk_through(demo):
    complaint = Complaint.objects.get(external_reference="demo-locked-chengdu")
    agent = get_user_model().objects.get(username="agent")

    request = account_services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)

    assert request.state == RequestState.IDENTITY_VERIFIED  # carried over from the call
    assert request.lock_reason == LockReason.WRONG_PASSWORDS


def test_demo_requests_tell_the_other_stories(demo):
    def story(key: str) -> AccountRequest:
        return AccountRequest.objects.get(external_reference=f"demo-{key}")

    suspicious = story("suspicious-login")
    assert suspicious.state == RequestState.PENDING_REVIEW and suspicious.needs_risk_officer
    waiting = story("new-phone")
    assert waiting.state == RequestState.IDENTITY_VERIFIED and not waiting.evidence.exists()
    assert waiting.partner.code == "demopay"
    frozen = story("court-freeze")
    assert frozen.state == RequestState.REJECTED and "court" in frozen.rejection_reason
    assert frozen.account.status == AccountStatus.FROZEN
    protective = story("lost-phone")
    assert (protective.kind, protective.state) == (RequestKind.LOCK, RequestState.EXECUTED)
    assert (protective.account.status, protective.account.lock_reason) == (
        AccountStatus.LOCKED,
        LockReason.CUSTOMER_REQUEST,
    )
    approved = story("risk-transfers")
    assert approved.state == RequestState.APPROVED
    assert approved.approved_by.username == "risk"
    assert approved.account.status == AccountStatus.LOCKED  # approved, not yet executed


def test_demo_shows_every_refund_state_and_prints_each(demo):
    cases = RefundCase.objects.all()
    assert set(cases.values_list("state", flat=True)) == set(RefundState.values)
    section = demo.split("Demo refund cases")[1].split("Demo wallet accounts")[0]
    for case in cases.exclude(complaint__customer_phone__endswith=demo_customer.PHONE[-8:]):
        assert case.reference in section


def test_demo_refund_story_runs_from_the_call_to_the_settlement(demo):
    complaint = Complaint.objects.get(external_reference="demo-refund-flight")
    case = complaint.refund_cases.get()
    assert case.state == RefundState.REFUNDED
    assert case.approved_amount == case.requested_amount == Decimal("6800.00")
    # Above the CNY threshold: two different people approved it.
    assert (case.first_approved_by.username, case.approved_by.username) == ("refunds", "supervisor")
    assert case.evidence.get().kind == "payment_voucher"
    steps = list(records_for(case).values_list("transition", flat=True))
    assert steps == [
        "open",
        "start_review",
        "request_evidence",
        "add_evidence",
        "evidence_received",
        "first_approval",
        "approve",
        "submit_to_payments",
        "settle",
    ]
    [instruction] = case.instructions.all()
    settle = records_for(case).get(transition="settle")
    assert settle.actor.username == "payments-system"  # reported on the API with its token
    assert instruction.processor_reference == case.processor_reference == "PSP-20261124-88412"
    assert Notification.objects.get(idempotency_key=instruction.idempotency_key).channel == "webhook"
    complaint.refresh_from_db()
    assert complaint.state == State.RESOLVED
    assert case.reference in complaint.resolution_summary


def test_demo_reminds_before_a_refund_deadline_and_marks_the_overdue_one(demo):
    concert = RefundCase.objects.get(external_reference="demo-refund-concert")
    gym = RefundCase.objects.get(external_reference="demo-refund-gym")
    assert Notification.objects.filter(kind="refund_reminder", case_reference=concert.reference).exists()
    assert gym.sla_clock.resolution_breached_at is not None
    assert Notification.objects.filter(kind="breach", case_reference=gym.reference).exists()
    assert "1 reminder(s) before a deadline, 1 case(s) marked overdue" in demo


def test_demo_prints_the_logins_table(demo):
    table = demo.split("Demo logins")[1]
    assert "username" in table and "password" in table and "role" in table
    for username in (
        "admin",
        "agent",
        "technician",
        "complaints",
        "supervisor",
        "risk",
        "refunds",
        "auditor",
    ):
        assert f"\n  {username} " in table


def test_demo_runs_twice_without_duplicating(demo):
    User = get_user_model()
    counts = (
        User.objects.count(),
        Complaint.objects.count(),
        TransitionRecord.objects.count(),
        Notification.objects.count(),
        PartnerApiKey.objects.count(),
        Partner.objects.count(),
        AccountRequest.objects.count(),
        AuthenticationEvidence.objects.count(),
        WalletAccount.history.count(),
        CustomerMessage.objects.count(),
        SurveyResponse.objects.count(),
    )
    accounts = list(WalletAccount.objects.values_list("account_number", "status", "lock_reason"))
    again = run("load_demo")
    assert "(already there)" in again
    section = again.split("Demo account requests")[1].split("Demo refund cases")[0]
    theirs = AccountRequest.objects.exclude(account__account_number=demo_customer.ACCOUNT)
    assert section.count("(already there)") == theirs.count()
    assert counts == (
        User.objects.count(),
        Complaint.objects.count(),
        TransitionRecord.objects.count(),
        Notification.objects.count(),
        PartnerApiKey.objects.count(),
        Partner.objects.count(),
        AccountRequest.objects.count(),
        AuthenticationEvidence.objects.count(),
        WalletAccount.history.count(),
        CustomerMessage.objects.count(),
        SurveyResponse.objects.count(),
    )
    assert accounts == list(WalletAccount.objects.values_list("account_number", "status", "lock_reason"))


def test_demo_keeps_a_password_changed_after_loading(demo):
    agent = get_user_model().objects.get(username="agent")
    agent.set_password("chosen-by-the-tester")
    agent.save()
    again = run("load_demo")
    agent.refresh_from_db()
    assert agent.check_password("chosen-by-the-tester")
    assert "(changed since loaded)" in again


def test_demo_refuses_to_run_outside_the_demo(db, settings):
    settings.DEMO = False
    with pytest.raises(CommandError, match="DEMO is off"):
        run("load_demo")
    assert not get_user_model().objects.exists()


def test_audit_chain_of_the_demo_holds(demo):
    output = run("verify_audit_chain")
    records = TransitionRecord.objects.count()
    cases = Complaint.objects.count() + AccountRequest.objects.count() + RefundCase.objects.count()
    cases += ErasureRequest.objects.count()  # Tang Wen's, with its own trail
    assert ErasureRequest.objects.count() == 1
    assert f"Checked {records} transition records in {cases} cases" in output


def test_audit_chain_reports_a_tampered_record_and_fails(demo):
    escalated = Complaint.objects.get(state=State.ESCALATED)
    record = TransitionRecord.objects.get(case_reference=escalated.reference, transition="escalate")
    # An UPDATE behind the application's back: no history, no new hash.
    TransitionRecord.objects.filter(pk=record.pk).update(reason="Customer is wrong, nothing to trace")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of"):
        call_command("verify_audit_chain", stdout=out)
    assert f"BROKEN complaint {escalated.reference} record #{record.pk}" in out.getvalue()


def test_audit_chain_notices_a_removed_record(demo):
    closed = Complaint.objects.get(state=State.CLOSED)
    chain = list(
        TransitionRecord.objects.filter(case_reference=closed.reference).order_by("created_at", "id")
    )
    TransitionRecord.objects.filter(pk=chain[1].pk).delete()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", stdout=out)
    assert f"record #{chain[2].pk}" in out.getvalue()  # its link now points at nothing


def test_demo_partners_ask_only_for_the_accounts_they_serve(demo):
    demopay, quickmart = APIClient(), APIClient()
    demopay.credentials(HTTP_AUTHORIZATION=f"Bearer {demo_key('demopay')}")
    quickmart.credentials(HTTP_AUTHORIZATION=f"Bearer {demo_key('quickmart')}")
    frozen = "WLT-4410-0913"  # the court freeze DemoPay asked about

    served = demopay.post("/api/v1/account-requests/", {"account_number": frozen}, format="json")
    refused = quickmart.post("/api/v1/account-requests/", {"account_number": frozen}, format="json")
    unknown = quickmart.post("/api/v1/account-requests/", {"account_number": "WLT-0000-0000"}, format="json")

    assert served.status_code == 201, served.content
    assert (served.json()["state"], served.json()["account_status"]) == ("rejected", "frozen")
    assert refused.status_code == unknown.status_code == 400
    assert refused.json() == json.loads(unknown.content.decode().replace("WLT-0000-0000", frozen))
    demopay_accounts = set(
        PartnerAccountLink.objects.filter(partner__code="demopay").values_list(
            "account__account_number", flat=True
        )
    )
    asked = AccountRequest.objects.filter(partner__code="demopay").values_list(
        "account__account_number", flat=True
    )
    assert set(asked) <= demopay_accounts
