"""The three case lists fit a 1366 x 768 laptop (issue 15: "lists that fit 1366 px"): no
sideways scroll, each reference on one line, the Chinese category on one line too. The
complaint list is photographed in English and in Chinese, into
``VAR_DIR/screenshots/case-lists/``, to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.admin import open_request
from complaints.models import State
from complaints.tests.factories import complaint_in_state, register
from refunds.tests.factories import open_refund

pytestmark = pytest.mark.browser

LISTS = ("/admin/complaints/complaint/", "/admin/accounts/accountrequest/", "/admin/refunds/refundcase/")
SHOTS = Path(settings.VAR_DIR) / "screenshots" / "case-lists"

# Whether the page scrolls sideways, and the cells of a column that take more than one line.
# The results' own box scrolls sideways too (the admin's .results has overflow-x: auto).
OVERFLOW = (
    "const results = document.querySelector('#changelist .results');"
    "return Math.max(document.documentElement.scrollWidth - window.innerWidth,"
    " results ? results.scrollWidth - results.clientWidth : 0);"
)
# A cell's text on more than one line: its link or span broken into several boxes.
WRAPPED = (
    "return [...document.querySelectorAll(arguments[0])]"
    ".filter(cell => [...cell.querySelectorAll('a, span')].some(box => box.getClientRects().length > 1)"
    " || (!cell.querySelector('a, span') && (() => { const range = document.createRange();"
    " range.selectNodeContents(cell); return range.getClientRects().length > 1; })()))"
    ".map(cell => cell.textContent);"
)


def _cases(agent, technician, supervisor) -> None:
    register(agent, category="transaction", customer_name="Zhang Xiaoming")
    register(agent, category="privacy", description="Someone called me with my account details. " * 4)
    complaint_in_state(State.ESCALATED, agent=agent, technician=technician)
    complaint_in_state(State.IN_PROGRESS, agent=agent, category="account_locked")
    complaint_in_state(State.AWAITING_CUSTOMER, agent=agent)
    open_request(agent)
    open_refund(agent)


def _check_fits(browser, path: str) -> None:
    browser.visit(path)
    assert browser.changelist_rows(), f"{path}: no rows"
    assert browser.driver.execute_script(OVERFLOW) <= 0, f"{path} scrolls sideways"
    wrapped = browser.driver.execute_script(WRAPPED, "#result_list .field-reference")
    assert not wrapped, f"{path}: references wrap: {wrapped}"


def test_each_case_list_fits_a_laptop_screen_in_english_and_chinese(
    browser, settings, agent, technician, supervisor
):
    _cases(agent, technician, supervisor)
    driver = browser.driver
    size = driver.get_window_size()
    driver.set_window_size(1366, 768)
    try:
        browser.log_in(agent)
        for path in LISTS:
            _check_fits(browser, path)
        SHOTS.mkdir(parents=True, exist_ok=True)
        browser.visit(LISTS[0])
        (SHOTS / "complaints-en.png").write_bytes(browser.screenshot())

        driver.execute_cdp_cmd(
            "Network.setCookie",
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": browser.base_url, "path": "/"},
        )
        for path in LISTS:
            _check_fits(browser, path)
        browser.visit(LISTS[0])
        assert "投诉" in browser.heading()
        wrapped = driver.execute_script(WRAPPED, "#result_list .field-category")
        assert not wrapped, f"categories wrap: {wrapped}"
        (SHOTS / "complaints-zh-hans.png").write_bytes(browser.screenshot())
    finally:
        driver.set_window_size(size["width"], size["height"])
