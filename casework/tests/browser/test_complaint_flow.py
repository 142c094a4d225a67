"""A complaint from the phone call to its resolution, clicked through the admin as the
agent and the technical team do it (README: "A first walk through")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import TransitionRecord
from complaints.models import Complaint, State

pytestmark = pytest.mark.browser


def test_an_agent_takes_a_complaint_from_registration_to_resolution(browser, agent, technician):
    paid_on = timezone.localdate() - dt.timedelta(days=2)

    # The agent registers the call.
    browser.log_in(agent)
    assert browser.stylesheet_rules("/static/admin/css/base.css") > 0  # the admin's own CSS is served
    browser.visit("/admin/complaints/complaint/")
    browser.follow("Add complaint")
    browser.choose("channel", "phone hotline")
    browser.choose("category", "transaction failed or abnormal")
    browser.fill("customer_name", "Zhang San")
    browser.fill("customer_phone", "13912345678")
    browser.fill("account_number", "6222000099998888")
    browser.fill("description", "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.")
    browser.fill("transaction_at_0", f"{paid_on:%Y-%m-%d}")
    browser.fill("transaction_at_1", "14:05:00")
    browser.fill("amount", "45.00")
    browser.fill("transaction_reference", "TX2026030200045")
    browser.fill("merchant", "FamilyMart")
    browser.fill("device", "iPhone 15, iOS 18, app 10.6.0")
    browser.press("Register")
    complaint = Complaint.objects.get()
    assert f"The complaint “{complaint.reference}” was added successfully." in browser.messages()
    assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"  # Register stays on the case
    assert browser.state() == "received"

    # Accept is refused until the caller's identity is verified, and the page says why.
    browser.press("Accept")
    assert browser.messages() == [
        "The caller's identity has not been verified: record the verification before accepting."
    ]
    assert browser.state() == "received"

    browser.press("Record identity verification")
    browser.choose("method", "SMS one-time code")
    browser.fill("note", "Code sent to the registered phone, read back correctly")
    browser.apply()
    assert browser.messages() == [f"{complaint.reference}: record identity verification done."]

    browser.press("Accept")
    assert browser.messages() == [f"{complaint.reference}: accept done; it is now accepted."]
    browser.press("Start work")
    assert browser.messages() == [f"{complaint.reference}: start work done; it is now in progress."]

    # Working it: the technical team looks at the ledger.
    browser.press("Escalate")
    assert browser.heading() == f"Escalate — {complaint.reference}"
    browser.choose("team", "Technical team")
    browser.fill("reason", "Debit without a credit: check the ledger")
    browser.apply()
    assert browser.messages() == [f"{complaint.reference}: escalate done; it is now escalated."]
    assert browser.field("escalated_to") == "Technical team"

    browser.log_in(technician)
    browser.visit("/admin/complaints/complaint/")
    browser.follow(complaint.reference)
    assert "Save" not in browser.buttons()  # the technical team reads, and moves it on its own page
    browser.press("Return findings")
    browser.fill("findings", "Duplicate debit; reversal posted on the ledger")
    browser.apply()
    assert browser.messages() == [f"{complaint.reference}: return findings done; it is now in progress."]

    # Back with the agent: resolved, with the outcome the customer was told.
    browser.log_in(agent)
    browser.visit("/admin/complaints/complaint/")
    browser.follow(complaint.reference)
    assert browser.field("findings") == "Duplicate debit; reversal posted on the ledger"
    browser.press("Resolve")
    browser.choose("code", "corrected")
    browser.fill("summary", "The duplicate debit of 45.00 CNY was reversed.")
    # The business type and cause come filled in from the category; the rest is the finding.
    browser.choose("outcome", "upheld")
    browser.choose("product", "P03 QR code payment")
    browser.choose("root_cause", "R01 System or technical defect")
    browser.apply()
    assert browser.messages() == [f"{complaint.reference}: resolve done; it is now resolved."]
    assert browser.state() == "resolved"
    assert browser.field("resolution_summary") == "The duplicate debit of 45.00 CNY was reversed."

    # The timeline on the page: every step, who took it and why.
    transitions = [row[1:] for row in browser.timeline() if row[0] == "transition"]
    assert transitions == [
        ("agent.wang", "register: → received", "Registered from phone hotline"),
        (
            "agent.wang",
            "verify identity (stays received)",
            "Code sent to the registered phone, read back correctly",
        ),
        ("agent.wang", "accept: received → accepted", ""),
        ("agent.wang", "start: accepted → in progress", ""),
        ("agent.wang", "escalate: in progress → escalated", "Debit without a credit: check the ledger"),
        (
            "tech.chen",
            "return findings: escalated → in progress",
            "Duplicate debit; reversal posted on the ledger",
        ),
        ("agent.wang", "resolve: in progress → resolved", "The duplicate debit of 45.00 CNY was reversed."),
    ]

    # The history page: each saved version with who saved it.
    browser.follow("History", within="#content-main")
    assert browser.heading() == f"View history: {complaint.reference}"
    history = browser.text()
    assert "agent.wang" in history and "tech.chen" in history

    complaint.refresh_from_db()
    assert (complaint.state, complaint.resolution_code, complaint.was_escalated) == (
        State.RESOLVED,
        "corrected",
        True,
    )
    assert complaint.sla_clock.stopped_at is not None
    assert list(
        TransitionRecord.objects.filter(case_reference=complaint.reference)
        .order_by("id")
        .values_list("transition", "actor__username")
    ) == [
        ("register", "agent.wang"),
        ("verify_identity", "agent.wang"),
        ("accept", "agent.wang"),
        ("start", "agent.wang"),
        ("escalate", "agent.wang"),
        ("return_findings", "tech.chen"),
        ("resolve", "agent.wang"),
    ]
