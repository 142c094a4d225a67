"""A phone complaint registered and resolved on first contact (issue 15): My work, the add
page, the resolved case, and nothing to scroll for at a laptop's 1366 x 768. Screenshots of
the intake form and the resolved case, in English and Chinese, are kept in
``VAR_DIR/screenshots/first-contact/``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from complaints.models import Complaint, State

pytestmark = pytest.mark.browser

SHOTS = settings.VAR_DIR / "screenshots" / "first-contact"
LAPTOP = (1366, 768)
SUMMARY = "The payment was reversed by the bank; the 45 yuan is back within 24 hours."


def _loads(browser) -> int:
    """Page loads in this tab so far: one session-history entry per page the browser drew."""
    return browser.driver.execute_script("return window.history.length")


def _in_window(browser, label: str) -> None:
    top, window_height = browser.button_top(label)
    assert 0 <= top < window_height - 30, f"{label!r} starts at {top} px in a {window_height} px window"


def _fill_the_call(browser) -> None:
    paid_on = timezone.localdate() - dt.timedelta(days=1)
    browser.choose("channel", "phone hotline")
    browser.choose("category", "transaction failed or abnormal")
    browser.fill("customer_name", "Zhang San")
    browser.fill("customer_phone", "13912345678")
    browser.fill("account_number", "6222000099998888")
    browser.fill("transaction_at_0", f"{paid_on:%Y-%m-%d}")
    browser.fill("transaction_at_1", "14:05:00")
    browser.fill("amount", "45.00")
    browser.fill("transaction_reference", "TX2026030200045")
    browser.fill("merchant", "FamilyMart")
    browser.fill("device", "iPhone 15, iOS 18, app 10.6.0")
    browser.fill("description", "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.")
    browser.choose("verification_method", "SMS one-time code")
    browser.choose("code", "explained, no fault found")
    browser.choose("outcome", "not upheld")
    browser.choose("product", "P03 QR code payment")
    browser.choose("root_cause", "R04 Third party (merchant, bank)")


def _fresh_tab(browser) -> None:
    browser.driver.switch_to.new_window("tab")


def _close_tab(browser) -> None:
    browser.driver.close()
    browser.driver.switch_to.window(browser.driver.window_handles[0])


def test_a_phone_complaint_is_resolved_on_first_contact_in_three_pages(browser, agent):
    _fresh_tab(browser)
    try:
        with browser.window(*LAPTOP):
            browser.log_in(agent)
            assert browser.path == "/admin/"  # page 1: My work
            start = _loads(browser)
            browser.follow("Add", within="#content .app-complaints")  # page 2: the intake form
            assert browser.path == "/admin/complaints/complaint/add/"
            assert browser.heading() == "Add complaint"
            # A written channel is worked, not solved on the call: the resolve part steps aside.
            browser.choose("channel", "website")
            resolve = browser.driver.find_element("css selector", "button[name=_resolve]")
            summary = browser.driver.find_element("name", "summary")
            assert not resolve.is_displayed() and not summary.is_displayed()
            _fill_the_call(browser)
            assert resolve.is_displayed() and summary.is_displayed()
            browser.fill("summary", SUMMARY)
            _in_window(browser, "Register and resolve")
            _in_window(browser, "Register")
            date, time = (
                browser.driver.find_element("name", f"transaction_at_{part}").rect["x"] for part in (0, 1)
            )
            assert date == time, "the date box and the time box start at the same edge"
            browser.save_screenshot(SHOTS / "intake-en.png", window_only=True)
            browser.press("Register and resolve")  # page 3: the resolved case

            complaint = Complaint.objects.get()
            assert browser.path == f"/admin/complaints/complaint/{complaint.pk}/change/"
            assert _loads(browser) - start + 1 <= 3
            assert browser.messages() == [
                f"{complaint.reference} registered and resolved on first contact: explained, no fault found."
            ]
            assert (complaint.state, complaint.is_first_contact_resolution) == (State.RESOLVED, True)
            assert complaint.resolution_summary == SUMMARY
            _in_window(browser, "Close")
            browser.save_screenshot(SHOTS / "resolved-en.png", window_only=True)

            browser.use_language("zh-hans")
            browser.visit(f"/admin/complaints/complaint/{complaint.pk}/change/")
            browser.save_screenshot(SHOTS / "resolved-zh-hans.png", window_only=True)
            browser.visit("/admin/complaints/complaint/add/")
            browser.choose("channel", "电话热线")
            assert "首次接触即解决" in browser.text()
            browser.save_screenshot(SHOTS / "intake-zh-hans.png", window_only=True)
    finally:
        _close_tab(browser)


def test_a_missing_summary_is_refused_next_to_it_and_nothing_typed_is_lost(browser, agent):
    browser.log_in(agent)
    with browser.window(*LAPTOP):
        browser.visit("/admin/complaints/complaint/add/")
        _fill_the_call(browser)
        browser.press("Register and resolve")

        assert not Complaint.objects.exists()
        error = browser.driver.find_element("css selector", ".form-row.field-summary .errorlist").text
        assert error == "Summarise the resolution as the customer was told it."
        values = browser.driver.execute_script(
            "const f = document.getElementById('complaint_form');"
            "return Object.fromEntries(['customer_name', 'customer_phone', 'amount', 'merchant',"
            " 'description', 'verification_method', 'code', 'channel'].map(n => [n, f.elements[n].value]));"
        )
        assert values == {
            "customer_name": "Zhang San",
            "customer_phone": "13912345678",
            "amount": "45.00",
            "merchant": "FamilyMart",
            "description": "Scanned a QR code to pay 45 yuan; the app says failed but I was charged.",
            "verification_method": "sms_code",
            "code": "explained",
            "channel": "phone",
        }
        _in_window(browser, "Register and resolve")
        browser.save_screenshot(SHOTS / "intake-error-en.png", window_only=True)
