"""The customer's page (Customer 360): every case of one customer, of every type, open first,
and nothing of anyone else's; the messages to and from them; their identifiers masked and
revealed one at a time, with the log; the search by account or phone; the link from each
case page; the same few queries however many cases the customer has."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.access import roles
from casework.customers import history
from casework.models import CustomerIdentifier, RevealLog
from casework.tests.admin import admin_url
from casework.tests.customer_story import PHONE, STORED_PHONE, customer_with_every_case_type
from casework.tests.masked_numbers import reveal_url
from casework.tests.users import make_user
from complaints.tests.factories import register

SEARCH = reverse("admin-customers")


def customer_url(customer) -> str:
    return reverse("admin-customer", args=[customer.pk])


@pytest.fixture
def desk(db):
    return make_user("desk", roles.REFUNDS_DESK)


@pytest.fixture
def story(agent, supervisor, desk):
    return customer_with_every_case_type(agent=agent, reviewer=supervisor, desk=desk)


def page_of(client, user, customer) -> str:
    client.force_login(user)
    response = client.get(customer_url(customer))
    assert response.status_code == 200
    return response.content.decode()


def references_in(page: str) -> list[str]:
    return re.findall(r'class="customer-case__reference"><a href="[^"]+">([^<]+)</a>', page)


def test_the_page_lists_every_case_type_of_the_customer_and_nothing_of_another(client, supervisor, story):
    customer = story["customer"]
    assert {story["unlock"].customer, story["refund"].customer, story["earlier"].customer} == {customer}
    assert story["other"].customer != customer

    page = page_of(client, supervisor, customer)

    shown = references_in(page)
    expected = {
        story[name].reference for name in ("earlier", "locked", "unlock", "refund", "refund_complaint")
    }
    assert set(shown) == expected and len(shown) == 5
    assert story["other"].reference not in page
    assert admin_url(story["refund"]) in page and admin_url(story["unlock"]) in page
    assert "Account request" in page and "Refund case" in page and "Complaint" in page
    # The outcome where the kind has one: the earlier complaint's resolution.
    assert "Refunded 88.00 CNY" in page


def test_open_cases_come_first_then_the_rest_newest_first(client, supervisor, story):
    shown = references_in(page_of(client, supervisor, story["customer"]))

    assert shown[-1] == story["earlier"].reference  # the only ended case, last
    # The open ones, newest first: the refund case, its complaint, the unlock request, the first complaint.
    assert shown[:4] == [
        story["refund"].reference,
        story["refund_complaint"].reference,
        story["unlock"].reference,
        story["locked"].reference,
    ]


def test_the_messages_sent_and_received_are_listed_newest_first_masked(client, supervisor, story):
    page = page_of(client, supervisor, story["customer"])

    messages = page[page.index('id="customer-messages"') :]
    assert "I still cannot log in" in messages  # the SMS reply
    assert "Acceptance notice" in messages
    assert messages.index("I still cannot log in") < messages.index("Acceptance notice")
    assert "139****2233" in messages.replace(" ", "") or "+86 139 **** 2233" in messages


@pytest.mark.parametrize("role", ["agent", "supervisor", "technician", "refunds_desk"])
def test_no_number_is_shown_in_full_to_anyone(client, story, role, request):
    user = request.getfixturevalue(role) if role != "refunds_desk" else make_user("desk2", roles.REFUNDS_DESK)

    page = page_of(client, user, story["customer"])

    for full in (STORED_PHONE, PHONE, "+86 139 1100 2233", "WLT-8800-1203"):
        assert full not in page
    assert "WLT-****-1203" in page


def test_who_may_reveal_gets_a_reveal_button_and_who_may_not_gets_none(
    client, agent, supervisor, technician, story
):
    account = CustomerIdentifier.objects.get(customer=story["customer"], value="WLT-8800-1203")
    button = f'data-reveal-url="{reveal_url(account, "value")}"'

    assert button in page_of(client, agent, story["customer"])
    assert button in page_of(client, supervisor, story["customer"])
    assert "reveal-personal-data" not in page_of(client, technician, story["customer"])


def test_revealing_an_identifier_needs_a_reason_and_is_logged_under_the_customer(client, supervisor, story):
    phone = CustomerIdentifier.objects.get(customer=story["customer"], value=STORED_PHONE)
    client.force_login(supervisor)

    refused = client.post(reveal_url(phone, "value"), {"reveal_reason": ""}, HTTP_ACCEPT="application/json")
    shown = client.post(
        reveal_url(phone, "value"),
        {"reveal_reason": "Calling the customer back"},
        HTTP_ACCEPT="application/json",
    )

    assert refused.status_code == 400 and "reveal_reason" in refused.json()["errors"]
    assert shown.status_code == 200 and shown.json()["value"] == STORED_PHONE
    logs = list(RevealLog.objects.order_by("pk"))
    assert [log.outcome for log in logs] == [RevealLog.Outcome.NO_REASON, RevealLog.Outcome.REVEALED]
    revealed = logs[1]
    assert (revealed.user, revealed.field_name, revealed.reason) == (
        supervisor,
        "value",
        "Calling the customer back",
    )
    assert revealed.content_type == ContentType.objects.get_for_model(CustomerIdentifier)
    assert revealed.object_id == phone.pk
    # The log names the customer, never the value.
    assert revealed.case_reference == f"customer #{story['customer'].pk}"


def test_a_user_who_may_not_reveal_is_refused_and_the_try_is_logged(client, technician, story):
    phone = CustomerIdentifier.objects.get(customer=story["customer"], value=STORED_PHONE)
    client.force_login(technician)

    response = client.post(
        reveal_url(phone, "value"), {"reveal_reason": "curious"}, HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 403
    assert STORED_PHONE not in response.content.decode()
    assert RevealLog.objects.get().outcome == RevealLog.Outcome.REFUSED


def test_only_the_case_types_the_user_may_view_are_shown(client, story):
    reader = make_user("reader", None)
    reader.user_permissions.add(Permission.objects.get(codename="view_complaint"))

    page = page_of(client, reader, story["customer"])

    assert story["locked"].reference in page
    assert story["refund"].reference not in page and story["unlock"].reference not in page
    assert "Account request" not in page


def test_a_user_who_may_view_no_case_type_is_refused(client, story):
    nobody = make_user("nobody", None)
    client.force_login(nobody)

    assert client.get(customer_url(story["customer"])).status_code == 403
    assert client.get(SEARCH).status_code == 403


# Searching.


def test_a_customer_is_found_by_the_account_number(client, agent, story):
    client.force_login(agent)

    response = client.get(SEARCH, {"account_number": "WLT-8800-1203"})

    assert response.status_code == 302 and response["Location"] == customer_url(story["customer"])


@pytest.mark.parametrize("typed", ["13911002233", "+86 139 1100 2233", "139-1100-2233"])
def test_a_customer_is_found_by_the_phone_however_it_is_written(client, agent, story, typed):
    client.force_login(agent)

    response = client.get(SEARCH, {"phone": typed})

    assert response.status_code == 302 and response["Location"] == customer_url(story["customer"])


def test_nobody_found_is_said_next_to_the_field_and_nothing_is_made(client, agent, story):
    client.force_login(agent)
    customers_before = CustomerIdentifier.objects.count()

    by_account = client.get(SEARCH, {"account_number": "WLT-0000-0000"})
    by_phone = client.get(SEARCH, {"phone": "13600136000"})

    assert by_account.status_code == 200
    assert by_account.context["search_form"].errors == {
        "account_number": ["No customer has this wallet account number."]
    }
    assert by_phone.context["search_form"].errors == {"phone": ["No customer has this phone number."]}
    assert "No customer has this phone number." in by_phone.content.decode()
    assert CustomerIdentifier.objects.count() == customers_before


def test_a_phone_that_is_no_number_is_refused_next_to_the_field(client, agent, story):
    client.force_login(agent)

    response = client.get(SEARCH, {"phone": "12345"})

    assert list(response.context["search_form"].errors) == ["phone"]
    assert "Enter a valid phone number" in response.context["search_form"].errors["phone"][0]


def test_an_empty_search_asks_for_one_of_the_two(client, agent, db):
    client.force_login(agent)

    empty = client.get(SEARCH, {"account_number": "", "phone": ""})
    bare = client.get(SEARCH)

    assert list(empty.context["search_form"].errors) == ["account_number"]
    assert bare.status_code == 200 and not bare.context["search_form"].is_bound


# From a case.


def test_every_case_page_links_to_its_customer_with_the_count(client, agent, story):
    client.force_login(agent)

    for name in ("locked", "unlock", "refund"):
        page = client.get(admin_url(story[name])).content.decode()
        assert f'href="{customer_url(story["customer"])}"' in page, name
        assert "All cases of this customer (5)" in page, name
    other = client.get(admin_url(story["other"])).content.decode()
    assert "All cases of this customer (1)" in other


# Cost.


def add_cases(agent, count: int) -> None:
    for _ in range(count):
        register(agent, customer_phone=PHONE)


def queries_of_page(client, customer) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(customer_url(customer)).status_code == 200
    return len(captured)


def test_the_page_costs_the_same_queries_at_any_number_of_cases(client, agent, supervisor, story):
    client.force_login(supervisor)
    queries_of_page(client, story["customer"])  # warm: the content types, the session
    few = queries_of_page(client, story["customer"])

    add_cases(agent, 8)
    many = queries_of_page(client, story["customer"])

    assert many == few
    assert len(history.identifiers_of(story["customer"])) >= 3


def test_a_kind_beyond_the_cap_says_how_many_more_and_links_to_their_list(
    client, agent, supervisor, story, monkeypatch
):
    monkeypatch.setattr(history, "CASES_SHOWN", 2)
    client.force_login(supervisor)
    few = queries_of_page(client, story["customer"])

    page = client.get(customer_url(story["customer"])).content.decode()

    assert "and 1 more of the complaints" in page
    assert f"?customer__id__exact={story['customer'].pk}" in page
    add_cases(agent, 5)
    assert queries_of_page(client, story["customer"]) == few


# The demo.


def test_the_demo_has_a_customer_with_a_case_of_every_type(db, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo's evidence scans
    out = StringIO()
    call_command("load_demo", stdout=out)
    url = re.search(r"Tang Wen: .*her page: (/admin/customers/\d+/)", out.getvalue()).group(1)
    client.force_login(User.objects.get(username="supervisor"))

    page = client.get(url).content.decode()

    assert "Account request" in page and "Refund case" in page
    # four complaints (one merged into another), the unlock, the refund
    assert len(references_in(page)) == 6, references_in(page)
    assert "Still locked out of my wallet" in page
    call_command("load_demo", stdout=StringIO())  # again, over itself: nothing told twice
    assert client.get(url).content.decode().count('class="customer-case__reference"') == 6


def test_the_case_lists_link_each_customer_to_their_page(client, supervisor, story):
    client.force_login(supervisor)
    link = '<a href="{}" class="case-customer-link"'

    complaints = client.get(reverse("admin:complaints_complaint_changelist")).content.decode()
    requests = client.get(reverse("admin:accounts_accountrequest_changelist")).content.decode()

    assert link.format(customer_url(story["customer"])) in complaints
    assert link.format(customer_url(story["other"].customer)) in complaints
    assert link.format(customer_url(story["customer"])) in requests
