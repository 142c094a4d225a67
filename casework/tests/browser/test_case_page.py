"""The case page at a laptop's size (issue 15): the header says what the case is and
offers the actions without scrolling, in English and in Chinese; Save after Add stays on
the new case (Register, complaints.intake). Screenshots of the page are kept in ``VAR_DIR/screenshots/``."""

from __future__ import annotations

import pytest
from django.conf import settings

from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.VAR_DIR / "screenshots"
LAPTOP = (1366, 768)


def test_an_agent_reaches_the_first_action_without_scrolling(browser, agent, technician):
    complaint = register(agent)
    escalated = complaint_in_state(State.ESCALATED, agent=agent)

    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        header = browser.driver.find_element("css selector", ".case-header").text
        assert complaint.reference in header
        assert "Next step: Verify the caller's identity, then accept." in header
        for label in ("Record identity verification", "Accept"):
            top, window_height = browser.button_top(label)
            assert 0 <= top < window_height, (
                f"{label!r} starts at {top} px, below the {window_height} px window"
            )
        # No blank note or attachment row stamped "created now".
        assert "created now" not in browser.text().lower()
        browser.save_screenshot(SCREENSHOTS / "case-page-en.png", window_only=True)
        browser.save_screenshot(SCREENSHOTS / "case-page-en-full.png")

        # Escalated: the turn names the team, the next step says who is awaited.
        browser.visit(f"/admin/complaints/complaint/{escalated.pk}/change/")
        header = browser.driver.find_element("css selector", ".case-header").text
        assert f"Whose turn: {escalated.escalated_to} (escalated)" in header
        browser.save_screenshot(SCREENSHOTS / "case-page-escalated-en.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        assert "核验来电人身份" in browser.driver.find_element("css selector", ".case-header").text
        browser.save_screenshot(SCREENSHOTS / "case-page-zh.png", window_only=True)
        browser.save_screenshot(SCREENSHOTS / "case-page-zh-full.png")


def test_register_after_add_stays_on_the_new_case(browser, agent):
    browser.log_in(agent)
    browser.visit("/admin/complaints/complaint/add/")
    browser.choose("channel", "phone hotline")
    browser.choose("category", "account locked or frozen")
    browser.fill("customer_name", "Wang Fang")
    browser.fill("customer_phone", "13912340000")
    browser.fill("account_number", "6222000011112222")
    browser.fill("description", "The app says my account is frozen since this morning.")
    browser.press("Register")
    complaint = Complaint.objects.get()
    assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"
    assert f"The complaint “{complaint.reference}” was added successfully." in browser.messages()
    assert complaint.reference in browser.driver.find_element("css selector", ".case-header").text
