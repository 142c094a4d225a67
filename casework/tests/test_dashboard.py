"""The supervisors' dashboard on the admin index: every figure against a count made here,
by Python over the same cases; every link against the changelist it opens; the query
count against the number of cases; and who sees it at all."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountRequest, RequestState
from accounts.tests.factories import request_in_state
from casework.access import roles
from casework.models import Partner, SlaClock
from casework.supervision import dashboard
from casework.tests.users import make_user
from complaints import services as complaint_services
from complaints.models import Complaint, State
from complaints.tests.factories import CLASSIFIED, complaint_in_state
from refunds.models import RefundCase, RefundState
from refunds.tests.factories import refund_in_state

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning: "today" has fourteen hours left in the calendar's zone.
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
INDEX = reverse("admin:index")
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

# What SLA compliance counts as resolved, per case type, and when it was resolved.
RESOLVED_STATES = {
    Complaint: (State.RESOLVED, State.CLOSED),
    AccountRequest: (RequestState.EXECUTED, RequestState.REJECTED),
    RefundCase: (RefundState.REFUNDED, RefundState.REJECTED),
}
KEYS = {Complaint: "complaint", AccountRequest: "account_request", RefundCase: "refund"}


@pytest.fixture
def frozen_now(monkeypatch) -> dt.datetime:
    """``timezone.now()`` stands still at NOW, for the services, the dashboard and the filters."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def people(db, agent, supervisor) -> dict[str, User]:
    desk = make_user("refunds.zhou", roles.REFUNDS_DESK)
    payments = make_user("payments-system", "payments system")
    Partner.objects.create(code="payments", name="Payments system", user=payments)
    return {"agent": agent, "reviewer": supervisor, "desk": desk, "payments": payments}


def shape(
    case,
    *,
    age: dt.timedelta,
    due_in: dt.timedelta | None = None,
    marked_late: bool = False,
    first_response_late: bool = False,
    ended_ago: dt.timedelta | None = None,
    in_time: bool = True,
):
    """Move the case's times: received ``age`` ago; an open one due ``due_in`` from now
    (``marked_late``: the sweep marked the miss); an ended one stopped ``ended_ago``,
    before its deadline or after it."""
    model = type(case)
    now = timezone.now()
    model.objects.filter(pk=case.pk).update(created_at=now - age)
    clock: dict[str, object] = {}
    if ended_ago is not None:
        stopped_at = now - ended_ago
        due_at = stopped_at + (2 * HOUR if in_time else -2 * HOUR)
        clock.update(stopped_at=stopped_at, resolution_due_at=due_at, resolution_warn_at=due_at - HOUR)
        clock["resolution_breached_at"] = None if in_time else due_at
        if model is Complaint and case.resolved_at is not None:
            model.objects.filter(pk=case.pk).update(resolved_at=stopped_at)
    elif due_in is not None:
        due_at = now + due_in
        clock.update(resolution_due_at=due_at, resolution_warn_at=due_at - HOUR)
        clock["resolution_breached_at"] = due_at if marked_late else None
    if first_response_late:
        clock["first_response_breached_at"] = now - age + HOUR
    moved = SlaClock.objects.get(pk=case.sla_clock_id)
    if due_in is not None and ended_ago is None and moved.first_responded_at is None:
        clock["first_response_due_at"] = clock["resolution_due_at"]  # the next deadline moves
    for name, value in clock.items():
        setattr(moved, name, value)
    moved.save()  # through the model: the case row's next deadline follows
    return model.objects.get(pk=case.pk)


def complaint(state: str, people) -> Complaint:
    return complaint_in_state(state, agent=people["agent"])


def resolved_complaint(people, *, first_contact: bool) -> Complaint:
    case = complaint_in_state(State.IN_PROGRESS, agent=people["agent"])
    return complaint_services.resolve_complaint(
        **CLASSIFIED,
        complaint=case,
        actor=people["agent"],
        code="explained",
        summary="Explained the pending debit; it reversed overnight.",
        is_first_contact=first_contact,
    )


def account_request(state: str, people) -> AccountRequest:
    return request_in_state(state, agent=people["agent"], reviewer=people["reviewer"])


def refund(state: str, people) -> RefundCase:
    return refund_in_state(state, agent=people["agent"], desk=people["desk"], payments=people["payments"])


def build_cases(people) -> None:
    """Cases of each type in several states: due today, breached or on track, paused, in
    every age bucket, resolved in or out of the period, in time or late, first contact or not."""
    # Complaints, open.
    shape(complaint(State.RECEIVED, people), age=2 * HOUR, due_in=3 * HOUR)  # due today
    shape(complaint(State.ACCEPTED, people), age=2 * DAY, due_in=2 * DAY)
    shape(complaint(State.IN_PROGRESS, people), age=5 * DAY, due_in=-HOUR)  # past due, not yet swept
    shape(complaint(State.ESCALATED, people), age=10 * DAY, due_in=-DAY, marked_late=True)
    shape(complaint(State.AWAITING_CUSTOMER, people), age=40 * DAY, due_in=5 * HOUR)  # paused: not due
    # Due today, and breached on its first response.
    shape(complaint(State.IN_PROGRESS, people), age=20 * HOUR, due_in=HOUR / 2, first_response_late=True)
    shape(complaint(State.RECEIVED, people), age=3 * DAY + HOUR, due_in=DAY)  # due tomorrow
    # Complaints, ended.
    shape(resolved_complaint(people, first_contact=True), age=3 * DAY, ended_ago=2 * DAY)
    shape(resolved_complaint(people, first_contact=False), age=15 * DAY, ended_ago=10 * DAY, in_time=False)
    shape(
        complaint(State.CLOSED, people),
        age=25 * DAY,
        ended_ago=20 * DAY,
        first_response_late=True,  # late on the first answer, in time on the resolution
    )
    shape(resolved_complaint(people, first_contact=True), age=50 * DAY, ended_ago=45 * DAY)
    shape(complaint(State.REJECTED, people), age=2 * DAY, ended_ago=DAY)
    shape(complaint(State.WITHDRAWN, people), age=4 * DAY, ended_ago=3 * DAY)

    # Account requests.
    shape(account_request(RequestState.SUBMITTED, people), age=3 * HOUR, due_in=2 * HOUR)
    shape(account_request(RequestState.IDENTITY_VERIFIED, people), age=2 * DAY, due_in=-2 * HOUR)
    shape(account_request(RequestState.PENDING_REVIEW, people), age=8 * DAY, due_in=3 * DAY)
    shape(account_request(RequestState.APPROVED, people), age=31 * DAY, due_in=-5 * DAY, marked_late=True)
    shape(account_request(RequestState.EXECUTED, people), age=4 * DAY, ended_ago=3 * DAY)
    shape(account_request(RequestState.REJECTED, people), age=9 * DAY, ended_ago=6 * DAY, in_time=False)
    shape(account_request(RequestState.CANCELLED, people), age=2 * DAY, ended_ago=DAY)
    shape(account_request(RequestState.EXECUTED, people), age=70 * DAY, ended_ago=60 * DAY, in_time=False)

    # Refund cases.
    shape(refund(RefundState.REQUESTED, people), age=HOUR, due_in=4 * HOUR)
    shape(refund(RefundState.UNDER_REVIEW, people), age=4 * DAY, due_in=-3 * HOUR, marked_late=True)
    # Paused for the evidence, after the sweep had marked it late: late for good.
    shape(refund(RefundState.AWAITING_EVIDENCE, people), age=2 * DAY, due_in=-HOUR, marked_late=True)
    shape(refund(RefundState.APPROVED, people), age=12 * DAY, due_in=10 * DAY)
    shape(refund(RefundState.PROCESSING, people), age=6 * DAY, due_in=-HOUR)
    shape(refund(RefundState.FAILED, people), age=35 * DAY, due_in=DAY)
    shape(refund(RefundState.REFUNDED, people), age=3 * DAY, ended_ago=DAY)
    shape(refund(RefundState.REJECTED, people), age=20 * DAY, ended_ago=15 * DAY, in_time=False)
    shape(refund(RefundState.CANCELLED, people), age=3 * DAY, ended_ago=2 * DAY)
    shape(refund(RefundState.REFUNDED, people), age=41 * DAY, ended_ago=40 * DAY)


def age_bucket(age: dt.timedelta) -> str:
    days = age / DAY
    if days < 1:
        return "lt1d"
    if days < 3:
        return "1to3d"
    if days < 7:
        return "3to7d"
    if days < 30:
        return "7to30d"
    return "gt30d"


def counted_here(now: dt.datetime, period_days: int) -> Counter:
    """Every figure, counted by Python over the cases, with the models' own rules."""
    local = now.astimezone(SHANGHAI)
    day_ends_at = dt.datetime.combine(local.date() + DAY, dt.time(0), tzinfo=SHANGHAI)
    since = now - period_days * DAY
    figures: Counter = Counter()
    for model, key in KEYS.items():
        for case in model.objects.select_related("sla_clock"):
            clock = case.sla_clock
            if case.is_open:
                figures[f"{key}:open"] += 1
                figures[f"{key}:state:{case.state}"] += 1
                figures[f"{key}:age:{age_bucket(now - case.created_at)}"] += 1
                # By the next deadline (casework.sla.selectors): it counts down unless the
                # clock waits on the customer after the first response; late stays late.
                counting = clock.paused_at is None or clock.first_responded_at is None
                marked = clock.resolution_breached_at or clock.first_response_breached_at
                if counting and not marked and now < clock.next_due_at < day_ends_at:
                    figures[f"{key}:due_today"] += 1
                if marked or (counting and clock.next_due_at <= now):
                    figures[f"{key}:breached"] += 1
                    if model is RefundCase:
                        figures[f"{key}:overdue"] += 1
                        figures[f"{key}:overdue:{case.state}"] += 1
            resolved_at = case.resolved_at if model is Complaint else clock.stopped_at
            if case.state in RESOLVED_STATES[model] and since < resolved_at <= now:
                figures[f"{key}:resolved"] += 1
                in_time = clock.resolution_breached_at is None and clock.stopped_at <= clock.resolution_due_at
                figures[f"{key}:resolved_in_time" if in_time else f"{key}:resolved_late"] += 1
                if model is Complaint and case.is_first_contact_resolution:
                    figures[f"{key}:first_contact"] += 1
    return figures


def computed(board: dashboard.Dashboard) -> Counter:
    """The dashboard's figures under the same names as ``counted_here``."""
    figures: Counter = Counter()
    for case_type in board.case_types:
        key = case_type.kind.case_type
        figures[f"{key}:open"] = case_type.open
        figures[f"{key}:due_today"] = case_type.due_today
        figures[f"{key}:breached"] = case_type.breached
        figures[f"{key}:resolved"] = case_type.resolved
        figures[f"{key}:resolved_in_time"] = case_type.resolved_in_time
        figures[f"{key}:resolved_late"] = case_type.resolved_late
        for state, count in case_type.open_by_state.items():
            figures[f"{key}:state:{state}"] = count
        for bucket, count in case_type.open_by_age.items():
            figures[f"{key}:age:{bucket}"] = count
        if case_type.first_contact is not None:
            figures[f"{key}:first_contact"] = case_type.first_contact
        if key == "refund":
            figures[f"{key}:overdue"] = case_type.breached
            for state, count in case_type.breached_by_state.items():
                figures[f"{key}:overdue:{state}"] = count
    return +figures  # zeros dropped, as in counted_here


class FigureParser(HTMLParser):
    """Every element carrying a figure (data-figure, data-count, its link if any), and every
    src and href on the page."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[tuple[str, int, str | None]] = []
        self.addresses: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-figure" in attributes:
            href = attributes.get("href") if tag == "a" else None
            self.figures.append((attributes["data-figure"], int(attributes["data-count"]), href))
        self.addresses += [value for name, value in attrs if name in ("src", "href") and value]


def dashboard_section(response) -> str:
    page = response.content.decode()
    return page.split('<section class="supervisors-dashboard"')[1].split("</section>")[0]


def parse(response) -> FigureParser:
    parser = FigureParser()
    parser.feed(response.content.decode())
    return parser


def shown(response) -> Counter:
    """The figures the page shows, each name once (a figure shown twice must agree)."""
    figures: dict[str, int] = {}
    for key, count, _ in parse(response).figures:
        assert figures.setdefault(key, count) == count, key
    return +Counter(figures)


@pytest.fixture
def cases(frozen_now, people) -> None:
    build_cases(people)


def test_supervisors_and_auditors_hold_the_dashboard_permission(db):
    for role in (roles.SUPERVISOR, roles.AUDITOR):
        assert Group.objects.get(name=role).permissions.filter(codename="view_dashboard").exists()
    assert not Group.objects.get(name=roles.AGENT).permissions.filter(codename="view_dashboard").exists()


def test_every_figure_is_what_python_counts_over_the_cases(cases):
    for period_days in dashboard.PERIODS_DAYS:
        board = dashboard.dashboard(now=NOW, period_days=period_days)
        assert computed(board) == counted_here(NOW, period_days), period_days


def test_the_scenario_reaches_every_kind_of_figure(cases):
    # Guards the test above against a scenario too thin to tell anything apart.
    board = dashboard.dashboard(now=NOW, period_days=30)
    complaints = board.for_type("complaint")
    assert complaints.open == 7
    # The paused one and tomorrow's are not due today; the one late on its first response
    # is breached, not due today.
    assert complaints.due_today == 1
    assert complaints.breached == 3  # past due unswept, marked late, late first response
    assert complaints.open_by_age == {"lt1d": 2, "1to3d": 1, "3to7d": 2, "7to30d": 1, "gt30d": 1}
    # Resolved in 30 days: the first-contact one, the late one, the closed one.
    assert (complaints.resolved, complaints.resolved_in_time, complaints.first_contact) == (3, 2, 1)
    assert complaints.compliance == pytest.approx(2 / 3)
    assert complaints.first_contact_rate == pytest.approx(1 / 3)
    requests = board.for_type("account_request")
    assert (requests.open, requests.due_today, requests.breached) == (4, 1, 2)
    assert (requests.resolved, requests.resolved_in_time) == (2, 1)
    refunds = board.for_type("refund")
    assert (refunds.open, refunds.due_today, refunds.breached) == (6, 1, 3)
    assert {state: n for state, n in refunds.breached_by_state.items() if n} == {
        RefundState.UNDER_REVIEW: 1,
        RefundState.AWAITING_EVIDENCE: 1,
        RefundState.PROCESSING: 1,
    }
    assert (refunds.resolved, refunds.resolved_in_time) == (2, 1)
    ninety = dashboard.dashboard(now=NOW, period_days=90)
    assert ninety.for_type("complaint").resolved == 4
    assert ninety.for_type("refund").resolved == 3


@pytest.mark.parametrize("period_days", dashboard.PERIODS_DAYS)
def test_the_page_shows_every_figure_as_counted(client, cases, people, period_days):
    client.force_login(people["reviewer"])
    response = client.get(INDEX, {"period": period_days})
    assert response.status_code == 200
    assert shown(response) == counted_here(NOW, period_days)


def test_each_figure_links_to_a_changelist_of_exactly_the_counted_cases(client, cases, people):
    client.force_login(people["reviewer"])
    figures = parse(client.get(INDEX)).figures
    links = [(key, count, href) for key, count, href in figures if href]
    assert len(links) == len(figures)  # the supervisor may open every list
    assert {key.split(":")[0] for key, _, _ in links} == set(KEYS.values())
    for key, count, href in links:
        response = client.get(href)
        assert response.status_code == 200, (key, href)
        assert "cl" in response.context, (key, href)  # not an error redirect (?e=1)
        assert response.context["cl"].result_count == count, (key, href)


def test_the_period_selector_changes_the_sla_figures_and_their_links(client, cases, people):
    client.force_login(people["reviewer"])
    response = client.get(INDEX, {"period": "90"})
    hrefs = {key: href for key, _, href in parse(response).figures}
    assert "resolved=90" in hrefs["complaint:resolved"]
    assert 'aria-current="page">90 days' in response.content.decode()
    # Anything but 7, 30 or 90 is the default 30 days.
    hrefs = {key: href for key, _, href in parse(client.get(INDEX, {"period": "365"})).figures}
    assert "resolved=30" in hrefs["complaint:resolved"]


def test_users_without_the_permission_see_the_plain_index(client, frozen_now, people):
    client.force_login(people["agent"])
    response = client.get(INDEX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "supervisors-dashboard" not in page
    assert "casework/dashboard.css" not in page
    assert "Complaints" in page  # the apps are listed as ever


def test_auditors_see_the_dashboard_and_app_pages_do_not_show_it(client, frozen_now, auditor):
    client.force_login(auditor)
    assert "Supervisors' dashboard" in client.get(INDEX).content.decode()
    app_page = client.get(reverse("admin:app_list", args=["complaints"]))
    assert app_page.status_code == 200
    assert "supervisors-dashboard" not in app_page.content.decode()


def test_charts_are_inline_svg_with_titles_and_their_numbers_as_text(client, cases, people):
    client.force_login(people["reviewer"])
    charts = re.findall(r"<svg\b.*?</svg>", dashboard_section(client.get(INDEX)), flags=re.S)
    # Compliance, per case type its states and its ages, the complaints' CSAT by week, and
    # their repeat rate by category and by channel.
    assert len(charts) == 10
    for chart in charts:
        assert re.search(r'aria-labelledby="[^"]+-title"', chart)
        assert re.search(r"<title id=\"[^\"]+-title\">[^<]+</title>", chart)
        assert re.search(r"<desc id=\"[^\"]+-desc\">[^<]*\d", chart)
    states = next(chart for chart in charts if "dashboard-complaint-states" in chart)
    assert re.search(r'class="chart-label"[^>]*>awaiting customer</text>', states)
    assert re.search(r'class="chart-value"[^>]*>1</text>', states)


def test_the_page_loads_nothing_from_another_site(client, cases, people):
    client.force_login(people["reviewer"])
    response = client.get(INDEX)
    page = response.content.decode()
    assert "supervisors-dashboard" in page
    addresses = parse(response).addresses
    assert addresses
    foreign = [a for a in addresses if re.match(r"^(https?:)?//", a) and "//testserver/" not in a]
    assert foreign == []
    assert "<script" not in dashboard_section(response)


def index_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(INDEX)
    assert response.status_code == 200
    assert "supervisors-dashboard" in response.content.decode()
    return len(queries)


MAKERS = (
    lambda people: shape(complaint(State.IN_PROGRESS, people), age=2 * DAY, due_in=-HOUR),
    lambda people: shape(resolved_complaint(people, first_contact=True), age=3 * DAY, ended_ago=DAY),
    lambda people: shape(account_request(RequestState.PENDING_REVIEW, people), age=5 * HOUR, due_in=HOUR),
    lambda people: shape(refund(RefundState.UNDER_REVIEW, people), age=9 * DAY, due_in=DAY),
    lambda people: shape(refund(RefundState.REJECTED, people), age=40 * DAY, ended_ago=5 * DAY),
)


def make_cases(people, count: int) -> None:
    for index in range(count):
        MAKERS[index % len(MAKERS)](people)


def test_the_query_count_does_not_grow_with_the_number_of_cases(client, frozen_now, people):
    make_cases(people, 5)
    client.force_login(people["reviewer"])
    client.get(INDEX)  # warm the content-type and session caches
    with_five = index_queries(client)
    make_cases(people, 45)
    assert sum(model.objects.count() for model in KEYS) == 50
    assert index_queries(client) == with_five
