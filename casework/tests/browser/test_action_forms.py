"""A step's or transition's page at a laptop's size (issue 15, finished forms): one heading,
the case in short, the action's button and Cancel in the window without scrolling, an
error beside its field, in English and in Chinese; a refused step is the admin's own
"Not allowed" page with the way back to the case. Screenshots are kept in
``VAR_DIR/screenshots/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from complaints.models import State
from complaints.tests.factories import complaint_in_state, register
from refunds.models import RefundState
from refunds.tests.factories import refund_in_state

pytestmark = pytest.mark.browser

SCREENSHOTS = settings.VAR_DIR / "screenshots"
LAPTOP = (1366, 768)


def _in_window(browser, css: str) -> tuple[float, float, float]:
    """(top, bottom, the window's inner height) of the element ``css`` finds, unscrolled."""
    element = browser.driver.find_element(By.CSS_SELECTOR, css)
    return tuple(
        browser.driver.execute_script(
            "window.scrollTo(0, 0); const box = arguments[0].getBoundingClientRect();"
            "return [box.top, box.bottom, window.innerHeight];",
            element,
        )
    )


def test_a_transition_form_shows_its_button_and_cancel_without_scrolling(browser, agent):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        browser.press("Escalate")
        assert [h1.text for h1 in browser.driver.find_elements(By.TAG_NAME, "h1")] == [
            f"Escalate — {complaint.reference}"
        ]
        summary = browser.driver.find_element(By.CSS_SELECTOR, ".case-summary").text
        assert complaint.reference in summary and "in progress" in summary
        for css in ("#case-action-form input.default", "#case-action-form a.closelink"):
            top, bottom, height = _in_window(browser, css)
            assert top >= 0 and bottom <= height, f"{css} spans {top}-{bottom} px in a {height} px window"
        assert (
            browser.driver.find_element(By.CSS_SELECTOR, "#case-action-form input.default").get_attribute(
                "value"
            )
            == "Escalate"
        )
        browser.save_screenshot(SCREENSHOTS / "transition-form-en.png", window_only=True)

        browser.follow("Cancel")
        assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"


@pytest.mark.parametrize(
    ("language", "required", "button"),
    [("en", "This field is required.", "Add evidence"), ("zh-hans", "该字段是必填项。", "添加证据")],
)
def test_a_step_form_puts_the_error_beside_the_field(
    browser, agent, refunds_desk, language, required, button
):
    case = refund_in_state(RefundState.UNDER_REVIEW, agent=agent, desk=refunds_desk)
    browser.log_in(refunds_desk)
    browser.use_language(language)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/refunds/refundcase/{case.pk}/step/add-evidence/")
        browser.fill("note", "Bank slip of the payment")
        browser.apply()  # no file chosen
        errors = browser.driver.find_element(By.CSS_SELECTOR, ".form-row.field-file .errorlist").text
        assert errors == required
        assert (
            browser.driver.find_element(By.NAME, "note").get_attribute("value") == "Bank slip of the payment"
        )
        assert not browser.driver.find_elements(By.CSS_SELECTOR, "p.errornote")
        submit = browser.driver.find_element(By.CSS_SELECTOR, "#case-action-form input.default")
        assert submit.get_attribute("value") == button
        _top, bottom, height = _in_window(browser, "#case-action-form a.closelink")
        assert bottom <= height, f"Cancel ends at {bottom} px in a {height} px window"
        browser.save_screenshot(SCREENSHOTS / f"step-form-error-{language}.png", window_only=True)


def test_a_step_refused_as_a_whole_says_so_above_the_form(browser, agent, supervisor):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent)
    browser.log_in(supervisor)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/step/reassign/")
        browser.fill("reason", "Going on leave")
        browser.apply()  # neither an agent nor a team
        assert (
            browser.driver.find_element(By.CSS_SELECTOR, "p.errornote").text == "Choose an agent or a team."
        )
        assert browser.driver.find_element(By.NAME, "reason").get_attribute("value") == "Going on leave"
        browser.save_screenshot(SCREENSHOTS / "step-form-top-error-en.png", window_only=True)


def test_a_refused_step_is_the_admins_not_allowed_page_with_the_way_back(browser, agent, auditor):
    complaint = register(agent)
    browser.log_in(auditor)
    with browser.window(*LAPTOP):
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/step/verify-identity/")
        assert "You do not have permission to record identity verification" in browser.refusal()
        assert browser.driver.find_elements(By.ID, "user-tools")  # the admin's own header
        browser.save_screenshot(SCREENSHOTS / "refused-step-en.png", window_only=True)
        browser.follow(f"Back to {complaint.reference}")
        assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"
        assert "Back to list" in browser.links()
