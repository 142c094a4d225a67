"""Repeat complaints as staff see them (issue 18, item 2): the intake form lists the
caller's open and recent complaints as the phone and category are typed, likely duplicates
marked; the complaint's page says what it repeats; the dashboard shows the repeat rate by
category and channel. Screenshots, English and Chinese, in ``VAR_DIR/screenshots/repeats/``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from complaints.models import Complaint
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "repeats"
LAPTOP = (1366, 768)
ZHANG_SAN = {
    "customer_name": "Zhang San",
    "customer_phone": "13912345678",
    "account_number": "6222000099998888",
}


def _earlier_complaints(agent) -> list[Complaint]:
    now = timezone.now()
    return [
        register(
            agent,
            **ZHANG_SAN,
            transaction_reference="TX2026030200045",
            received_at=now - dt.timedelta(days=6),
            description="Paid 45 yuan at FamilyMart; the app says failed but the money left my balance.",
        ),
        register(
            agent,
            **ZHANG_SAN,
            transaction_reference="TX2026030200045",
            received_at=now - dt.timedelta(hours=20),
            description="Still no refund of the 45 yuan from FamilyMart, I called yesterday too.",
        ),
    ]


def _panel_lists(browser, count: int) -> list[str]:
    def listed(driver):
        panel = driver.find_element(By.CSS_SELECTOR, ".intake-related")
        items = panel.find_elements(By.CSS_SELECTOR, ".intake-related__cases li a")
        return panel.is_displayed() and len(items) == count and [item.text for item in items]

    return WebDriverWait(browser.driver, 10).until(listed)


def _type_the_caller(browser, channel: str, category: str) -> None:
    browser.choose("channel", channel)
    browser.choose("category", category)
    browser.fill("customer_name", "Zhang San")
    browser.fill("customer_phone", "139 1234 5678")
    browser.fill("transaction_reference", "TX2026030200045")


def test_the_intake_form_shows_the_callers_related_complaints(browser, agent):
    earlier = _earlier_complaints(agent)
    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit("/admin/complaints/complaint/add/")
        assert not browser.driver.find_element(By.CSS_SELECTOR, ".intake-related").is_displayed()
        _type_the_caller(browser, "phone hotline", "transaction failed or abnormal")
        assert _panel_lists(browser, 2) == [earlier[1].reference, earlier[0].reference]
        # The panel answers each field as it is typed: wait for the answer to the last one,
        # the transaction reference (the older complaint is a duplicate by it alone).
        WebDriverWait(browser.driver, 10).until(
            lambda driver: "same transaction" in driver.find_element(By.CSS_SELECTOR, ".intake-related").text
        )
        panel = browser.driver.find_element(By.CSS_SELECTOR, ".intake-related").text
        assert (
            "This will be a repeat complaint: the customer's complaint no. 3 on this matter in 30 days."
            in panel
        )
        assert panel.count("likely duplicate") == 2 and "same transaction" in panel
        assert "139" not in panel and "6222" not in panel  # nothing personal
        link = browser.driver.find_element(By.CSS_SELECTOR, ".intake-related__cases li a")
        assert link.get_attribute("href").endswith(f"/admin/complaints/complaint/{earlier[1].pk}/change/")
        top, height = browser.button_top("Register")
        assert 0 <= top < height - 30
        browser.assert_no_policy_violations()
        browser.save_screenshot(SHOTS / "intake-en.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit("/admin/complaints/complaint/add/")
        _type_the_caller(browser, "电话热线", "交易失败或异常")
        _panel_lists(browser, 2)
        WebDriverWait(browser.driver, 10).until(
            lambda driver: driver.find_element(By.CSS_SELECTOR, ".intake-related").text.count("疑似重复单")
            == 2
        )
        panel = browser.driver.find_element(By.CSS_SELECTOR, ".intake-related").text
        assert "本次将是重复投诉" in panel and "疑似重复单" in panel
        browser.save_screenshot(SHOTS / "intake-zh-hans.png", window_only=True)


def test_the_case_page_and_the_dashboard_show_repeats(browser, agent, supervisor):
    earlier = _earlier_complaints(agent)
    repeat = register(agent, **ZHANG_SAN, transaction_reference="TX2026030200045", channel="chat")
    register(agent, category="slow_service", transaction_reference="")
    browser.log_in(supervisor)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{repeat.pk}/change/")
        box = browser.driver.find_element(By.CSS_SELECTOR, ".case-related").text
        assert f"Repeat of {earlier[0].reference}" in box and "Possible duplicates" in box
        browser.save_screenshot(SHOTS / "case-page-en.png", window_only=True)

        browser.visit("/admin/")
        panel = browser.driver.find_element(By.CSS_SELECTOR, "[data-panel=complaint-repeats]")
        browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", panel)
        assert "Repeat complaints: 25%" in panel.text  # 1 counted of 4 registered
        assert "Repeat rate by category" in panel.text and "Repeat rate by channel" in panel.text
        browser.assert_no_policy_violations()
        browser.save_screenshot(SHOTS / "dashboard-en.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit(f"/admin/complaints/complaint/{repeat.pk}/change/")
        browser.save_screenshot(SHOTS / "case-page-zh-hans.png", window_only=True)
        browser.visit("/admin/")
        panel = browser.driver.find_element(By.CSS_SELECTOR, "[data-panel=complaint-repeats]")
        browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", panel)
        assert "按类别的重复投诉率" in panel.text
        browser.save_screenshot(SHOTS / "dashboard-zh-hans.png", window_only=True)
