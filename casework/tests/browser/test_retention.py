"""Retention in the admin on a laptop's screen, in English and in Chinese: the periods with
their legal basis, a period's page, the subject-access form refusing a missing reason, and
the pseudonymisation log after a sweep. Screenshots in ``VAR_DIR/screenshots/retention/``,
to be looked at."""

from __future__ import annotations

import pytest
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone

from casework.models import RetentionPolicy
from casework.privacy import retention
from complaints.models import State
from complaints.tests.factories import complaint_in_state

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "retention"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_periods_the_export_form_and_the_log(browser, supervisor, agent, language):
    complaint_in_state(State.REJECTED, agent=agent, account_number="6222000011112222")
    retention.run(timezone.now() + relativedelta(months=61))
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, account_number="6222000033334444")
    policy = RetentionPolicy.objects.get(record_type="complaint")
    browser.log_in(supervisor)
    browser.use_language(language)
    with browser.window(1366, 768):
        browser.visit("/admin/casework/retentionpolicy/")
        text = browser.text()
        assert ("保存期限" in text) == (language == "zh-hans")
        assert "60" in text
        browser.save_screenshot(SHOTS / f"periods-{language}.png", window_only=True)

        browser.visit(f"/admin/casework/retentionpolicy/{policy.pk}/change/")
        assert "PIPL art. 19" in browser.text()
        browser.save_screenshot(SHOTS / f"period-{language}.png")

        browser.visit("/admin/casework/retentionpolicy/subject-access/")
        browser.fill("account_number", complaint.account_number)
        browser.fill("reason", "   ")  # past the browser's own check: the server refuses it
        browser.press("导出为 JSON" if language == "zh-hans" else "Export as JSON")
        required = "该字段是必填项。" if language == "zh-hans" else "This field is required."
        assert required in browser.text()
        browser.save_screenshot(SHOTS / f"export-refused-{language}.png")

        browser.visit("/admin/casework/pseudonymisationlog/")
        rows = browser.changelist_rows()
        assert len(rows) == 1
        browser.save_screenshot(SHOTS / f"log-{language}.png", window_only=True)
