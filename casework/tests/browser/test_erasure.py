"""An erasure request clicked through the admin on a laptop's screen, in English and in
Chinese: the agent records it from the customer's page (refused first without the identity
check, what was typed kept), the supervisor who did not record it approves, and the page
shows what was erased and what is kept until when. Screenshots in
``VAR_DIR/screenshots/erasure/``, to be looked at."""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from casework.models import ErasureRequest, ErasureState
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "erasure"
PHONE = "+8613612340000"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_recorded_from_the_customer_page_and_approved_by_someone_else(browser, agent, supervisor, language):
    old = complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE)
    Complaint.objects.filter(pk=old.pk).update(updated_at=timezone.now() - relativedelta(months=61))
    recent = complaint_in_state(State.CLOSED, agent=agent, customer_phone=PHONE)
    chinese = language == "zh-hans"

    browser.log_in(agent)
    browser.use_language(language)
    with browser.window(1366, 768):
        browser.visit(f"/admin/customers/{old.customer_id}/")
        browser.follow("登记删除请求" if chinese else "Record an erasure request")
        browser.choose("received_via", "热线来电" if chinese else "hotline call")
        browser.fill("request_text", "请删除你们保存的我的全部个人信息。")
        browser.fill("reply_address", PHONE)
        browser.press("登记请求" if chinese else "Record the request")
        # Refused without the identity check; what was typed is still there.
        assert ("请先核验客户身份" if chinese else "Verify the customer's identity") in browser.text()
        typed = browser.driver.find_element("name", "request_text").get_attribute("value")
        assert typed == "请删除你们保存的我的全部个人信息。"
        browser.save_screenshot(SHOTS / f"record-refused-{language}.png")
        browser.driver.find_element("name", "identity_verified").click()
        browser.press("登记请求" if chinese else "Record the request")
        request = ErasureRequest.objects.get()
        assert request.reference in browser.messages()[0]
        # The agent may not decide on it.
        assert not any(label in browser.buttons() for label in ("Approve", "批准"))
        browser.save_screenshot(SHOTS / f"recorded-{language}.png")

        browser.log_in(supervisor)
        browser.use_language(language)
        browser.visit(f"/admin/casework/erasurerequest/{request.pk}/change/")
        browser.save_screenshot(SHOTS / f"to-decide-{language}.png")
        browser.press("批准" if chinese else "Approve")
        request.refresh_from_db()
        assert request.state == ErasureState.EXECUTED
        text = browser.text()
        assert old.reference in text and recent.reference in text
        browser.save_screenshot(SHOTS / f"executed-{language}.png")

        browser.visit("/admin/casework/erasurerequest/")
        assert request.reference in browser.text()
        browser.save_screenshot(SHOTS / f"list-{language}.png", window_only=True)
