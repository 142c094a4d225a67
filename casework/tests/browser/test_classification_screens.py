"""The classification at a laptop's 1366 x 768, in English and Chinese: the resolve page
asking for the codes (pre-filled, a refusal next to its field), the case page's
Classification section, and the codes' own list. Screenshots go to
``VAR_DIR/screenshots/classification/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "classification"
LAPTOP = (1366, 768)


def selected(browser, name: str) -> str:
    return Select(browser.driver.find_element(By.NAME, name)).first_selected_option.text


def error_of(browser, name: str) -> str:
    return browser.driver.find_element(By.CSS_SELECTOR, f".form-row.field-{name} .errorlist").text


def test_an_agent_resolves_with_the_codes_and_reads_them_on_the_case(browser, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    case_page = f"/admin/complaints/complaint/{complaint.pk}/change/"
    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit(case_page)
        browser.press("Resolve")
        assert (selected(browser, "business_type"), selected(browser, "cause")) == (
            "B01 Payment",
            "C03 System failure",
        )
        browser.choose("code", "refunded or credited")
        browser.fill("summary", "The duplicate debit of 88.00 CNY went back to the balance.")
        browser.choose("outcome", "upheld")
        browser.choose("product", "P03 QR code payment")
        browser.choose("root_cause", "R01 System or technical defect")
        browser.apply()  # no redress: refused next to it, the rest kept
        assert error_of(browser, "redress_amount") == (
            "The customer was refunded or credited: give the redress paid, in CNY."
        )
        assert selected(browser, "product") == "P03 QR code payment"
        bottom, height = browser.driver.execute_script(
            "window.scrollTo(0, 0);"
            "const row = document.querySelector('.submit-row');"
            "return [row.getBoundingClientRect().bottom, window.innerHeight];"
        )
        # The form scrolls at a laptop's height; its buttons are below the fields, a scroll away.
        assert bottom < 2 * height, f"the Resolve button ends at {bottom} px, two windows down"
        browser.save_screenshot(SHOTS / "resolve-refused-en.png", window_only=True)

        browser.fill("redress_amount", "88.00")
        browser.apply()
        assert browser.messages() == [f"{complaint.reference}: resolve done; it is now resolved."]
        stored = Complaint.objects.get(pk=complaint.pk)
        assert (stored.product.code, stored.root_cause.code, str(stored.redress_amount)) == (
            "P03",
            "R01",
            "88.00",
        )
        section = browser.driver.find_element(By.XPATH, "//fieldset[h2[normalize-space()='Classification']]")
        browser.driver.execute_script("arguments[0].scrollIntoView()", section)
        assert "H01 Phone hotline" in section.text and "88.00" in section.text
        browser.save_screenshot(SHOTS / "case-classification-en.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit(case_page)
        section = browser.driver.find_element(By.XPATH, "//fieldset[h2[normalize-space()='分类']]")
        browser.driver.execute_script("arguments[0].scrollIntoView()", section)
        assert "H01 电话热线" in section.text and "投诉成立" in section.text
        browser.save_screenshot(SHOTS / "case-classification-zh-hans.png", window_only=True)


def test_the_resolve_page_in_chinese(browser, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    browser.log_in(agent)
    browser.use_language("zh-hans")
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/transition/resolve/")
        assert selected(browser, "business_type") == "B01 支付业务"
        browser.choose("code", "已更正")
        browser.fill("summary", "已冲正重复扣款。")
        browser.apply()  # no product: refused next to it, in Chinese
        assert error_of(browser, "product") == "请选择产品。"
        browser.save_screenshot(SHOTS / "resolve-refused-zh-hans.png", window_only=True)


def test_a_supervisor_reads_the_codes_list(browser, agent, supervisor):
    complaint_in_state(State.IN_PROGRESS, agent=agent)
    browser.log_in(supervisor)
    with browser.window(*LAPTOP):
        browser.visit("/admin/complaints/classificationcode/?dimension__exact=business_type")
        assert browser.changelist_rows()[0].startswith("B01")
        browser.save_screenshot(SHOTS / "codes-en.png", window_only=True)
        browser.use_language("zh-hans")
        browser.visit("/admin/complaints/classificationcode/?dimension__exact=cause")
        browser.save_screenshot(SHOTS / "codes-zh-hans.png", window_only=True)
