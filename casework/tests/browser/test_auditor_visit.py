"""An auditor's visit (README: "Auditors and supervisors"): every page of a case and its
trail can be read, nothing on them can be pressed to change it, and a change sent by hand
is refused by the server."""

from __future__ import annotations

import pytest

from casework.models import TransitionRecord
from complaints.models import State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser


def test_an_auditor_reads_the_case_its_history_and_the_trail_and_changes_nothing(browser, agent, auditor):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    version = complaint.version

    browser.log_in(auditor)
    browser.visit("/admin/complaints/complaint/")
    assert "Add complaint" not in browser.links()
    # The list shows open cases first; a resolved one is one click away.
    browser.follow("all cases, closed too")
    browser.follow(complaint.reference)
    assert browser.heading() == "View complaint"

    # The case as it is, its timeline and its field changes; nothing to press.
    assert browser.state() == "resolved"
    assert browser.buttons() == []
    assert [row[1:] for row in browser.timeline() if row[0] == "transition"] == [
        ("agent.wang", "register: → received", "Registered from phone hotline"),
        ("agent.wang", "verify identity (stays received)", "Verified by SMS one-time code"),
        ("agent.wang", "accept: received → accepted", ""),
        ("agent.wang", "start: accepted → in progress", ""),
        ("agent.wang", "resolve: in progress → resolved", "Refunded 88.00 CNY"),
    ]
    assert "Field changes" in browser.text()

    browser.follow("History", within="#content-main")
    assert browser.heading() == f"View history: {complaint.reference}"
    assert "agent.wang" in browser.text()

    # The audit trail: the case's transition records, read-only, and the export offered.
    browser.visit("/admin/")
    browser.follow("Transition records")
    assert "Add transition record" not in browser.links()
    browser.fill("q", complaint.reference)
    browser.press("Search")
    rows = browser.changelist_rows()
    assert len(rows) == 5
    assert all(complaint.reference in row and "agent.wang" in row for row in rows)
    assert "Export the trail (CSV)" in browser.links()

    # A transition's page opened by hand says no (a 403), with the way back to the complaint;
    # the change form sent by hand is refused the same way.
    browser.visit(f"/admin/complaints/complaint/{complaint.pk}/transition/reopen/")
    assert browser.refusal() == "You do not have permission to reopen this complaint."
    browser.follow(f"Back to {complaint.reference}")
    assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"
    browser.submit_form_by_hand("complaint_form")
    assert browser.refusal() == "You do not have permission to do this."

    complaint.refresh_from_db()
    assert (complaint.state, complaint.version) == (State.RESOLVED, version)
    assert TransitionRecord.objects.filter(case_reference=complaint.reference).count() == 5
