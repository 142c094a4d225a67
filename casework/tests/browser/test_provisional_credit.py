# ruff: noqa: RUF001
"""A Regulation E provisional credit clicked through the refund case page: the refunds desk
opens it from the panel, the payments system reports the credit, the person who opened it
is not offered the reversal (four eyes), a colleague reverses it with the reason; and a
credit not made in time reads late on the page and in the list. Each page is photographed at
1366 x 768 in English and Chinese into ``VAR_DIR/screenshots/provisional-credit/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from casework.models import SlaClock
from refunds import services
from refunds.models import CreditState, ProvisionalCredit
from refunds.tests.provisional import refund_under

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "provisional-credit"
LAPTOP = (1366, 768)


def photograph(browser, name: str) -> None:
    browser.save_screenshot(SHOTS / f"{name}.png")
    browser.save_screenshot(SHOTS / f"{name}-window.png", window_only=True)


def test_the_desk_opens_a_provisional_credit_and_a_colleague_reverses_it(
    browser, agent, refunds_desk, other_refunds_desk, payments_system
):
    case = refund_under(agent, refunds_desk)
    page = f"/admin/refunds/refundcase/{case.pk}/change/"

    with browser.window(*LAPTOP):
        browser.log_in(refunds_desk)
        browser.visit(page)
        assert "needs the disputed amount provisionally credited by" in browser.text()
        photograph(browser, "1-due-to-open-en")
        browser.press("Open provisional credit")
        browser.apply()
        credit = ProvisionalCredit.objects.get()
        assert "due in" in browser.text() and credit.idempotency_key in browser.text()
        photograph(browser, "2-opened-en")

        services.credit_provisionally(
            credit=credit, actor=payments_system, processor_reference="PSP-PCR-4411"
        )
        browser.visit(page)
        text = browser.text()
        assert "Reversing needs four eyes: someone other than refunds.zhou." in text
        assert "Reverse the credit" not in browser.buttons() and "Make the credit final" in text
        photograph(browser, "3-credited-en")
        browser.use_language("zh-hans")
        browser.visit(page)
        assert "临时入账（E条例）" in browser.text() and "冲回须双人复核" in browser.text()
        photograph(browser, "3-credited-zh")

        browser.log_in(other_refunds_desk)
        browser.visit(page)
        browser.press("Reverse the credit")
        photograph(browser, "4-reverse-form-en")
        browser.fill("reason", "The merchant's log shows the customer renewed the subscription in the app.")
        browser.apply()
        credit.refresh_from_db()
        assert credit.state == CreditState.REVERSED
        assert "payments to others honoured until" in browser.text()
        photograph(browser, "4-reversed-en")
        browser.use_language("zh-hans")
        browser.visit(page)
        assert "已冲回" in browser.text()
        photograph(browser, "4-reversed-zh")


def test_a_credit_not_made_in_time_reads_late_on_the_page_and_in_the_list(browser, agent, refunds_desk):
    case = refund_under(agent, refunds_desk)
    # The complaint was received 20 days ago: the 10 business days for the credit have run out.
    SlaClock.objects.filter(pk=case.complaint.sla_clock_id).update(
        started_at=case.complaint.sla_clock.started_at - dt.timedelta(days=20)
    )
    case.complaint.sla_clock.refresh_from_db()
    credit = services.open_provisional_credit(refund_case=case, actor=refunds_desk)
    assert credit.is_late
    refund_under(agent, refunds_desk)  # another, whose credit is not opened yet

    with browser.window(*LAPTOP):
        browser.log_in(refunds_desk)
        browser.visit(f"/admin/refunds/refundcase/{case.pk}/change/")
        text = browser.text()
        assert "The credit was not made by its deadline" in text and "late" in text
        photograph(browser, "5-late-en")
        browser.press("Record the credit")
        assert "Late: it was due" in browser.text()
        photograph(browser, "6-record-late-en")
        browser.visit("/admin/refunds/refundcase/?provisional_credit=late")
        rows = browser.changelist_rows()
        assert len(rows) == 1 and case.reference in rows[0] and "credit late" in rows[0]
        photograph(browser, "7-list-late-en")
        browser.use_language("zh-hans")
        browser.visit(f"/admin/refunds/refundcase/{case.pk}/change/")
        assert "未在期限内入账" in browser.text()
        photograph(browser, "5-late-zh")
        browser.visit("/admin/refunds/refundcase/?provisional_credit=late")
        photograph(browser, "7-list-late-zh")
