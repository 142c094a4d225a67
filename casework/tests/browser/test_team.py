"""The supervisor's side of the workspace at 1366 x 768: the team view from the dashboard, an
overloaded member, two complaints reassigned in bulk from the list, and the saved views
atop a list's filters. Screenshots in English and Chinese go to
``VAR_DIR/screenshots/team/``, to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from casework.models import TransitionRecord
from complaints.models import Complaint
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "team"
COMPLAINTS = "/admin/complaints/complaint/"
# Whether the page, the list's own box, or a team's table (wider than its box) scrolls sideways.
OVERFLOW = (
    "const results = document.querySelector('#changelist .results');"
    "const teams = [...document.querySelectorAll('.team-view__team')]"
    ".map(team => team.querySelector('table').scrollWidth - team.clientWidth);"
    "return Math.max(document.documentElement.scrollWidth - window.innerWidth,"
    " results ? results.scrollWidth - results.clientWidth : 0, ...teams);"
)


def _fits(browser) -> None:
    assert browser.driver.execute_script(OVERFLOW) <= 0, f"{browser.path} scrolls sideways"


def _select_and_assign(browser, cases) -> None:
    for case in cases:
        browser.driver.find_element(By.CSS_SELECTOR, f'input.action-select[value="{case.pk}"]').click()
    browser.choose("action", browser.driver.find_element(By.CSS_SELECTOR, 'option[value="assign_to"]').text)
    button = browser.driver.find_element(By.CSS_SELECTOR, "#changelist-form .actions button[name=index]")
    browser._load(button.click)


def test_a_supervisor_sees_who_is_overloaded_and_reassigns_in_bulk(
    browser, settings, supervisor, agent, other_agent
):
    settings.WORKSPACE_OVERLOAD_CASES = 2
    first, second, third = (register(agent, customer_name=name) for name in ("Zhang San", "Li Si", "Wang Wu"))
    register(other_agent)

    with browser.window(1366, 768):
        browser.log_in(supervisor)
        browser.press("Team view: who holds what")
        assert browser.path == "/admin/my-work/team/"
        row = browser.driver.find_element(By.CSS_SELECTOR, f'tr[data-member="{agent.username}"]')
        assert "team-view__member--overloaded" in row.get_attribute("class")
        assert "overloaded" in row.text
        assert "overloaded" not in browser.driver.find_element(
            By.CSS_SELECTOR, f'tr[data-member="{other_agent.username}"]'
        ).get_attribute("class")
        _fits(browser)
        browser.save_screenshot(SHOTS / "en-team-view.png", window_only=True)

        # The agent's open complaints, from the figure, then two of them to Zhao.
        browser._load(row.find_element(By.CSS_SELECTOR, "td a").click)
        shown = sorted(row.split()[0] for row in browser.changelist_rows())
        assert shown == sorted([first.reference, second.reference, third.reference])
        _fits(browser)
        _select_and_assign(browser, [first, second])
        assert browser.heading() == "Assign 2 complaints"
        browser.choose("holder", other_agent.username)
        browser.fill("reason", "Wang is overloaded this week")
        browser.save_screenshot(SHOTS / "en-bulk-assign.png", window_only=True)
        browser.apply()

        assert browser.messages() == [
            f"2 cases assigned to {other_agent.username}: {first.reference}, {second.reference}."
        ]
        assert set(Complaint.objects.filter(assigned_to=other_agent)) > {first, second}
        assert Complaint.objects.get(pk=third.pk).assigned_to == agent
        assert (
            TransitionRecord.objects.filter(
                transition="assign", actor=supervisor, reason="Wang is overloaded this week"
            ).count()
            == 2
        )

        # Zhao's list, by the saved view: three cases now, the view marked.
        browser.log_in(other_agent)
        browser.visit(f"{COMPLAINTS}?open=all&view=mine")
        current = browser.driver.find_element(By.CSS_SELECTOR, ".saved-views li.selected")
        assert "My open cases" in current.text and "3" in current.text
        assert len(browser.changelist_rows()) == 3
        _fits(browser)
        browser.save_screenshot(SHOTS / "en-saved-views.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit(f"{COMPLAINTS}?open=all&view=mine")
        assert "我的未结案件" in browser.driver.find_element(By.CSS_SELECTOR, ".saved-views").text
        _fits(browser)
        browser.save_screenshot(SHOTS / "zh-hans-saved-views.png", window_only=True)

        browser.log_in(supervisor)
        browser.use_language("zh-hans")
        browser.visit("/admin/my-work/team/")
        assert "团队视图" in browser.heading()
        _fits(browser)
        browser.save_screenshot(SHOTS / "zh-hans-team-view.png", window_only=True)
        browser.visit(f"{COMPLAINTS}?open=all&assigned_to__id__exact={other_agent.pk}")
        _select_and_assign(browser, [first])
        browser.save_screenshot(SHOTS / "zh-hans-bulk-assign.png", window_only=True)
        browser.follow("取消")
        assert Complaint.objects.get(pk=first.pk).assigned_to == other_agent
