"""An agent writes to the customer at 1366 x 768: "Reply to the customer" in the case's
header, a reply template filled for this complaint, an edit, Send; the case page says it
went and the timeline shows it. Screenshots in English and Chinese under
``VAR_DIR/screenshots/customer-reply/``."""

from __future__ import annotations

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from casework.models import CustomerMessage, MessageTemplate
from complaints.models import State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "customer-reply"
TEMPLATES = {
    "en": (
        "Ask for a screenshot",
        "{reference}: please reply with a screenshot of the payment page. {agent_name}",
    ),
    "zh-hans": ("请客户提供截图", "{reference}：请回复付款页面截图，谢谢。{agent_name}"),  # noqa: RUF001
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_agent_replies_from_a_template_without_scrolling(browser, agent, settings, language):
    settings.CUSTOMER_QUIET_HOURS = ""
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, customer_language=language)
    title, sms = TEMPLATES[language]
    MessageTemplate.objects.create(
        purpose="reply", code="screenshot", title=title, language=language, body=sms, sms_body=sms
    )

    with browser.window(1366, 768):
        browser.log_in(agent)
        agent.first_name = "Wang"  # signs the reply (after the login, which looks for the user name)
        agent.save()
        browser.use_language(language)
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        label = "回复客户" if language == "zh-hans" else "Reply to the customer"
        top, height = browser.button_top(label)
        assert top < height, "the reply button is in the first screen"
        browser.press(label)
        browser.follow(title)
        text = browser.driver.find_element(By.NAME, "text")
        assert text.get_attribute("value").startswith(complaint.reference)
        text.send_keys(" 8")
        send = browser.driver.find_element(By.CSS_SELECTOR, "input[name=_apply]")
        assert send.rect["y"] + send.rect["height"] <= 768, "Send is in the first screen"
        browser.save_screenshot(SHOTS / f"reply-form-{language}.png", window_only=True)
        browser._load(send.click)

        assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"
        browser.save_screenshot(SHOTS / f"replied-{language}.png", window_only=True)

    [message] = CustomerMessage.objects.filter(case_reference=complaint.reference, kind="staff_reply")
    assert message.body_text.endswith("Wang 8") and message.template_code == "screenshot"
    assert message.channel == "sms"
