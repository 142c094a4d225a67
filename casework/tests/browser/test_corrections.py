"""A supervisor corrects a complaint's category with a reason (issue 15, item 5), at a
laptop's size: the step from the case page's header, the form prefilled, a refusal next to
the field, then the new category and the new deadline on the header and the change on the
timeline, in English and in Chinese. Screenshots go to ``VAR_DIR/screenshots/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints.models import Complaint
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.VAR_DIR / "screenshots"
LAPTOP = (1366, 768)
STEP = "Correct category, priority or channel"
REASON = "The caller is asking about a refund the merchant never paid, not a failed payment."


def header(browser) -> str:
    return browser.driver.find_element(By.CSS_SELECTOR, ".case-header").text


def resolution_due(browser) -> str:
    """The resolution deadline's exact time, as its countdown's tooltip gives it."""
    shown = browser.driver.find_elements(By.CSS_SELECTOR, ".case-header .deadline")
    return shown[1].get_attribute("title")


def selected(browser, name: str) -> str:
    return Select(browser.driver.find_element(By.NAME, name)).first_selected_option.text


def test_a_supervisor_corrects_the_category_and_sees_the_new_deadline(browser, agent, supervisor):
    complaint = register(agent)
    case_page = f"/admin/complaints/complaint/{complaint.pk}/change/"
    browser.log_in(supervisor)
    with browser.window(*LAPTOP):
        browser.visit(case_page)
        assert "Category: transaction failed or abnormal" in header(browser)
        before = resolution_due(browser)
        top, window_height = browser.button_top(STEP)
        assert 0 <= top < window_height, f"{STEP!r} starts at {top} px, below the window"

        browser.press(STEP)
        assert (selected(browser, "category"), selected(browser, "priority")) == (
            "transaction failed or abnormal",
            "normal",
        )
        browser.save_screenshot(SCREENSHOTS / "correction-form-en.png", window_only=True)

        # Nothing changed: refused next to the category, the reason kept.
        browser.fill("reason", REASON)
        browser.apply()
        assert "Nothing to correct" in browser.driver.find_element(By.CSS_SELECTOR, ".errorlist").text
        assert browser.driver.find_element(By.NAME, "reason").get_attribute("value") == REASON
        browser.save_screenshot(SCREENSHOTS / "correction-form-refused-en.png", window_only=True)

        browser.choose("category", "refund not processed")
        browser.choose("priority", "urgent")
        browser.apply()

        assert browser.path == case_page
        complaint = Complaint.objects.get(pk=complaint.pk)
        due = timezone.localtime(complaint.sla_clock.resolution_due_at)
        assert browser.messages() == [
            f"{complaint.reference} corrected: refund not processed, urgent priority, by phone hotline; "
            f"resolution due {due:%Y-%m-%d %H:%M}."
        ]
        shown = header(browser)
        assert "Category: refund not processed" in shown and "Priority: urgent" in shown
        # The regime (PBOC) sets the decision limit, whatever the priority: the deadline the
        # page shows is the clock's, recomputed on the corrected policy and the same regime.
        assert resolution_due(browser) == f"Resolution: {due:%Y-%m-%d %H:%M}" == before
        browser.save_screenshot(SCREENSHOTS / "correction-case-page-en.png", window_only=True)
        assert (
            "transition",
            supervisor.get_username(),
            "Category changed from transaction failed or abnormal to refund not processed; "
            "Priority changed from normal to urgent",
            REASON,
        ) in browser.timeline()

        browser.use_language("zh-hans")
        browser.visit(case_page)
        shown = header(browser)
        assert "类别： 退款未处理" in shown and "优先级： 紧急" in shown  # noqa: RUF001 (Chinese colons)
        browser.save_screenshot(SCREENSHOTS / "correction-case-page-zh.png", window_only=True)
        events = [event for _kind, _who, event, _detail in browser.timeline()]
        # The Chinese semicolon between changes:
        assert "类别由“交易失败或异常”改为“退款未处理”；优先级由“普通”改为“紧急”" in events, events  # noqa: RUF001
        timeline = browser.driver.find_element(By.CSS_SELECTOR, ".field-timeline")
        timeline.screenshot(str(SCREENSHOTS / "correction-timeline-zh.png"))

        browser.visit(case_page)
        browser.press("更正类别、优先级或渠道")
        assert selected(browser, "category") == "退款未处理"
        browser.save_screenshot(SCREENSHOTS / "correction-form-zh.png", window_only=True)
