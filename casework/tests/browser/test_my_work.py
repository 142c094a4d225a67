"""My work as the agent's landing page, and *Take next* clicked through it; screenshots of
the page in English and Chinese at 1366 px are kept in ``VAR_DIR/screenshots/my-work/``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings

from complaints.models import Complaint
from complaints.tests.factories import file_complaint, register

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "my-work"


def _keep(browser, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    path.write_bytes(browser.screenshot())
    return path


def _in_chinese(browser) -> None:
    browser.driver.execute_cdp_cmd(
        "Network.setCookie",
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "zh-hans", "url": browser.base_url, "path": "/"},
    )


def test_the_agent_lands_on_my_work_and_takes_the_next_case(browser, agent, partner):
    mine = register(agent, customer_name="Zhang San")
    later, sooner = file_complaint(partner), file_complaint(partner, customer_name="Li Si")
    sooner.sla_clock.first_response_due_at = later.sla_clock.first_response_due_at - dt.timedelta(hours=1)
    sooner.sla_clock.save()

    browser.log_in(agent)
    assert browser.path == "/admin/"
    text = browser.text()
    assert "My work" in text and "Take next" in text
    assert mine.reference in text and sooner.reference in text
    _keep(browser, "en-my-work")

    browser.press("Take next")
    assert browser.messages() == [f"{sooner.reference} is yours now."]
    assert Complaint.objects.get(pk=sooner.pk).assigned_to == agent
    assert browser.path.endswith(f"/complaints/complaint/{sooner.pk}/change/")

    _in_chinese(browser)
    browser.visit("/admin/my-work/")
    text = browser.text()
    assert "我的工作" in text and "领取下一件" in text and "我的未结案件" in text
    _keep(browser, "zh-hans-my-work")
