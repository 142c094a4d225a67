"""A complaint whose customer wrote in and gave no phone yet, as the agent sees it at
1366 x 768: the case list and My work show the masked e-mail and "no phone yet", and
the identity verification asks for the phone. Screenshots in English and Chinese under
``VAR_DIR/screenshots/phoneless/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "phoneless"
OVERFLOW = (
    "const results = document.querySelector('#changelist .results');"
    "return Math.max(document.documentElement.scrollWidth - window.innerWidth,"
    " results ? results.scrollWidth - results.clientWidth : 0);"
)


def test_the_agent_sees_who_has_no_phone_yet_and_records_it_when_verifying(browser, agent):
    register(agent, customer_name="Li Wei")
    complaint = register(
        agent,
        channel="email",
        category="other",
        customer_name="Wang Fang",
        customer_phone="",
        customer_email="wang.fang@example.com",
        preferred_channel="email",
    )
    step = f"/admin/complaints/complaint/{complaint.pk}/step/verify-identity/"

    with browser.window(1366, 768):
        browser.log_in(agent)
        seen = {}
        for language, no_phone in (("en", "(no phone yet)"), ("zh-hans", "（尚无电话）")):  # noqa: RUF001
            browser.use_language(language)
            browser.visit("/admin/complaints/complaint/")
            assert "w***@example.com" in browser.text() and no_phone in browser.text()
            assert browser.driver.execute_script(OVERFLOW) <= 0
            browser.save_screenshot(SHOTS / f"list-{language}.png", window_only=True)
            browser.visit(reverse("admin-my-work"))
            assert no_phone in browser.text()
            browser.save_screenshot(SHOTS / f"my-work-{language}.png", window_only=True)
            browser.visit(step)
            seen[language] = browser.text()
            browser.save_screenshot(SHOTS / f"verify-{language}.png", window_only=True)
        browser.use_language("en")
        browser.visit(step)
        browser.choose("method", "security questions")
        browser.fill("customer_phone", "139 0000 2222")
        browser.press("Record identity verification")

    assert "Not on file yet: ask the caller for it" in seen["en"]
    assert "档案中尚无电话" in seen["zh-hans"]
    complaint.refresh_from_db()
    assert (complaint.customer_phone, complaint.identity_verification_method) == (
        "+8613900002222",
        "security_questions",
    )
