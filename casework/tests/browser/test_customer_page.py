# ruff: noqa: RUF001
"""The customer's page at 1366 x 768, in English and Chinese: from a case page's link to the
customer's cases of every type, a reveal with its reason, and the search by phone.
Screenshots go to ``VAR_DIR/screenshots/customers/``, to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from casework.models import CustomerIdentifier, RevealLog
from casework.tests.admin import admin_url
from casework.tests.customer_story import ACCOUNT, customer_with_every_case_type
from casework.tests.masked_numbers import reveal_url

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "customers"
OVERFLOW = "return document.documentElement.scrollWidth - window.innerWidth;"


def test_the_customer_page_from_a_case_in_english_and_chinese(browser, agent, supervisor, refunds_desk):
    story = customer_with_every_case_type(agent=agent, reviewer=supervisor, desk=refunds_desk)

    with browser.window(1366, 768):
        browser.log_in(agent)
        browser.visit(admin_url(story["refund"]))
        browser.follow("All cases of this customer (5)")
        assert browser.path == f"/admin/customers/{story['customer'].pk}/"
        shown = [
            cell.text for cell in browser.driver.find_elements(By.CSS_SELECTOR, ".customer-case__reference")
        ]
        assert len(shown) == 5 and story["other"].reference not in browser.text()
        assert browser.driver.execute_script(OVERFLOW) <= 0, "the customer's page scrolls sideways"
        browser.save_screenshot(SHOTS / "en-customer.png", window_only=True)
        browser.save_screenshot(SHOTS / "en-customer-full.png")

        # Reveal the account number with a reason, as on a case page.
        account = CustomerIdentifier.objects.get(value=ACCOUNT)
        button = browser.driver.find_element(
            By.CSS_SELECTOR, f'button[data-reveal-url="{reveal_url(account, "value")}"]'
        )
        button.click()
        prompt = browser.driver.switch_to.alert
        prompt.send_keys("Calling the customer back")
        prompt.accept()
        revealed = WebDriverWait(browser.driver, 10).until(
            lambda driver: driver.find_element(
                By.CSS_SELECTOR, ".customer-identifier .personal-data.revealed"
            )
        )
        assert revealed.text == ACCOUNT
        browser.save_screenshot(SHOTS / "en-customer-revealed.png", window_only=True)
        assert RevealLog.objects.get().reason == "Calling the customer back"

        browser.visit("/admin/customers/")
        browser.fill("phone", "12345")
        browser.press("Find the customer")
        assert "Enter a valid phone number" in browser.text()
        browser.save_screenshot(SHOTS / "en-search-refused.png", window_only=True)
        browser.fill("phone", "+86 139 1100 2233")
        browser.press("Find the customer")
        assert browser.path == f"/admin/customers/{story['customer'].pk}/"

        browser.use_language("zh-hans")
        browser.visit(f"/admin/customers/{story['customer'].pk}/")
        assert browser.driver.execute_script(OVERFLOW) <= 0, "the Chinese page scrolls sideways"
        browser.save_screenshot(SHOTS / "zh-customer.png", window_only=True)
        browser.visit("/admin/customers/?account_number=WLT-0000-0000")
        browser.save_screenshot(SHOTS / "zh-search-not-found.png", window_only=True)
        browser.visit(admin_url(story["locked"]))
        assert "该客户的全部案件（5）" in browser.text()
        browser.save_screenshot(SHOTS / "zh-case-link.png", window_only=True)
