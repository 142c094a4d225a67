"""Repeats and likely duplicates at the doors (issue 18, items 2 and 3): what the agent
sees at intake and on a complaint's page, and what a partner reads of its own complaints
only."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.models import Complaint
from complaints.tests.api import LIST_URL, detail_url, payload
from complaints.tests.factories import register

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
ACCOUNT = "6222000011112222"
RELATED_URL = reverse("admin:complaints_complaint_related")


def of_li_lei(actor, **overrides) -> Complaint:
    values = {
        "customer_name": "Li Lei",
        "customer_phone": PHONE,
        "account_number": ACCOUNT,
        "transaction_reference": "TX-88001",
    }
    return register(actor, **{**values, **overrides})


def test_intake_lists_the_customers_related_complaints_with_duplicates_marked(client, agent):
    earlier = of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=5))
    other_category = of_li_lei(agent, category="slow_service", transaction_reference="")
    someone_else = register(agent, transaction_reference="TX-88001")  # another customer
    client.force_login(agent)
    answer = client.get(
        RELATED_URL,
        {"customer_phone": "138 0013 8000", "category": "transaction", "transaction_reference": "TX-88001"},
    ).json()
    assert [case["reference"] for case in answer["cases"]] == [earlier.reference]
    [case] = answer["cases"]
    assert case["url"] == reverse("admin:complaints_complaint_change", args=[earlier.pk])
    assert case["is_duplicate"] and case["same_transaction"]
    assert "repeat complaint" in answer["repeat"] and "no. 2" in answer["repeat"]
    # Nothing personal beyond what the lists show: no phone, no account number, no name.
    text = str(answer)
    for secret in ("+8613800138000", ACCOUNT, "Li Lei"):
        assert secret not in text
    assert other_category.reference not in text and someone_else.reference not in text


def test_intake_knows_nobody_from_unknown_details(client, agent):
    client.force_login(agent)
    answer = client.get(RELATED_URL, {"customer_phone": "13900139000", "category": "transaction"}).json()
    assert answer == {"customer_known": False, "cases": [], "repeat": None}


def test_intake_check_needs_a_staff_login(client, partner):
    assert client.get(RELATED_URL).status_code == 302  # to the login page
    client.force_login(partner.user)
    assert client.get(RELATED_URL).status_code in (302, 403)


def test_the_add_page_carries_the_related_panel(client, agent):
    client.force_login(agent)
    page = client.get(reverse("admin:complaints_complaint_add")).content.decode()
    assert f'data-related-url="{RELATED_URL}"' in page
    assert "complaints/related.js" in page


def test_the_case_page_says_what_it_repeats_and_its_possible_duplicates(client, agent):
    first = of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=1))
    second = of_li_lei(agent)
    client.force_login(agent)
    page = client.get(reverse("admin:complaints_complaint_change", args=[second.pk])).content.decode()
    assert "Repeat of" in page and first.reference in page
    assert "Possible duplicates" in page
    page = client.get(reverse("admin:complaints_complaint_change", args=[first.pk])).content.decode()
    assert "Repeated by" in page and second.reference in page


def test_the_case_page_speaks_chinese(chinese_admin, agent):
    first = of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=1))
    second = of_li_lei(agent)
    page = chinese_admin.get(reverse("admin:complaints_complaint_change", args=[second.pk])).content.decode()
    assert "重复投诉" in page and first.reference in page


def test_the_partner_reads_its_repeat_and_duplicates_among_its_own_complaints_only(
    api, other_api, agent, partner
):
    staff = of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=2))
    theirs = other_api.post(LIST_URL, payload(external_reference="GLOBEX-1"), format="json")
    assert theirs.status_code == 201
    first = api.post(LIST_URL, payload(external_reference="ACME-1"), format="json")
    assert first.status_code == 201
    # The back office knows it as a repeat of the staff's complaint; the partner does not.
    assert Complaint.objects.get(reference=first.data["reference"]).repeat_of.reference == staff.reference
    assert first.data["repeat"] == {"is_repeat": False, "repeat_of": None, "complaints_in_window": 1}
    assert first.data["likely_duplicates"] == []
    second = api.post(LIST_URL, payload(external_reference="ACME-2"), format="json")
    assert second.status_code == 201
    assert second.data["repeat"] == {
        "is_repeat": True,
        "repeat_of": first.data["reference"],
        "complaints_in_window": 2,
    }
    assert [d["reference"] for d in second.data["likely_duplicates"]] == [first.data["reference"]]
    assert second.data["likely_duplicates"][0]["external_reference"] == "ACME-1"
    shown = str(second.data) + str(api.get(detail_url(second.data["reference"])).data)
    assert staff.reference not in shown and theirs.data["reference"] not in shown
    read = api.get(detail_url(second.data["reference"])).data
    assert read["repeat"]["repeat_of"] == first.data["reference"]
    # The list stays lean: no per-row lookups.
    listed = api.get(LIST_URL).data["results"]
    assert "likely_duplicates" not in listed[0]


def test_the_schema_names_the_repeat_and_the_duplicates(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    detail = schema["components"]["schemas"]["ComplaintDetail"]["properties"]
    assert {"repeat", "likely_duplicates"} <= set(detail)
    create = schema["paths"]["/api/v1/complaints/"]["post"]["responses"]["201"]
    retrieve = schema["paths"]["/api/v1/complaints/{reference}/"]["get"]["responses"]["200"]
    for answer in (create, retrieve):
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ComplaintDetail")


def test_the_dashboard_shows_the_repeat_rate_by_category_and_channel(client, agent, supervisor):
    first = of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=3))
    of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=2))  # counted
    of_li_lei(agent, channel="chat")  # flagged, a 3rd in the window: not counted again
    register(agent, category="slow_service", transaction_reference="")  # another customer
    assert first.repeat_count == 1
    client.force_login(supervisor)
    page = client.get(reverse("admin:index")).content.decode()
    panel = page.split('data-panel="complaint-repeats"')[1].split("data-panel=")[0]
    assert 'data-repeat-rate="25%"' in panel  # 1 counted of 4 registered
    assert "1 of 4 complaints registered in the period" in panel
    figures = dict(re.findall(r'data-figure="complaint:repeats:([a-z_:]+)"[^>]*data-count="(\d+)"', panel))
    assert figures == {
        "category:slow_service": "0",
        "category:transaction": "1",
        "channel:chat": "0",
        "channel:phone": "1",
    }
    link = re.search(r'href="([^"]+)"[^>]*data-figure="complaint:repeats:category:transaction"', panel)
    listed = client.get(html.unescape(link.group(1)))
    assert listed.context["cl"].result_count == 1


def test_the_dashboards_repeat_panel_costs_the_same_queries_whatever_the_cases(client, agent, supervisor):
    client.force_login(supervisor)
    client.get(reverse("admin:index"))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("admin:index"))
        return len(captured)

    of_li_lei(agent)
    few = queries()
    for days in range(1, 6):
        of_li_lei(agent, received_at=timezone.now() - dt.timedelta(days=days), channel="chat")
    assert queries() == few
