"""Case lists that stay cheap on huge tables: the paginator's estimated and capped counts,
the search by index, and query counts that do not move with the page size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountRequest
from accounts.tests.factories import request_in_state
from casework.admin.paginators import CaseListPaginator
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, file_complaint, register
from refunds.models import RefundCase
from refunds.tests.factories import open_refund

COMPLAINTS = reverse("admin:complaints_complaint_changelist")


# The paginator.


def test_a_small_table_is_counted_exactly(agent):
    for _ in range(3):
        register(agent)
    paginator = CaseListPaginator(Complaint.objects.order_by("-created_at"), 2)
    assert paginator.count == 3
    assert not paginator.count_is_estimate and not paginator.count_is_capped
    assert paginator.num_pages == 2


def test_a_huge_unfiltered_table_is_counted_by_the_planners_estimate(agent, require_postgres, monkeypatch):
    for _ in range(3):
        register(agent)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    monkeypatch.setattr(CaseListPaginator, "estimate_above", 2)

    with CaptureQueriesContext(connection) as queries:
        paginator = CaseListPaginator(Complaint.objects.order_by("-created_at"), 2)
        assert paginator.count == 3  # what ANALYZE saw
    assert paginator.count_is_estimate
    assert "pg_class" in queries[0]["sql"] and "COUNT" not in queries[0]["sql"].upper()


def test_below_the_threshold_the_table_is_counted_exactly(agent, require_postgres):
    for _ in range(3):
        register(agent)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    paginator = CaseListPaginator(Complaint.objects.all(), 2)
    assert paginator.count == 3 and not paginator.count_is_estimate


def test_a_filtered_list_is_never_estimated_but_counted_up_to_the_cap(agent, monkeypatch):
    for _ in range(4):
        register(agent)
    complaint_in_state(State.ACCEPTED, agent=agent)
    monkeypatch.setattr(CaseListPaginator, "estimate_above", 0)
    monkeypatch.setattr(CaseListPaginator, "count_cap", 3)

    received = CaseListPaginator(Complaint.objects.filter(state=State.RECEIVED), 2)
    assert received.count == 3 and received.count_is_capped and not received.count_is_estimate
    assert received.num_pages == 2

    accepted = CaseListPaginator(Complaint.objects.filter(state=State.ACCEPTED), 2)
    assert accepted.count == 1 and not accepted.count_is_capped


def test_the_changelist_says_more_than_the_cap_when_capped(client, agent, monkeypatch):
    for _ in range(3):
        register(agent)
    monkeypatch.setattr(CaseListPaginator, "count_cap", 2)
    client.force_login(agent)

    page = client.get(COMPLAINTS, {"state__exact": State.RECEIVED}).content.decode()
    assert "more than 2 complaints" in page

    searched = client.get(COMPLAINTS, {"q": "CMP-"}).content.decode()
    assert "more than 2 results" in searched and "more than 2 complaints" in searched


def test_the_changelist_says_about_when_estimated(client, agent, require_postgres, monkeypatch):
    for _ in range(3):
        register(agent)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    monkeypatch.setattr(CaseListPaginator, "estimate_above", 2)
    client.force_login(agent)
    # Every complaint, closed ones too: the unfiltered list, the one counted by estimate (a bare
    # list shows open cases, counted exactly).
    assert "about 3 complaints" in client.get(COMPLAINTS, {"open": "any"}).content.decode()


def test_an_exact_count_reads_as_before(client, agent):
    register(agent)
    client.force_login(agent)
    page = client.get(COMPLAINTS).content.decode()
    assert "1 complaint" in page and "about" not in page and "more than" not in page


# Search: each field by its own index.


def test_search_matches_a_reference_and_a_name_by_their_beginning_and_a_phone_whole(client, agent):
    wanted = register(agent, customer_phone="13700001111", customer_name="Zhang Wei")
    register(agent, customer_phone="13600002222", customer_name="Wang Fang")
    client.force_login(agent)

    def found(term: str) -> list[Complaint]:
        return list(client.get(COMPLAINTS, {"q": term}).context["cl"].result_list)

    assert found(wanted.reference[:-1]) != [] and wanted in found(wanted.reference[:-1])
    assert found("Zhang") == [wanted]
    assert found("Zhang Wei") == [wanted]  # one value, spaces and all
    assert found("13700001111") == [wanted]
    assert found("0001111") == []  # a phone number is searched whole


def test_search_on_a_related_case_field_finds_the_case_by_its_id(client, agent, supervisor):
    complaint = complaint_in_state(State.IN_PROGRESS, agent=agent, category="refund")
    from refunds import services as refund_services

    from_complaint = refund_services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="failed_payment"
    )
    open_refund(agent)
    client.force_login(supervisor)
    response = client.get(reverse("admin:refunds_refundcase_changelist"), {"q": complaint.reference})
    assert list(response.context["cl"].result_list) == [from_complaint]


def test_the_assignee_filter_lists_staff_without_reading_the_cases(client, agent, supervisor):
    register(agent)
    client.force_login(supervisor)
    response = client.get(COMPLAINTS)
    choices = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "assigned_to"
    )
    assert {agent.pk, supervisor.pk} <= {pk for pk, _name in choices.lookup_choices}


# Query counts do not move with the page size.


def _queries(client, url: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "model",
    [Complaint, AccountRequest, RefundCase],
    ids=["complaints", "account requests", "refund cases"],
)
def test_changelist_query_count_does_not_move_with_the_page_size(
    client, agent, supervisor, model, monkeypatch
):
    for index in range(10):
        if model is Complaint:
            complaint_in_state([State.RECEIVED, State.ESCALATED][index % 2], agent=agent)
        elif model is AccountRequest:
            request_in_state("submitted", agent=agent, reviewer=supervisor)
        else:
            open_refund(agent)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    client.force_login(supervisor)
    client.get(url)  # warm the content-type and session caches
    model_admin = admin.site._registry[model]
    counts = []
    for size in (2, 5, 10):
        monkeypatch.setattr(model_admin, "list_per_page", size)
        counts.append(_queries(client, url))
    assert len(set(counts)) == 1, counts


@pytest.mark.parametrize("kind", ["complaints", "refund-cases"])
def test_api_list_query_count_does_not_move_with_the_page_size(api, partner, kind):
    for index in range(10):
        if kind == "complaints":
            file_complaint(partner, external_reference=f"P-{index}")
        else:
            open_refund(partner.user, partner=partner, external_reference=f"P-{index}")
    url = f"/api/v1/{kind}/"
    api.get(url)
    counts = []
    for size in (2, 5, 10):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url, {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(queries))
    assert len(set(counts)) == 1, counts


def test_a_list_page_is_read_without_parallel_workers(client, supervisor, agent, require_postgres):
    register(agent)
    client.force_login(supervisor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(COMPLAINTS, {"sla": "breached"})
    assert response.status_code == 200
    sql = [query["sql"] for query in queries]
    setting = sql.index("SET LOCAL max_parallel_workers_per_gather = 0")
    reads = [i for i, text in enumerate(sql) if 'FROM "complaints_complaint"' in text]
    assert reads and min(reads) > setting  # the page's rows, read under it


# The next deadline column sorts by the deadline it shows.


def test_the_next_deadline_column_sorts_by_the_deadline_it_shows(client, agent, supervisor):
    """The first response while unanswered, else the resolution: not the resolution alone."""
    from casework.models import SlaClock

    now = timezone.now()
    soon_answer, answered, late_answer = (register(agent) for _ in range(3))

    class clocks:  # moves a clock through the model: its case row's next deadline follows
        def __init__(self, pk):
            self.clock = SlaClock.objects.get(pk=pk)

        def update(self, **values):
            for name, value in values.items():
                setattr(self.clock, name, value)
            self.clock.save()

    # Unanswered, its first response due in an hour though its resolution is far off.
    clocks(pk=soon_answer.sla_clock_id).update(
        first_responded_at=None,
        first_response_due_at=now + dt.timedelta(hours=1),
        resolution_due_at=now + dt.timedelta(days=10),
    )
    clocks(pk=answered.sla_clock_id).update(
        first_responded_at=now - dt.timedelta(hours=1), resolution_due_at=now + dt.timedelta(days=2)
    )
    # Unanswered, its first response due after the others though its resolution comes first.
    clocks(pk=late_answer.sla_clock_id).update(
        first_responded_at=None,
        first_response_due_at=now + dt.timedelta(days=3),
        resolution_due_at=now + dt.timedelta(days=1),
    )
    client.force_login(supervisor)
    column = client.get(COMPLAINTS).context["cl"].list_display.index("next_deadline")

    def listed(order: str) -> list[Complaint]:
        response = client.get(COMPLAINTS, {"o": order})
        assert response.status_code == 200
        return list(response.context["cl"].result_list)

    assert listed(str(column)) == [soon_answer, answered, late_answer]
    assert listed(f"-{column}") == [late_answer, answered, soon_answer]
    # What the list shows, in that order: in 1 hour (first response), in 2 days, in 3 days.
    page = client.get(COMPLAINTS, {"o": str(column)}).content.decode()
    shown = [page.index(case.reference) for case in (soon_answer, answered, late_answer)]
    assert shown == sorted(shown)


def test_sorted_by_next_deadline_each_way_the_open_list_reads_its_own_index(
    client, agent, supervisor, require_postgres
):
    """The page's query walks the open complaints' ``complaint_open_due`` (or its
    descending twin) instead of joining every clock and sorting: the case row's
    ``next_due_at`` is the column the list orders by, and the index holds only open cases,
    as the list does. Seq scans and sorts are priced out, as a million cases price them."""
    open_case = register(agent)
    complaint_in_state(State.CLOSED, agent=agent)
    client.force_login(supervisor)
    column = client.get(COMPLAINTS).context["cl"].list_display.index("next_deadline")
    for order, index in ((str(column), "complaint_open_due"), (f"-{column}", "complaint_open_due_desc")):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(COMPLAINTS, {"o": order})
        assert list(response.context["cl"].result_list) == [open_case]
        page = [q["sql"] for q in queries if 'ORDER BY "complaints_complaint"."next_due_at"' in q["sql"]][-1]
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_sort = off")
            try:
                cursor.execute("EXPLAIN " + page)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            finally:
                cursor.execute("RESET enable_seqscan")
                cursor.execute("RESET enable_sort")
        assert f"Index Scan using {index} " in plan, plan
