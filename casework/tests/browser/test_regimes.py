"""The regimes' admin on a laptop's screen, in English and in Chinese: the list with the
cases under each version, and a version in use read-only with its limits and extension
tiers. Screenshots in ``VAR_DIR/screenshots/regimes/``, to be looked at; and the complaint
page's line saying the limit in force."""

from __future__ import annotations

import pytest
from django.conf import settings

from casework.models import Regime
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "regimes"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_regimes_list_and_a_version_in_use(browser, supervisor, agent, language):
    complaint = register(agent)
    pboc = Regime.objects.get(code="cn-pboc")
    browser.log_in(supervisor)
    browser.use_language(language)
    with browser.window(1366, 768):
        browser.visit("/admin/casework/regime/")
        text = browser.text()
        for code in ("cn-pboc", "cn-nfra", "eu-psd2", "uk-disp", "us-reg-e", "us-cfpb"):
            assert code in text
        assert ("监管制度" in text) == (language == "zh-hans")
        browser.save_screenshot(SHOTS / f"list-{language}.png", window_only=True)

        browser.visit(f"/admin/casework/regime/{pboc.pk}/change/")
        text = browser.text()
        assert "PBOC Order [2020] No. 5, ch. IV" in text
        assert ("Copy it as a new version" in text) == (language == "en")
        browser.save_screenshot(SHOTS / f"change-in-use-{language}.png")

        browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
        browser.unfold()
        text = browser.text()
        assert "cn-pboc 2020" in text and "PBOC Order [2020] No. 5, ch. IV" in text
        browser.save_screenshot(SHOTS / f"complaint-time-{language}.png")
