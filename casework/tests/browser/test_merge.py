"""Merging a duplicate complaint (issue 18, item 3) at a laptop's size: the agent opens
*Merge* on the second complaint of the same customer, is offered the first (the phone
masked), refused without a reason next to the field, merges, and lands on the survivor,
which says "Merged from"; the merged complaint says "Merged into". In English and in
Chinese. Screenshots go to ``VAR_DIR/screenshots/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from complaints.models import Complaint, State
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.VAR_DIR / "screenshots"
LAPTOP = (1366, 768)


def page_of(complaint: Complaint) -> str:
    return f"/admin/complaints/complaint/{complaint.pk}/change/"


def header(browser) -> str:
    return browser.driver.find_element(By.CSS_SELECTOR, ".case-header").text


def merge(browser, duplicate: Complaint, survivor: Complaint, *, label: str, reason: str, lang: str) -> None:
    browser.visit(page_of(duplicate))
    browser.press(label)
    text = browser.text()
    assert survivor.reference in text and "+86 138 **** 8666" in text and "0013" not in text
    browser.apply()  # nothing chosen, no reason: refused next to the fields
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, ".errorlist")) == 2
    browser.driver.find_element(By.CSS_SELECTOR, f'input[name="into"][value="{survivor.pk}"]').click()
    browser.fill("reason", reason)
    browser.save_screenshot(SCREENSHOTS / f"merge-form-{lang}.png", window_only=True)
    browser.apply()
    assert browser.path == page_of(survivor)


def test_an_agent_merges_a_duplicate_and_both_pages_link(browser, agent):
    details = {"customer_phone": "13800138666", "account_number": "6222000011116666"}
    survivor, duplicate = register(agent, **details), register(agent, **details)

    browser.log_in(agent)
    with browser.window(*LAPTOP):
        merge(
            browser, duplicate, survivor, label="Merge", reason="Called twice about one payment.", lang="en"
        )
        assert f"merged into {survivor.reference}" in " ".join(browser.messages())
        assert f"Merged from: {duplicate.reference}" in header(browser)
        browser.save_screenshot(SCREENSHOTS / "merge-survivor-en.png", window_only=True)
        browser.visit(page_of(duplicate))
        assert f"Merged into: {survivor.reference}" in header(browser)
        assert f"the work goes on in {survivor.reference}" in header(browser)
        assert "Merge" not in browser.buttons()
        browser.save_screenshot(SCREENSHOTS / "merge-merged-en.png", window_only=True)
    assert Complaint.objects.get(pk=duplicate.pk).state == State.MERGED

    # The same in Chinese, on two more complaints of another customer.
    details = {"customer_phone": "13900138666", "account_number": "6222000011116667"}
    survivor, duplicate = register(agent, **details), register(agent, **details)
    browser.use_language("zh-hans")
    with browser.window(*LAPTOP):
        browser.visit(page_of(duplicate))
        browser.press("合并")
        text = browser.text()
        assert survivor.reference in text and "+86 139 **** 8666" in text
        browser.driver.find_element(By.CSS_SELECTOR, f'input[name="into"][value="{survivor.pk}"]').click()
        browser.fill("reason", "客户就同一笔付款来电两次。")
        browser.save_screenshot(SCREENSHOTS / "merge-form-zh.png", window_only=True)
        browser.apply()
        assert browser.path == page_of(survivor)
        assert "合并自" in header(browser) and duplicate.reference in header(browser)
        browser.visit(page_of(duplicate))
        assert survivor.reference in header(browser) and "已合并至" in header(browser)
        browser.save_screenshot(SCREENSHOTS / "merge-merged-zh.png", window_only=True)
