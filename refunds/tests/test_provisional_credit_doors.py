"""The provisional credit's two doors: the refund case page's panel and its steps (staff),
and the payments system's report on the API. Both call the same services and refuse the
same input alike: the admin beside the field, the API with a 400 naming it; a stale copy
is refused by both (the admin's form again, the API's 409), never written over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.tests.action_forms import row_errors, top_errors
from casework.tests.admin import act, admin_url, forbidden, messages_of, results, visible_text
from casework.tests.api import assert_error, client_for
from refunds import services
from refunds.models import CreditState, ProvisionalCredit
from refunds.tests.admin import CHANGELIST
from refunds.tests.provisional import refund_under

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def awake(settings):
    settings.CUSTOMER_QUIET_HOURS = ""


@pytest.fixture
def case(agent, refunds_desk):
    return refund_under(agent, refunds_desk)


def opened(case, desk) -> ProvisionalCredit:
    return services.open_provisional_credit(refund_case=case, actor=desk)


def credited_url(credit: ProvisionalCredit) -> str:
    return reverse("provisional-credit-credited", kwargs={"key": credit.idempotency_key})


def credit_url(credit: ProvisionalCredit) -> str:
    return reverse("provisional-credit-detail", kwargs={"key": credit.idempotency_key})


# The staff door.


def test_the_page_offers_the_credit_under_reg_e_and_not_under_pboc(client, agent, refunds_desk, case):
    client.force_login(refunds_desk)

    page = visible_text(client.get(admin_url(case)))
    assert "Provisional credit (Regulation E)" in page
    assert "needs the disputed amount provisionally credited by" in page
    assert "Open provisional credit" in page

    chinese = refund_under(agent, refunds_desk, regime="cn-pboc", currency="CNY")
    page = visible_text(client.get(admin_url(chinese)))
    assert "Provisional credit (Regulation E)" not in page and "Open provisional credit" not in page


def test_open_puts_an_amount_above_what_is_refundable_beside_the_amount(client, refunds_desk, case):
    client.force_login(refunds_desk)
    url = admin_url(case, "step", "open-provisional-credit")

    response = client.post(url, {"amount": "900.00", "reason": "Reg E dispute"})

    assert response.status_code == 200
    [error] = row_errors(response, "amount")
    assert error.startswith("USD 900.00 is more than is still refundable on ")
    assert top_errors(response) == ""
    assert not ProvisionalCredit.objects.exists()


def test_open_then_the_panel_shows_the_countdown_and_the_instruction(client, refunds_desk, case):
    client.force_login(refunds_desk)

    response = act(client, admin_url(case, "step", "open-provisional-credit"), amount="300.00", reason="")

    credit = ProvisionalCredit.objects.get()
    page = visible_text(response)
    assert "USD 300.00" in page and "due in" in page and credit.idempotency_key in page
    assert "10 business days after the complaint was received (12 CFR 1005.11(c)(2))" in page
    assert "Record the credit" in page and "Open provisional credit" not in page
    # In the panel, beside what they act on; not twice in the header's row of steps.
    header = response.content.decode().split('class="case-header"')[1].split("</section>")[0]
    assert "Record the credit" not in header


def test_the_blank_reference_is_refused_beside_it_by_the_admin_and_named_by_the_api(
    client, refunds_desk, payments_system, case
):
    credit = opened(case, refunds_desk)
    client.force_login(refunds_desk)

    response = client.post(
        admin_url(case, "step", "record-provisional-credit"),
        {"credit_version": credit.version, "processor_reference": "  "},
    )
    assert row_errors(response, "processor_reference") == ["This field is required."]

    api = client_for(payments_system)
    error = assert_error(
        api.post(credited_url(credit), {"processor_reference": ""}, format="json"), 400, "invalid"
    )
    assert list(error["fields"]) == ["processor_reference"]
    credit.refresh_from_db()
    assert credit.state == CreditState.DUE


def test_a_stale_credit_form_is_shown_again_and_a_stale_report_is_a_409(
    client, refunds_desk, payments_system, case
):
    credit = opened(case, refunds_desk)
    seen = credit.version
    services.credit_provisionally(credit=credit, actor=payments_system, processor_reference="PSP-FIRST")
    client.force_login(refunds_desk)

    response = client.post(
        admin_url(case, "step", "record-provisional-credit"),
        {"credit_version": seen, "processor_reference": "PSP-SECOND"},
    )
    assert response.status_code == 200
    assert "was changed by someone else after you opened it" in top_errors(response)

    api = client_for(payments_system)
    refused = api.post(
        credited_url(credit), {"processor_reference": "PSP-SECOND", "version": seen}, format="json"
    )
    assert_error(refused, 409, "concurrent_change")
    credit.refresh_from_db()
    assert credit.processor_reference == "PSP-FIRST"


def test_a_late_credit_is_said_late_before_and_after_it_is_recorded(client, refunds_desk, case, clock):
    credit = opened(case, refunds_desk)
    clock.now = credit.due_at + dt.timedelta(hours=3)
    client.force_login(refunds_desk)

    page = client.get(admin_url(case, "step", "record-provisional-credit"))
    assert "Late: it was due" in visible_text(page)
    assert "the complaint's longer investigation limit will be refused" in visible_text(page)

    response = act(
        client,
        admin_url(case, "step", "record-provisional-credit"),
        credit_version=credit.version,
        processor_reference="PSP-LATE-1",
    )
    page = visible_text(response)
    assert "credited late" in page and "The credit was not made by its deadline" in page
    credit.refresh_from_db()
    assert credit.state == CreditState.CREDITED and credit.is_late

    late = results(client.get(CHANGELIST, {"provisional_credit": "late", "open": "all"}))
    assert [row.pk for row in late] == [case.pk]


def test_reversing_is_four_eyes_and_needs_a_reason_beside_it(
    client, refunds_desk, other_refunds_desk, payments_system, case
):
    credit = opened(case, refunds_desk)
    services.credit_provisionally(credit=credit, actor=payments_system, processor_reference="PSP-1")
    url = admin_url(case, "step", "reverse-provisional-credit")

    client.force_login(refunds_desk)  # opened it
    page = visible_text(client.get(admin_url(case)))
    assert "Reversing needs four eyes: someone other than refunds.zhou" in page
    assert "Reverse the credit" not in page
    assert forbidden(client.post(url, {"credit_version": 2, "reason": "No error"}))

    client.force_login(other_refunds_desk)
    credit.refresh_from_db()
    response = client.post(url, {"credit_version": credit.version, "reason": ""})
    assert row_errors(response, "reason") == ["This field is required."]
    response = act(client, url, credit_version=credit.version, reason="The merchant's log shows delivery.")
    assert messages_of(response)
    credit.refresh_from_db()
    assert credit.state == CreditState.REVERSED
    assert "payments to others honoured until" in visible_text(response)


def test_the_list_marks_a_due_credit_under_its_amount(client, refunds_desk, case):
    opened(case, refunds_desk)
    client.force_login(refunds_desk)

    page = visible_text(client.get(CHANGELIST, {"provisional_credit": "due"}))

    assert case.reference in page and "credit due in" in page


# The payments system's door.


def test_the_payments_system_reads_and_reports_the_credit_once(payments_system, refunds_desk, case):
    credit = opened(case, refunds_desk)
    api = client_for(payments_system)

    read = api.get(credit_url(credit))
    assert read.status_code == 200 and read.json()["state"] == "due" and read.json()["amount"] == "300.00"
    reported = api.post(credited_url(credit), {"processor_reference": "PSP-77"}, format="json")
    assert reported.status_code == 200, reported.content
    assert (reported.json()["state"], reported.json()["late"]) == ("credited", False)
    assert reported["ETag"] == f'"{reported.json()["version"]}"'

    again = api.post(credited_url(credit), {"processor_reference": "PSP-77"}, format="json")
    assert again.status_code == 200 and again.json()["version"] == reported.json()["version"]
    other = api.post(credited_url(credit), {"processor_reference": "PSP-78"}, format="json")
    assert_error(other, 409, "conflicting_report")


def test_a_partner_or_an_unknown_key_is_refused(partner, payments_system, refunds_desk, case):
    credit = opened(case, refunds_desk)

    assert_error(client_for(partner.user).get(credit_url(credit)), 403, "permission_denied")
    missing = reverse("provisional-credit-credited", kwargs={"key": "RFD-20990101-000001-PCR"})
    assert_error(
        client_for(payments_system).post(missing, {"processor_reference": "X"}, format="json"),
        404,
        "not_found",
    )
