"""A supervisor writes a reply template at 1366 x 768: a wrong placeholder is refused next to
the text, the saved template shows its preview with made-up values and what its SMS costs.
Screenshots in English and Chinese go to ``VAR_DIR/screenshots/templates/``."""

# ruff: noqa: RUF001  (Chinese punctuation in the texts a supervisor types)
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from casework.models import MessageTemplate

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "templates"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_supervisor_writes_a_template_and_previews_it(browser, supervisor, language):
    with browser.window(1366, 768):
        browser.log_in(supervisor)
        browser.use_language(language)
        browser.visit("/admin/casework/messagetemplate/add/")
        browser.driver.find_element(By.CSS_SELECTOR, "#id_purpose option[value='reply']").click()
        browser.fill("code", "ask-for-screenshot")
        browser.fill("title", "请提供截图" if language == "zh-hans" else "Ask for a screenshot")
        browser.driver.find_element(By.CSS_SELECTOR, f"#id_language option[value='{language}']").click()
        browser.fill("body", "Dear {customer}, about {reference}")
        browser._load(browser.driver.find_element(By.CSS_SELECTOR, "input[name=_continue]").click)

        error = browser.driver.find_element(By.CSS_SELECTOR, ".field-body .errorlist").text
        assert "{customer}" in error
        assert not MessageTemplate.objects.exists()

        body = (
            "您好，{customer_name}：\n\n关于投诉 {reference}，请回复此邮件并附上付款页面的截图。"
            "\n\n客服 {agent_name}"
            if language == "zh-hans"
            else "Dear {customer_name},\n\nAbout {reference}: please reply with a screenshot"
            " of the payment page."
            "\n\n{agent_name}, customer service"
        )
        field = browser.driver.find_element(By.NAME, "body")
        field.clear()
        field.send_keys(body)
        browser.fill(
            "sms_body",
            "{reference}：请回复付款截图。"
            if language == "zh-hans"
            else "{reference}: please send us a screenshot.",
        )
        browser._load(browser.driver.find_element(By.CSS_SELECTOR, "input[name=_continue]").click)

        preview = browser.driver.find_element(By.CSS_SELECTOR, ".template-preview").text
        assert "TS-2026-000123" in preview
        assert ("王芳" if language == "zh-hans" else "Wang Fang") in preview
        assert ("分 1 条短信" if language == "zh-hans" else "sent as 1 SMS") in preview
        template = MessageTemplate.objects.get()
        assert template.history.first().history_user == supervisor
        browser.driver.execute_script("document.querySelector('.template-preview').scrollIntoView()")
        browser.save_screenshot(SHOTS / f"template-{language}.png", window_only=True)
