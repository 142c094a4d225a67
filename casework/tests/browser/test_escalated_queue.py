"""My work for those a case waits on without holding it: the technician finds a complaint
the agent escalated under "Escalated to my team", opens it and returns findings; the risk
officer finds account requests under "Awaiting my decision". Screenshots at 1366 x 768 in
English and Chinese are kept in ``VAR_DIR/screenshots/my-work/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from accounts.models import LockReason, RequestState
from accounts.tests.factories import request_in_state, wallet_account
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "my-work"
MY_WORK = "/admin/my-work/"


def _section(browser, heading_id: str) -> str:
    """The text of the list (or its one-line empty notice) under the heading ``heading_id``."""
    return browser.driver.find_element(By.CSS_SELECTOR, f"#{heading_id} + *").text


def _headings(browser) -> list[str]:
    return [element.text for element in browser.driver.find_elements(By.CSS_SELECTOR, ".my-work h3")]


def test_the_technician_finds_the_escalated_complaint_on_my_work_and_returns_findings(
    browser, agent, technician, technical_team
):
    complaint = complaint_in_state(
        State.ESCALATED, agent=agent, team=technical_team, customer_name="Zhang San"
    )
    other = complaint_in_state(
        State.ESCALATED,
        agent=agent,
        team=technical_team,
        description="Top-up from the bank card shows twice in the app, once in the bank statement.",
    )

    with browser.window(1366, 768):
        browser.log_in(technician)
        assert browser.path == "/admin/"  # the landing page is My work
        assert _headings(browser) == ["Escalated to my team"]
        escalated = _section(browser, "my-work-escalated")
        assert complaint.reference in escalated and other.reference in escalated
        assert "Zhang San" in escalated and "escalated" in escalated
        assert "Take next" not in browser.text()
        browser.visit(MY_WORK)
        browser.save_screenshot(SHOTS / "en-technician.png", window_only=True)

        browser.follow(complaint.reference)
        browser.press("Return findings")
        browser.fill("findings", "Duplicate debit; reversal posted on the ledger")
        browser.apply()
        assert browser.messages() == [f"{complaint.reference}: return findings done; it is now in progress."]
        assert Complaint.objects.get(pk=complaint.pk).state == State.IN_PROGRESS

        browser.visit(MY_WORK)
        escalated = _section(browser, "my-work-escalated")
        assert complaint.reference not in escalated and other.reference in escalated

        browser.use_language("zh-hans")
        browser.visit(MY_WORK)
        assert _headings(browser) == ["升级到本组"]
        assert "已升级" in _section(browser, "my-work-escalated")
        browser.save_screenshot(SHOTS / "zh-hans-technician.png", window_only=True)

    # The agent still holds it, and sees no escalated list of their own.
    browser.log_in(agent)
    browser.visit(MY_WORK)
    assert "Escalated to my team" not in _headings(browser)
    assert complaint.reference in _section(browser, "my-work-mine")


def test_the_risk_officer_finds_the_account_requests_awaiting_their_decision(
    browser, agent, supervisor, risk_officer
):
    plain = request_in_state(RequestState.PENDING_REVIEW, agent=agent, reviewer=supervisor)
    suspicious = request_in_state(
        RequestState.PENDING_REVIEW,
        agent=agent,
        reviewer=risk_officer,
        account=wallet_account(lock_reason=LockReason.SUSPICIOUS_ACTIVITY, holder_name="Wang Fang"),
    )

    with browser.window(1366, 768):
        browser.log_in(risk_officer)
        assert browser.path == "/admin/"
        assert _headings(browser) == ["Awaiting my decision"]
        waiting = _section(browser, "my-work-decisions")
        assert plain.reference in waiting and suspicious.reference in waiting
        assert "needs a risk officer" in waiting and "Wang Fang" in waiting
        assert suspicious.account.account_number not in waiting  # masked
        browser.visit(MY_WORK)
        browser.save_screenshot(SHOTS / "en-risk-officer.png", window_only=True)

        browser.follow(suspicious.reference)
        assert "Approve" in browser.buttons()

        browser.use_language("zh-hans")
        browser.visit(MY_WORK)
        assert _headings(browser) == ["待我决定"]
        browser.save_screenshot(SHOTS / "zh-hans-risk-officer.png", window_only=True)

    # The supervisor reviews too, but not the risk unlock.
    browser.log_in(supervisor)
    browser.visit(MY_WORK)
    waiting = _section(browser, "my-work-decisions")
    assert plain.reference in waiting and suspicious.reference not in waiting
