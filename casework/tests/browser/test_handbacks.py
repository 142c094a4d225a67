"""Hand-backs seen in the browser at 1366 x 768: the technician returns findings, the agent
holding the complaint logs in to a count and a badge on My work, opens the case (its header
says what came back) and the count goes down. Screenshots of My work in English and
Chinese, and of the case page, are kept in ``VAR_DIR/screenshots/handbacks/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from casework.models import Handback
from casework.workspace import queues
from complaints import services
from complaints.models import State
from complaints.tests.factories import complaint_in_state, file_complaint

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "handbacks"


def _keep(browser, name: str) -> None:
    browser.save_screenshot(SHOTS / f"{name}.png", window_only=True)


def test_the_holder_sees_the_findings_come_back_and_opens_the_case(browser, agent, technician, partner):
    complaint = complaint_in_state(State.ESCALATED, agent=agent, customer_name="Zhang San")
    complaint_in_state(State.IN_PROGRESS, agent=agent, customer_name="Li Si")  # nothing came back on it

    with browser.window(1366, 768):
        browser.log_in(technician)
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        browser.press("Return findings")
        browser.fill("findings", "Duplicate debit; reversal posted on the ledger")
        browser.apply()
        assert browser.messages() == [f"{complaint.reference}: return findings done; it is now in progress."]
        assert "Handed back to you" not in browser.text()  # the technician holds nothing here

        browser.log_in(agent)
        assert browser.path == "/admin/"  # My work, the agent's landing page
        text = browser.text()
        assert "1 handed back to me" in text
        assert f"{complaint.reference} Findings returned" in text
        _keep(browser, "en-my-work")

        browser.follow(complaint.reference)
        header = browser.driver.find_element("css selector", ".case-handbacks").text
        assert header == "Handed back to you: Findings returned just now", header
        _keep(browser, "en-case-page")
        assert Handback.objects.get().seen_at is not None

        browser.visit("/admin/my-work/")
        text = browser.text()
        assert "0 handed back to me" in text and "Findings returned" not in text

        # A partner writes on another case of the agent's: the count, in Chinese.
        other = queues.take(case=file_complaint(partner, customer_name="Wang Wu"), actor=agent)
        services.add_partner_message(complaint=other, actor=partner.user, body="Receipt attached.")
        browser.use_language("zh-hans")
        browser.visit("/admin/my-work/")
        text = browser.text()
        assert "1 转回给我" in text and f"{other.reference} 合作方留言" in text
        _keep(browser, "zh-hans-my-work")
        browser.follow(other.reference)
        assert "转回给您" in browser.driver.find_element("css selector", ".case-handbacks").text
        _keep(browser, "zh-hans-case-page")
