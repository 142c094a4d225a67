"""Two clerks press *Take next* on My work at the same moment, each in their own browser:
each gets a case, and never the same one (the queue's rows are taken under
``SELECT … FOR UPDATE SKIP LOCKED``, so PostgreSQL is required)."""

from __future__ import annotations

import pytest
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from complaints.models import Complaint
from complaints.tests.factories import file_complaint

pytestmark = pytest.mark.browser

# Submits the page's Take next form without waiting for the answer: the two requests are
# in flight together.
SUBMIT = "document.querySelector('form.my-work__take').submit();"


def test_two_clerks_taking_next_at_once_get_two_different_cases(
    require_postgres, browser, second_browser, agent, other_agent, partner
):
    first, second = file_complaint(partner), file_complaint(partner, customer_name="Li Si")
    for visitor, clerk in ((browser, agent), (second_browser, other_agent)):
        visitor.log_in(clerk)
        assert visitor.path == "/admin/", visitor.path  # My work is the agents' landing page

    pages = [visitor.driver.find_element("tag name", "html") for visitor in (browser, second_browser)]
    browser.driver.execute_script(SUBMIT)
    second_browser.driver.execute_script(SUBMIT)
    for visitor, page in zip((browser, second_browser), pages, strict=True):
        WebDriverWait(visitor.driver, 30).until(expected_conditions.staleness_of(page))
        WebDriverWait(visitor.driver, 30).until(lambda driver: "/change/" in driver.current_url)

    taken = [visitor.path.rstrip("/").split("/")[-2] for visitor in (browser, second_browser)]
    assert sorted(map(int, taken)) == sorted([first.pk, second.pk]), taken
    holders = dict(Complaint.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "assigned_to"))
    assert holders == {int(taken[0]): agent.pk, int(taken[1]): other_agent.pk}
    for visitor, pk in zip((browser, second_browser), taken, strict=True):
        reference = Complaint.objects.get(pk=pk).reference
        assert visitor.messages() == [f"{reference} is yours now."]
