"""The complaints list searched by a Chinese phrase, as an agent sees it: the one complaint
that holds it, the search box's help saying what it searches. Photographed in English and
in Chinese into ``VAR_DIR/screenshots/search/``, to be looked at."""

# ruff: noqa: RUF001
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from complaints import services
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "search"
PHRASE = "退款未到账"


def test_the_complaints_list_finds_a_chinese_phrase_in_english_and_chinese(browser, settings, agent):
    wanted = register(agent, description="在便利店扫码付款失败，余额被扣，商户说已退款，但退款未到账。")
    noted = register(agent, description="Top-up of 50 CNY not credited.")
    services.add_note(complaint=noted, actor=agent, body="客户来电：充值未到账，银行已出回单。")
    register(agent, description="App crashes on the login page.")
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = browser.driver
    size = driver.get_window_size()
    driver.set_window_size(1366, 768)
    try:
        browser.log_in(agent)
        browser.visit(f"/admin/complaints/complaint/?q={quote(PHRASE)}")
        rows = browser.changelist_rows()
        assert len(rows) == 1 and wanted.reference in rows[0]
        assert "notes and messages, Chinese too" in driver.page_source
        (SHOTS / "complaints-search-en.png").write_bytes(browser.screenshot())

        driver.execute_cdp_cmd(
            "Network.setCookie",
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": browser.base_url, "path": "/"},
        )
        browser.visit(f"/admin/complaints/complaint/?q={quote('到账')}")
        rows = browser.changelist_rows()
        assert len(rows) == 2 and all(any(case.reference in row for row in rows) for case in (wanted, noted))
        assert "中文亦可" in driver.page_source
        (SHOTS / "complaints-search-zh.png").write_bytes(browser.screenshot())
    finally:
        driver.set_window_size(size["width"], size["height"])
