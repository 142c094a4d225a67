"""Saved views on a case list (casework.admin.filters): one address per worklist, shown as
the "Views" block atop the filters with each one's count and the current one marked."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from casework.access import roles
from casework.tests.users import make_user
from complaints.tests.factories import file_complaint, register
from refunds.tests.factories import open_refund

COMPLAINTS = reverse("admin:complaints_complaint_changelist")
REFUNDS = reverse("admin:refunds_refundcase_changelist")


def _listed(client, url: str) -> list[int]:
    return [case.pk for case in client.get(url).context["cl"].result_list]


def _views(page: str) -> dict[str, tuple[str, str]]:
    """Each view's slug -> (its count, "selected" or "")."""
    found = re.findall(
        r'saved-views__view--(\w+)( selected)?">\s*<a href="[^"]+"[^>]*>.*?saved-views__count[^"]*">(\d+)<',
        page,
        re.S,
    )
    return {slug: (count, selected.strip()) for slug, selected, count in found}


def test_each_view_lists_its_worklist(client, agent, other_agent, partner):
    now = timezone.now()
    mine, late, today = register(agent), register(agent), register(agent)
    # Unanswered yet: their next deadline is the first response.
    late.sla_clock.first_response_due_at = now - dt.timedelta(hours=2)
    late.sla_clock.save()
    today.sla_clock.first_response_due_at = now + dt.timedelta(minutes=10)
    today.sla_clock.save()
    register(other_agent)
    queued = file_complaint(partner)
    client.force_login(agent)

    assert sorted(_listed(client, f"{COMPLAINTS}?open=all&view=mine")) == sorted([mine.pk, late.pk, today.pk])
    assert _listed(client, f"{COMPLAINTS}?open=all&view=team") == [queued.pk]
    assert _listed(client, f"{COMPLAINTS}?open=due_today&view=mine") == [today.pk]
    assert _listed(client, f"{COMPLAINTS}?open=breached&view=mine") == [late.pk]


def test_the_views_block_counts_each_view_and_marks_the_current_one(client, agent, partner):
    register(agent)
    register(agent)
    file_complaint(partner)
    client.force_login(agent)

    page = client.get(f"{COMPLAINTS}?open=all&view=team").content.decode()

    assert page.index('class="saved-views"') < page.index('id="changelist-filter-header"')
    assert _views(page) == {
        "mine": ("2", ""),
        "team": ("1", "selected"),
        "due_today": ("0", ""),
        "breached": ("0", ""),
    }
    assert 'href="?open=all&amp;view=mine"' in page


def test_a_bare_list_marks_no_view(client, agent):
    register(agent)
    client.force_login(agent)
    views = _views(client.get(COMPLAINTS).content.decode())
    assert views["mine"] == ("1", "")
    assert all(not selected for _count, selected in views.values())


def test_the_refunds_desk_sees_its_queue_of_refund_cases(client, db, agent):
    desk = make_user("refunds.qian", roles.REFUNDS_DESK)
    waiting = open_refund(agent)
    client.force_login(desk)

    assert _listed(client, f"{REFUNDS}?open=all&view=team") == [waiting.pk]
    assert _views(client.get(f"{REFUNDS}?open=all&view=team").content.decode())["team"] == ("1", "selected")
    assert _listed(client, f"{REFUNDS}?open=all&view=mine") == []


def test_the_technical_team_has_a_view_of_what_is_escalated_to_it(client, agent, technician):
    from complaints.models import State
    from complaints.tests.factories import complaint_in_state

    escalated = complaint_in_state(State.ESCALATED, agent=agent)
    register(agent)
    client.force_login(technician)

    page = client.get(f"{COMPLAINTS}?open=all&view=escalated").content.decode()
    assert _views(page)["escalated"] == ("1", "selected")
    assert _listed(client, f"{COMPLAINTS}?open=all&view=escalated") == [escalated.pk]

    client.force_login(agent)  # an agent answers no escalations: no such view
    assert "escalated" not in _views(client.get(COMPLAINTS).content.decode())
