"""The clerk's workspace at scale (``bench/scale.py``): My work for an agent, a technician and
the refunds desk, *Take next*, the case lists beyond their open-cases default and a case
page, each timed and counted as the other views are.

Who is measured is seeded by ``bench/seed.py``: the agent ``bench.clerk`` holds 20 open
complaints and shares the frontline's queue of unassigned ones, ``bench.refunds`` holds
about 17 open refund cases beside the desk's queue, and the escalated complaints wait on
``bench.tech``'s team. *Take next* takes the most urgent case of the queue, and the case is
given back to the queue afterwards (its holder cleared), so each repeat takes the same
case from the same queue.
"""

from __future__ import annotations

import re
import statistics
import time

from common import Figures, connection, measure

MY_WORK = "/admin/my-work/"
TAKE_NEXT = "/admin/my-work/take-next/"
TEAM_VIEW = "/admin/my-work/team/"
COMPLAINTS = "/admin/complaints/complaint/"
ACCOUNTS = "/admin/accounts/accountrequest/"
REFUNDS = "/admin/refunds/refundcase/"
# Complaint 4 (n = 3) is one of the clerk's, in progress; 5 (n = 4) escalated.
CASE_PAGES = (("complaint case page: in progress", 4), ("complaint case page: escalated", 5))
# The lists whose count the paginator estimates once the table passes its threshold
# (``casework.admin.paginators``): one query fewer at the large size, by design.
ESTIMATED_COUNT = "(all cases: count estimated)"


def login(username: str):
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def landing(username: str) -> str:
    """Where the user lands: My work if they have it, else the admin's index."""
    from django.contrib.auth.models import User

    from casework.workspace import queues

    return MY_WORK if queues.has_my_work(User.objects.get(username=username)) else "/admin/"


def next_deadline_order(client, url: str) -> str:
    """The query string of the list's "next deadline" column header: ordered by it."""
    page = client.get(url).content.decode()
    found = re.search(r'class="[^"]*column-next_deadline[^"]*">.*?href="(\?o=[^"]*)"', page, re.S)
    assert found, f"{url} has no sortable next deadline column"
    return found.group(1).replace("&amp;", "&")


def views(staff) -> list[tuple[str, object, str]]:
    """(label, client, URL)."""
    clerk, technician, desk = login("bench.clerk"), login("bench.tech"), login("bench.refunds")
    tech_landing = landing("bench.tech")
    tech_label = "My work: technician" if tech_landing == MY_WORK else "technician: admin index (no My work)"
    return [
        ("My work: agent, 20 held + queue", clerk, MY_WORK),
        (tech_label, technician, tech_landing),
        ("My work: refunds desk", desk, MY_WORK),
        ("technician: escalated complaints", technician, COMPLAINTS + "?state__exact=escalated"),
        # The saved views (casework.admin.filters) and the supervisors' team view.
        ("saved view: agent, my open cases", clerk, COMPLAINTS + "?open=all&view=mine"),
        ("saved view: technician, escalated to my team", technician, COMPLAINTS + "?open=all&view=escalated"),
        ("team view: supervisor", staff, TEAM_VIEW),
        ("complaints: by next deadline", staff, COMPLAINTS + next_deadline_order(staff, COMPLAINTS)),
        ("refund cases: by next deadline", staff, REFUNDS + next_deadline_order(staff, REFUNDS)),
        (f"complaints: open=any {ESTIMATED_COUNT}", staff, COMPLAINTS + "?open=any"),
        (f"account requests: open=any {ESTIMATED_COUNT}", staff, ACCOUNTS + "?open=any"),
        (f"refund cases: open=any {ESTIMATED_COUNT}", staff, REFUNDS + "?open=any"),
        *((label, staff, f"{COMPLAINTS}{pk}/change/") for label, pk in CASE_PAGES),
    ]


def give_back(response) -> None:
    """Put the case *Take next* opened back in its queue: nobody holds it."""
    from django.apps import apps

    from casework.models import kinds

    found = re.fullmatch(r"/admin/(\w+)/(\w+)/(\d+)/change/", response.url)
    assert response.status_code == 302 and found, f"Take next did not open a case: {response.url}"
    model = apps.get_model(found.group(1), found.group(2))
    model._default_manager.filter(pk=found.group(3)).update(**{kinds.kind_of(model).holder_field: None})


def measure_take_next(figures: Figures, label: str, client, repeat: int) -> None:
    """The POST alone is timed and counted; giving the case back is not."""
    from django.test.utils import CaptureQueriesContext

    samples, taken = [], set()
    for attempt in range(repeat + 1):  # the first is the warm-up
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post(TAKE_NEXT, {"next": MY_WORK})
            elapsed = (time.perf_counter() - start) * 1000
        give_back(response)
        taken.add(response.url)
        if attempt:
            samples.append(elapsed)
    assert len(taken) == 1, f"Take next took different cases from the same queue: {taken}"
    figures.ms[label] = statistics.median(samples)
    figures.queries[label] = len(captured)
    figures.statuses[label] = 0
    selects = [
        query for query in captured.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")
    ]
    figures.slowest[label] = max(selects, key=lambda query: float(query["time"]))["sql"]


def measure_workspace(figures: Figures, staff, repeat: int) -> None:
    for label, client, url in views(staff):
        measure(
            figures,
            label,
            lambda client=client, url=url: client.get(url),
            repeat,
            status=lambda client=client, url=url: client.get(url).status_code,
        )
    measure_take_next(figures, "Take next: agent (frontline queue)", login("bench.clerk"), repeat)
    measure_take_next(figures, "Take next: refunds desk", login("bench.refunds"), repeat)
