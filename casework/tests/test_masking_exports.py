"""Masked numbers in what leaves the staff door: notices to mailboxes whose readers may not
reveal carry a link instead, and the exported trail and the partner API answer masks."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import WalletAccount
from accounts.tests.factories import request_in_state, wallet_account
from casework.models import Notification, TransitionRecord
from casework.tests.admin import admin_url
from casework.tests.masked_numbers import ACCOUNT, PHONE
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, file_complaint

# Notices: to mailboxes whose readers may not reveal, the numbers masked and a link instead.

BASE_URL = "https://backoffice.wallet.example"


def notice_templates() -> set[str]:
    """Every notice text an app renders: ``<app>/templates/<app>/*.txt``."""
    return {
        f"{path.parent.name}/{path.name}"
        for path in Path(settings.BASE_DIR).glob("*/templates/*/*.txt")
        if path.parent.parent.name == "templates"
    }


def assert_masked_with_a_link(body: str, case, numbers: tuple[str, ...], shown: tuple[str, ...] = ()) -> None:
    for number in numbers:
        assert number not in body, body
    for masked in shown:
        assert masked in body, body
    assert f"{BASE_URL}{admin_url(case)}" in body, body


def test_every_notice_template_masks_the_numbers_and_links_to_the_case(
    settings, agent, supervisor, technical_team
):
    from refunds.services import open_refund_case_from_complaint

    settings.BACKOFFICE_BASE_URL = BASE_URL
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="refund", customer_phone=PHONE, account_number=ACCOUNT
    )
    refund = open_refund_case_from_complaint(complaint=complaint, actor=agent, refund_type="returned")
    rendered = []
    for kind in ("due_soon", "breach"):
        rendered.append(("complaints/clock_notice.txt", {"case": complaint, "kind": kind}, complaint, ()))
    context = {"complaint": complaint, "team": technical_team, "reason": "Ledger check", "actor": agent}
    rendered.append(("complaints/escalation_notice.txt", context, complaint, ("WLT-****-1203",)))
    for kind in ("reminder", "due_soon", "breach"):
        rendered.append(("refunds/clock_notice.txt", {"case": refund, "kind": kind}, refund, ()))
    rendered.append(("refunds/failed_notice.txt", {"case": refund, "error": "timeout"}, refund, ()))
    handback = SimpleNamespace(case_reference=complaint.reference)
    context = {"handback": handback, "what": "Findings returned", "case": complaint, "detail": "Ledger check"}
    rendered.append(("casework/handback_notice.txt", context, complaint, ()))
    context = {
        "complaint": complaint,
        "asker": agent,
        "tier": "to 60 days (civil-law count)",
        "request": SimpleNamespace(reason="Ledger check"),
    }
    rendered.append(("complaints/extension_approval_notice.txt", context, complaint, ()))
    credit = SimpleNamespace(
        reference=refund.reference,
        amount_display="30.00 CNY",
        due_at=complaint.created_at,
        idempotency_key=f"{refund.reference}-PCR",
        refund_case=refund,
    )
    for late in (False, True):
        rendered.append(
            ("refunds/provisional_credit_notice.txt", {"credit": credit, "late": late}, refund, ())
        )
    numbers = {PHONE, ACCOUNT}
    for at, state in enumerate(("submitted", "identity_verified", "pending_review", "approved")):
        account = wallet_account(account_number=f"WLT-770{at}-432{at}")
        numbers.add(account.account_number)
        account_request = request_in_state(state, agent=agent, reviewer=supervisor, account=account)
        for kind in ("due_soon", "breach"):
            shown = (f"WLT-****-432{at}",)
            rendered.append(
                ("accounts/clock_notice.txt", {"case": account_request, "kind": kind}, account_request, shown)
            )
    assert {template for template, *_ in rendered} == notice_templates()
    for template, context, case, shown in rendered:
        assert_masked_with_a_link(render_to_string(template, context), case, tuple(numbers), shown)


def test_the_escalation_e_mail_written_by_the_service_masks_the_account(settings, agent, technical_team):
    settings.BACKOFFICE_BASE_URL = BASE_URL
    complaint = complaint_in_state(State.ESCALATED, agent=agent, customer_phone=PHONE, account_number=ACCOUNT)
    notice = Notification.objects.get(kind="escalation", case_reference=complaint.reference)
    assert_masked_with_a_link(notice.body, complaint, (PHONE, ACCOUNT), ("WLT-****-1203",))


def test_a_notice_written_before_notices_masked_is_shown_masked(client, agent, supervisor, auditor):
    complaint = complaint_in_state(State.ESCALATED, agent=agent, customer_phone=PHONE, account_number=ACCOUNT)
    notice = Notification.objects.get(kind="escalation", case_reference=complaint.reference)
    # What an old notice held: the numbers in full, the account since corrected on the complaint.
    old_body = f"Customer: Li Wei (account {ACCOUNT}), phone {PHONE}."
    Notification.objects.filter(pk=notice.pk).update(body=old_body)
    Complaint.objects.filter(pk=complaint.pk).update(account_number="WLT-8800-5555")
    complaint.refresh_from_db()
    complaint.save()  # a history row with the new number; the old one stays in the history
    client.force_login(auditor)
    page = client.get(reverse("admin:casework_notification_change", args=[notice.pk])).content.decode()
    assert ACCOUNT not in page and PHONE not in page
    assert "(account WLT-****-1203), phone 139****2233." in page
    notice.refresh_from_db()
    assert notice.body == old_body  # stored as it was sent


# Exports and the partner API.


def test_the_exported_trail_masks_the_account_number(client, agent, supervisor, auditor):
    account = wallet_account(account_number="WLT-7000-4321")
    request_in_state("submitted", agent=agent, reviewer=supervisor, account=account)
    client.force_login(auditor)
    ids = list(TransitionRecord.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:casework_transitionrecord_changelist"),
        {"action": "export_csv", "_selected_action": ids},
    )
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "WLT-****-4321" in exported
    assert "WLT-7000-4321" not in exported


def test_the_api_answers_masked_numbers_on_create_read_and_list(api, partner):
    body = {
        "category": "account_locked",
        "customer_name": "Li Wei",
        "customer_phone": "+86 139 1100 2233",
        "account_number": ACCOUNT,
        "description": "Locked out after a new phone.",
    }
    created = api.post("/api/v1/complaints/", body, format="json")
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    read = api.get(f"/api/v1/complaints/{reference}/").json()
    [listed] = api.get("/api/v1/complaints/").json()["results"]
    for answer in (created.json(), read, listed):
        assert (answer["customer_phone"], answer["account_number"]) == ("+86 139 **** 2233", "WLT-****-1203")
    assert ACCOUNT not in json.dumps(listed) and "1100" not in json.dumps(listed)
    stored = Complaint.objects.get(reference=reference)
    assert (stored.customer_phone, stored.account_number) == ("+8613911002233", ACCOUNT)


def test_the_api_masks_the_account_of_a_request(api, partner):
    wallet_account(account_number="WLT-7000-4321", served_by=partner)
    created = api.post("/api/v1/account-requests/", {"account_number": "WLT-7000-4321"}, format="json")
    assert created.status_code == 201, created.content
    read = api.get(f"/api/v1/account-requests/{created.json()['reference']}/").json()
    assert created.json()["account_number"] == read["account_number"] == "WLT-****-4321"


def test_a_partner_complaint_without_an_account_answers_an_empty_string(api, partner):
    complaint = file_complaint(partner, customer_phone="13900001111")
    answer = api.get(f"/api/v1/complaints/{complaint.reference}/").json()
    assert (answer["customer_phone"], answer["account_number"]) == ("+86 139 **** 1111", "")


def test_the_resolution_an_unlock_writes_on_its_complaint_masks_the_account(agent, supervisor):
    from accounts import services as account_services

    account = wallet_account(account_number="WLT-7000-4321")
    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="account_locked", account_number=account.account_number
    )
    account_request = account_services.open_unlock_request_from_complaint(complaint=complaint, actor=agent)
    account_services.add_evidence(request=account_request, actor=agent, method="sms_code", outcome="passed")
    account_services.submit_for_review(request=account_request, actor=agent)
    account_services.approve_request(request=account_request, actor=supervisor)
    account_services.execute_request(request=account_request, actor=supervisor)
    complaint.refresh_from_db()
    assert complaint.state == State.RESOLVED
    summary = f"Account WLT-****-4321 unlocked through {account_request.reference}."
    assert complaint.resolution_summary == summary  # the partner reads it through the API


def test_a_wallet_account_is_named_masked():
    assert str(WalletAccount(account_number="WLT-7000-4321", status="locked")) == "WLT-****-4321 (locked)"
