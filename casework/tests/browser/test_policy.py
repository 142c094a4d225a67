"""The site's Content-Security-Policy leaves every page working: the admin (AdminBrowser
checks each page it loads in every browser test), the login lockout page, and the partner
API's docs, Swagger UI and ReDoc, drawn in full."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser


def test_swagger_ui_and_redoc_draw_every_operation_under_the_policy(browser):
    browser.visit("/api/docs/")
    WebDriverWait(browser.driver, 30).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    )
    paths = {
        element.text for element in browser.driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    }
    assert "/api/v1/complaints/" in paths
    browser.assert_no_policy_violations()

    browser.visit("/api/redoc/")
    WebDriverWait(browser.driver, 30).until(lambda driver: "/api/v1/complaints/" in driver.page_source)
    assert "Wallet complaints back office" in browser.text()
    # The policy keeps the docs offline: the one thing refused is ReDoc's own "powered by"
    # logo, which it would fetch from its vendor's site.
    refused = browser.policy_violations()
    assert all("cdn.redoc.ly" in message for message in refused), refused


def test_the_admin_index_and_language_choice_work_under_the_policy(browser, supervisor):
    browser.log_in(supervisor)
    browser.visit("/admin/")
    old = browser.driver.find_element(By.TAG_NAME, "html")
    browser.driver.find_element(By.CSS_SELECTOR, "#language-choice option[value='zh-hans']").click()
    WebDriverWait(browser.driver, 15).until(lambda driver: old != driver.find_element(By.TAG_NAME, "html"))
    WebDriverWait(browser.driver, 15).until(
        lambda driver: "后台" in driver.title or "案件" in driver.page_source
    )
    browser.assert_no_policy_violations()
