"""The customer's messages on the case page's timeline, as a supervisor reads them: what
was told, on which channel, to whom (masked), and how it stands (sent at, held for quiet
hours). Screenshots in English and Chinese under ``VAR_DIR/screenshots/customer-notices/``."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from casework.notices import outbox
from complaints import services
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "customer-notices"


def test_the_timeline_shows_each_customer_message_masked_with_its_status(
    holding_reply_regime, browser, agent, supervisor, settings
):
    settings.CUSTOMER_QUIET_HOURS = ""
    complaint = register(agent, customer_phone="13800138000")
    services.verify_identity(complaint=complaint, actor=agent, method="callback")
    services.accept_complaint(complaint=complaint, actor=agent)
    services.start_complaint(complaint=complaint, actor=agent)
    [outbox.deliver(pk) for pk in outbox.due_for_retry(timezone.now() + outbox.FIRST_RETRY_AFTER)]
    now = timezone.now().astimezone(ZoneInfo(settings.CUSTOMER_TIME_ZONE))
    settings.CUSTOMER_QUIET_HOURS = f"{now - dt.timedelta(hours=1):%H:%M}-{now + dt.timedelta(hours=1):%H:%M}"
    services.send_holding_response(
        complaint=complaint, actor=agent, holding_response="The merchant's acquirer must trace the payment."
    )

    with browser.window(1366, 768):
        browser.log_in(supervisor)
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        told = [row for row in browser.timeline() if row[0] == "customer message"]
        browser.driver.execute_script(
            "document.querySelector('tr.timeline-customer-message').scrollIntoView({block: 'center'})"
        )
        browser.save_screenshot(SHOTS / "timeline-en.png", window_only=True)
        browser.use_language("zh-hans")
        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        chinese = [row for row in browser.timeline() if row[0] == "客户往来消息"]
        browser.driver.execute_script(
            "document.querySelector('tr.timeline-customer-message').scrollIntoView({block: 'center'})"
        )
        browser.save_screenshot(SHOTS / "timeline-zh-hans.png", window_only=True)

    [acceptance, extension] = told
    assert acceptance[2] == "Acceptance notice by SMS to +86 138 **** 8000"
    assert acceptance[3].startswith("sent ")
    assert extension[2] == "Extension notice by SMS to +86 138 **** 8000"
    assert extension[3].startswith("held for quiet hours until ")
    assert "13800138000" not in browser.text()
    assert chinese[0][2] == "受理通知，经短信发送至 +86 138 **** 8000"  # noqa: RUF001
