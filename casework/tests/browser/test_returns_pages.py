"""The regulatory returns at 1366 x 768, in English and in Chinese: from the dashboard to
each return's page; a table fits the width (nothing scrolls sideways) and a chart's bar
opens the complaints it counts. Screenshots go to ``VAR_DIR/screenshots/returns/``, to be
looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from complaints.tests.returns_data import pboc_set

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "returns"
OVERFLOW = "return document.documentElement.scrollWidth - window.innerWidth;"
PAGES = (
    ("monthly", "?period=2026-03"),
    ("disclosure", "?period=2026"),
    ("fca", "?period=2026-H1&regime=uk-disp"),
    ("cfpb", "?period=2026-03"),
)


def test_a_supervisor_reads_each_return_in_english_and_chinese(browser, supervisor, agent):
    pboc_set(agent)
    with browser.window(1366, 768):
        browser.log_in(supervisor)
        browser.follow("Regulatory returns:")
        assert browser.path == "/admin/returns/"
        for language in ("en", "zh-hans"):
            browser.use_language(language)
            for slug, query in PAGES:
                browser.visit(f"/admin/returns/{slug}/{query}")
                assert browser.driver.execute_script(OVERFLOW) <= 0, f"{slug} scrolls sideways in {language}"
                browser.save_screenshot(SHOTS / f"{slug}-{language}.png")
            browser.visit("/admin/returns/disclosure/print/?period=2026")
            browser.save_screenshot(SHOTS / f"disclosure-print-{language}.png")
        browser.use_language("en")
        browser.visit("/admin/returns/monthly/?period=2026-03")
        bar = browser.driver.find_element(By.CSS_SELECTOR, ".returns-chart a[data-count]")
        count = int(bar.get_attribute("data-count"))
        browser._load(
            lambda: browser.driver.execute_script(
                "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", bar
            )
        )
        assert browser.path.startswith("/admin/complaints/complaint/?rt_")
        assert len(browser.changelist_rows()) == count
