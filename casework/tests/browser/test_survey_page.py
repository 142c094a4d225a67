"""The customers' survey page on a phone (390 x 844), in Chinese and in English: the rating
tapped, the comment typed, the thank-you page; an expired link. Each page is photographed
into ``VAR_DIR/screenshots/survey/``, to be looked at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from complaints.models import State, SurveyResponse
from complaints.survey.links import survey_token
from complaints.survey.services import answer_survey
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "survey"
PHONE = (390, 844)


def fits_the_phone(browser) -> None:
    """Nothing scrolls sideways, and each rating is a large target."""
    driver = browser.driver
    assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    sizes = driver.execute_script(
        "return [...document.querySelectorAll('.survey-scale label')].map(l => l.getBoundingClientRect())"
        ".map(r => [r.width, r.height]);"
    )
    assert len(sizes) == 5
    assert all(width >= 300 and height >= 48 for width, height in sizes), sizes


def rating_checked(browser) -> str:
    return browser.driver.execute_script(
        "const c = document.querySelector('input[name=rating]:checked'); return c ? c.value : '';"
    )


def test_a_customer_rates_on_a_phone_in_chinese_and_english(browser, agent, settings):
    settings.SURVEY_LOW_SCORE_ACTION = "reopen"
    complaint = complaint_in_state(State.RESOLVED, agent=agent)  # the customer reads Chinese
    path = reverse("survey", kwargs={"token": survey_token(complaint)})
    with browser.window(*PHONE):
        browser.visit(path)
        assert browser.driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
        assert "您对我们的服务满意吗" in browser.text() and complaint.reference in browser.text()
        assert complaint.customer_name not in browser.text()
        fits_the_phone(browser)
        browser.save_screenshot(SHOTS / "form-zh.png")

        browser.follow("English", within="header")
        assert "How did we do?" in browser.text()
        fits_the_phone(browser)
        browser.save_screenshot(SHOTS / "form-en.png")

        # By keyboard: the ratings are one radio group, arrows move the choice.
        browser.driver.execute_script("document.getElementById('rating-3').focus()")
        ActionChains(browser.driver).send_keys(Keys.ARROW_DOWN).perform()
        assert rating_checked(browser) == "4"
        # By a tap on the button that reads 2.
        browser.driver.find_element(By.CSS_SELECTOR, "label[for=rating-2]").click()
        assert rating_checked(browser) == "2"
        browser.fill("comment", "The refund still has not arrived.")
        browser.save_screenshot(SHOTS / "form-en-chosen.png", window_only=True)
        browser.press("Send my answer", within="main")
        assert "Thank you" in browser.text()
        assert "We have reopened your complaint" in browser.text()
        browser.save_screenshot(SHOTS / "thanks-en.png")

        browser.follow("简体中文", within="header")
        assert "谢谢您" in browser.text() and "已重新打开您的投诉" in browser.text()
        browser.save_screenshot(SHOTS / "thanks-zh.png")

    assert SurveyResponse.objects.get(complaint=complaint).rating == 2
    complaint.refresh_from_db()
    assert complaint.state == State.IN_PROGRESS


def test_an_expired_link_reads_clearly_on_a_phone(browser, agent):
    complaint = complaint_in_state(State.RESOLVED, agent=agent)
    old = survey_token(complaint, issued_at=timezone.now() - dt.timedelta(days=settings.SURVEY_LINK_DAYS + 1))
    with browser.window(*PHONE):
        browser.visit(reverse("survey", kwargs={"token": old}))
        assert "此链接已过期" in browser.text()
        assert browser.driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        browser.save_screenshot(SHOTS / "expired-zh.png")


def test_the_supervisor_reads_csat_on_the_dashboard(browser, agent, supervisor, settings):
    settings.SURVEY_LOW_SCORE = 0  # figures only: nothing reopens
    for rating in (5, 4, 2):
        answer_survey(complaint=complaint_in_state(State.RESOLVED, agent=agent), rating=rating)
    browser.log_in(supervisor)
    browser.visit("/admin/")
    assert "Customer satisfaction (CSAT): 67%" in browser.text()
    panel = browser.driver.find_element(By.CSS_SELECTOR, ".dashboard-sla")
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "dashboard-csat.png").write_bytes(panel.screenshot_as_png)
