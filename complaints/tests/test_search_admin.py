"""The complaints changelist's search box: words inside what is written on a complaint,
beside the identifiers it found before; the refund cases' search by part of a merchant."""

# ruff: noqa: RUF001
from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from complaints.models import Complaint, State
from complaints.tests.factories import complaint_in_state, register

COMPLAINTS = reverse("admin:complaints_complaint_changelist")


def listed(client, term: str) -> list[Complaint]:
    response = client.get(COMPLAINTS, {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_the_search_box_finds_words_in_a_description_and_a_note(client, agent):
    described = register(agent, description="付款失败，但余额被扣，退款未到账。")
    noted = register(agent, description="Top-up failed.")
    services.add_note(complaint=noted, actor=agent, body="Customer called again; bank says REVERSAL posted.")
    register(agent, description="App crashes.")
    client.force_login(agent)

    assert listed(client, "退款未到账") == [described]
    assert listed(client, "reversal posted") == [noted]
    assert listed(client, "failed") == [noted]  # "Top-up failed."; the Chinese one says 失败
    assert listed(client, "失败 余额") == [described]


def test_the_identifiers_are_still_found_as_before(client, agent):
    wanted = register(agent, customer_phone="13700001111", customer_name="Zhang Wei")
    register(agent, customer_phone="13600002222", customer_name="Wang Fang")
    client.force_login(agent)

    assert listed(client, "13700001111") == [wanted]
    assert listed(client, "Zhang Wei") == [wanted]
    assert listed(client, wanted.reference) == [wanted]
    assert listed(client, wanted.transaction_reference) == [wanted]
    assert listed(client, "0001111") == [], "a phone number is searched whole, never by a part"


def test_an_identifier_and_words_list_a_complaint_once(client, agent):
    complaint = register(agent, description="Merchant TX20261124999 charged twice.")
    services.add_note(complaint=complaint, actor=agent, body="charged twice, confirmed")
    client.force_login(agent)

    assert listed(client, "charged twice") == [complaint]
    assert listed(client, complaint.transaction_reference) == [complaint]


def test_the_search_shows_what_it_searches(client, agent):
    client.force_login(agent)
    page = client.get(COMPLAINTS).content.decode()
    assert "words found in the description, merchant, notes and messages" in page


def test_the_search_takes_the_same_queries_whatever_it_finds(client, agent):
    client.force_login(agent)
    for number in range(3):
        register(agent, description=f"钱包转账失败，第{number}次")

    def queries(term: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(COMPLAINTS, {"q": term}).status_code == 200
        return len(captured)

    assert queries("钱包转账失败") == queries("没有这样的投诉") == queries("钱包转账失败 第1次")


def test_a_closed_complaint_is_found_when_the_list_shows_every_state(client, agent):
    closed = complaint_in_state(State.CLOSED, agent=agent, description="商户拒绝退款，客户要求复核。")
    client.force_login(agent)

    response = client.get(COMPLAINTS, {"q": "拒绝退款", "open": "any"})
    assert list(response.context["cl"].result_list) == [closed]


def test_a_refund_case_is_found_by_any_part_of_its_merchant(client, agent, supervisor):
    from refunds import services as refund_services

    complaint = complaint_in_state(
        State.IN_PROGRESS, agent=agent, category="refund", merchant="美团外卖（上海徐汇店）"
    )
    case = refund_services.open_refund_case_from_complaint(
        complaint=complaint, actor=agent, refund_type="failed_payment"
    )
    client.force_login(supervisor)
    url = reverse("admin:refunds_refundcase_changelist")

    for term in ("上海徐汇", "美团外卖", case.transaction.merchant):
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == [case], term
    assert list(client.get(url, {"q": "北京"}).context["cl"].result_list) == []
