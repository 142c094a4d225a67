"""Extending a complaint's deadline under the PBOC default (issue 17, item 2), at a laptop's
size: the agent asks from the case page with a reason and the form says what the tier needs;
the request waits on the page, where a supervisor (not the agent) approves it; the deadline
moves to day 60. In English and in Chinese. Screenshots go to ``VAR_DIR/screenshots/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone
from selenium.webdriver.common.by import By

from casework.models import ExtensionRequest, ExtensionState
from casework.sla.regimes import deployment_regime
from complaints.tests.regimes import DAY_60, REASON, fresh, received_complaint

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.VAR_DIR / "screenshots"
LAPTOP = (1366, 768)
REASON_ZH = "需收单机构通过卡组织调查该笔交易。"


def panel(browser) -> str:
    found = browser.driver.find_elements(By.CSS_SELECTOR, ".case-extensions")
    return found[0].text if found else ""


def resolution_due(browser) -> str:
    return browser.driver.find_elements(By.CSS_SELECTOR, ".case-header .deadline")[1].get_attribute("title")


def test_an_agent_asks_for_an_extension_and_a_supervisor_approves_it(browser, agent, supervisor):
    complaint = received_complaint(agent, deployment_regime())
    case_page = f"/admin/complaints/complaint/{complaint.pk}/change/"
    due_60 = f"{timezone.localtime(DAY_60):%Y-%m-%d %H:%M}"

    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit(case_page)
        browser.press("Request extension")
        help_text = browser.driver.find_element(By.CSS_SELECTOR, ".case-action-form__help").text
        assert "to 60 days (civil-law count) from receipt" in help_text
        assert "needs the complaint-handling lead's approval" in help_text
        browser.apply()  # no reason: refused next to the field
        assert (
            "Say why the answer needs longer"
            in browser.driver.find_element(By.CSS_SELECTOR, ".errorlist").text
        )
        browser.fill("reason", REASON)
        browser.save_screenshot(SCREENSHOTS / "extension-request-form-en.png", window_only=True)
        browser.apply()

        assert browser.path == case_page
        assert "waits for approval" in " ".join(browser.messages())
        assert "Extension waiting for approval" in panel(browser) and REASON in panel(browser)
        assert "Approve extension" not in browser.buttons()

    browser.log_in(supervisor)
    with browser.window(*LAPTOP):
        browser.visit(case_page)
        assert {"Approve extension", "Refuse extension"} <= set(browser.buttons())
        browser.save_screenshot(SCREENSHOTS / "extension-pending-en.png", window_only=True)
        browser.press("Approve extension")
        browser.fill("note", "A complex case: the card scheme's trace takes weeks.")
        browser.apply()

        assert browser.path == case_page
        assert resolution_due(browser) == f"Resolution: {due_60}"
        assert "Extension granted" in panel(browser) and due_60 in panel(browser)
        browser.save_screenshot(SCREENSHOTS / "extension-approved-en.png", window_only=True)
    assert ExtensionRequest.objects.get().state == ExtensionState.APPROVED

    # The same in Chinese, on a second complaint.
    second = received_complaint(agent, deployment_regime())
    second_page = f"/admin/complaints/complaint/{second.pk}/change/"
    browser.log_in(agent)
    browser.use_language("zh-hans")
    with browser.window(*LAPTOP):
        browser.visit(second_page)
        browser.press("申请延期")
        assert (
            "须经投诉处理负责人批准"
            in browser.driver.find_element(By.CSS_SELECTOR, ".case-action-form__help").text
        )
        browser.fill("reason", REASON_ZH)
        browser.save_screenshot(SCREENSHOTS / "extension-request-form-zh.png", window_only=True)
        browser.apply()
        assert "延期待审批" in panel(browser)
    browser.log_in(supervisor)
    browser.use_language("zh-hans")
    with browser.window(*LAPTOP):
        browser.visit(second_page)
        browser.save_screenshot(SCREENSHOTS / "extension-pending-zh.png", window_only=True)
        browser.press("批准延期")
        browser.apply()
        assert "延期已批准" in panel(browser)
        browser.save_screenshot(SCREENSHOTS / "extension-approved-zh.png", window_only=True)
    assert fresh(second).sla_clock.resolution_due_at == DAY_60
