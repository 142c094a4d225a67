"""The case lists and My work read in Chinese on a 1366 x 768 laptop (issue 15: "the category
column wraps one character a line"): no state badge, countdown, category or flag broken onto
a second line, and no list that scrolls sideways. Each page is photographed into
``VAR_DIR/screenshots/chinese/``, to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.admin import open_request
from complaints.models import State
from complaints.tests.factories import complaint_in_state, file_complaint, register
from refunds.tests.factories import open_refund

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "chinese"
LISTS = {
    "complaints": "/admin/complaints/complaint/",
    "account-requests": "/admin/accounts/accountrequest/",
    "refund-cases": "/admin/refunds/refundcase/",
}
# What must stay on one line: the badges and countdowns, and the short cells beside them.
ONE_LINE = (
    ".case-state, .deadline, .case-flag, .handback-badge,"
    " #result_list .field-category, #result_list .field-reference, #result_list .field-amount,"
    # My work's rows: the reference over its kind, the name over the phone, each part one line.
    " .my-work__due, .my-work__reference a, .my-work__kind, .my-work__state,"
    " .my-work__customer .case-customer, .my-work__customer .personal-data"
)
# Each element shown that takes more than one line, with its text and its height against its
# line height. A badge (an inline block) is one line when its content box is no taller than
# its line height; a cell when its text's line boxes all start at one height.
WRAPPED = """
const lineHeight = style => parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.25;
return [...document.querySelectorAll(arguments[0])].filter(el => el.offsetParent !== null).flatMap(el => {
  const style = getComputedStyle(el);
  const line = lineHeight(style);
  let lines;
  if (style.display.startsWith('inline')) {
    const content = el.getBoundingClientRect().height
      - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)
      - parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
    lines = content / line;
  } else {
    // A cell: its text's boxes, top to bottom; a box that starts below the line before ends
    // starts a new line (a badge's padding only shifts its text a little).
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const boxes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      boxes.push(...[...range.getClientRects()].filter(r => r.width > 0));
    }
    boxes.sort((a, b) => a.top - b.top);
    lines = 0;
    let bottom = -Infinity;
    for (const box of boxes) {
      if (box.top >= bottom - 2) { lines += 1; bottom = box.bottom; }
      else { bottom = Math.max(bottom, box.bottom); }
    }
  }
  const what = `${el.className || el.tagName}: ${el.textContent.trim()}`;
  return lines > 1.5 ? [`${what} (${lines.toFixed(1)} lines)`] : [];
});
"""
# How far the page, or the results' own box (the admin's .results scrolls sideways), overflows.
OVERFLOW = """
const results = document.querySelector('#changelist .results');
return Math.max(document.scrollingElement.scrollWidth - window.innerWidth,
                results ? results.scrollWidth - results.clientWidth : 0);
"""


def _cases(agent, technician, partner) -> None:
    """One case of each kind and state tone, the agent's own and its team's, Chinese names."""
    file_complaint(partner, customer_name="司马相如")
    register(agent, category="transaction", customer_name="张晓明")
    register(agent, category="privacy", description="有人打电话来说出了我的账户信息和最近的几笔交易。" * 3)
    register(agent, category="refund", customer_name="欧阳娜娜")
    complaint_in_state(State.ESCALATED, agent=agent, technician=technician, category="account_locked")
    complaint_in_state(State.IN_PROGRESS, agent=agent, category="slow_service")
    complaint_in_state(State.AWAITING_CUSTOMER, agent=agent, category="other")
    complaint_in_state(State.RESOLVED, agent=agent)
    open_request(agent)
    open_refund(agent)


def _check(browser, name: str) -> None:
    driver = browser.driver
    wrapped = driver.execute_script(WRAPPED, ONE_LINE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"{name}.png").write_bytes(browser.screenshot())
    assert not wrapped, f"{name}: wrapped onto several lines: {wrapped}"
    overflow = driver.execute_script(OVERFLOW)
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px"


def test_lists_and_my_work_keep_chinese_badges_on_one_line_at_1366(browser, agent, technician, partner):
    _cases(agent, technician, partner)
    browser.log_in(agent)
    browser.use_language("zh-hans")
    with browser.window(1366, 768):
        for name, path in LISTS.items():
            browser.visit(path + "?open=any")
            assert browser.changelist_rows(), f"{path}: no rows"
            assert "编号" in browser.text(), browser.text()[:300]
            _check(browser, f"{name}-zh-hans")
        # My work on its own page, and as the landing page beside the apps.
        for name, path in (("my-work", "/admin/my-work/"), ("landing", "/admin/")):
            browser.visit(path)
            assert "我的工作" in browser.text() and "本组待领队列" in browser.text()
            rows = browser.driver.find_elements("css selector", ".my-work__rows tbody tr")
            assert len(rows) >= 7, f"{path}: My work shows {len(rows)} rows"
            _check(browser, f"{name}-zh-hans")
