"""The supervisor sets a team's routing (its skills and overflow) on the team's page and the
members' capacities on their list, at 1366 x 768, in English and in Chinese; screenshots go to
``VAR_DIR/screenshots/routing/``, to be looked at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from selenium.webdriver.common.by import By

from casework.models import MemberCapacity, Team, TeamRouting
from complaints.tests.factories import register

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots" / "routing"


def _tick(browser, name: str, value: str) -> None:
    browser.driver.find_element(By.CSS_SELECTOR, f'input[name="{name}"][value="{value}"]').click()


def test_a_supervisor_sets_a_teams_skills_and_the_members_capacities(browser, supervisor, agent, other_agent):
    frontline = Team.objects.get(code="frontline")
    MemberCapacity.objects.create(user=agent, max_open_cases=3)
    MemberCapacity.objects.create(user=other_agent, max_open_cases=2, is_available=False)
    register(agent)

    with browser.window(1366, 768):
        browser.log_in(supervisor)
        browser.visit(f"/admin/casework/team/{frontline.pk}/change/")
        browser.driver.find_element(By.CSS_SELECTOR, "#routing-group .add-row a").click()
        _tick(browser, "routing-0-case_types", "complaint")
        _tick(browser, "routing-0-languages", "zh-hans")
        browser.choose("routing-0-overflow_team", "Complaints department")
        browser.save_screenshot(SHOTS / "en-team-routing.png")
        browser.press("Save and continue editing")

        routing = TeamRouting.objects.get(team=frontline)
        assert (routing.case_types, routing.categories, routing.languages) == (["complaint"], [], ["zh-hans"])
        assert routing.overflow_team.code == "complaints-dept"

        # The team itself as overflow is refused next to the field, nothing saved.
        browser.choose("routing-0-overflow_team", "Frontline agents")
        browser.press("Save and continue editing")
        assert "A case that waited too long goes to another team than this one." in browser.text()
        assert TeamRouting.objects.get(team=frontline).overflow_team.code == "complaints-dept"

        browser.visit("/admin/casework/membercapacity/")
        rows = browser.changelist_rows()
        assert any(agent.username in row and "1" in row for row in rows), rows
        browser.save_screenshot(SHOTS / "en-member-capacities.png", window_only=True)

        browser.visit("/admin/my-work/team/")
        row = browser.driver.find_element(By.CSS_SELECTOR, f'tr[data-member="{other_agent.username}"]')
        assert "away" in row.text
        browser.save_screenshot(SHOTS / "en-team-view-capacity.png", window_only=True)

        browser.use_language("zh-hans")
        browser.visit(f"/admin/casework/team/{frontline.pk}/change/")
        assert "路由" in browser.text()
        browser.save_screenshot(SHOTS / "zh-hans-team-routing.png")
        browser.visit("/admin/casework/membercapacity/")
        browser.save_screenshot(SHOTS / "zh-hans-member-capacities.png", window_only=True)
        browser.visit("/admin/my-work/team/")
        browser.save_screenshot(SHOTS / "zh-hans-team-view-capacity.png", window_only=True)
