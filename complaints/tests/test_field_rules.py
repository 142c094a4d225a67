"""Each rule of a complaint's fields (phone, currency, time of the transaction, amount,
length of free text) refused the same by every door: the admin's add and change forms
(next to the field, nothing saved), the partner API (400 naming the field, nothing saved)
and the service, in the same words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.core.errors import InvalidInput
from casework.tests.admin import act, admin_url
from casework.tests.api import assert_error
from complaints import services
from complaints.models import Complaint, ComplaintNote, PartnerMessage
from complaints.tests.admin import ADD, open_change_form, registration
from complaints.tests.api import LIST_URL, notes_url, payload
from complaints.tests.factories import CLASSIFIED, register

PHONE = "Enter a valid phone number, e.g. 13800138000 or +86 138 0013 8000."
FUTURE = "Cannot be in the future."
TOO_EARLY = "Cannot be before 2000-01-01: no wallet payment is that old."
NOT_POSITIVE = "The amount must be more than zero."
TOO_LARGE = "The amount is more than the back office takes: at most 10,000,000."
# Full-width and Arabic-Indic digits below are written as escapes.
DIGITS = "Enter the amount in the digits 0-9 with a point before the decimals, e.g. 120.50."


def currency(code: str) -> str:
    return f"'{code}' is not a currency the wallet supports; use an ISO 4217 code such as CNY."


def too_long(limit: int, length: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {length})."


# field, what is typed (admin form text and API JSON alike), the refusal.
BAD_INPUT = [
    pytest.param("customer_phone", "hello", PHONE, id="phone-not-a-number"),
    pytest.param("customer_phone", "12345", PHONE, id="phone-too-short"),
    pytest.param("customer_phone", "+86 100 0000 0000", PHONE, id="phone-no-such-number"),
    pytest.param("currency", "XYZ", currency("XYZ"), id="currency-unknown"),
    pytest.param("currency", "BTC", currency("BTC"), id="currency-unsupported"),
    pytest.param("amount", "99999999", TOO_LARGE, id="amount-above-the-cap"),
    pytest.param("amount", "-5", NOT_POSITIVE, id="amount-negative"),
    pytest.param("amount", "0", NOT_POSITIVE, id="amount-zero"),
    pytest.param("amount", "\uff11\uff12\uff13.\uff14\uff15", DIGITS, id="amount-full-width-digits"),
    pytest.param("amount", "\u0661\u0662\u0663", DIGITS, id="amount-arabic-indic-digits"),
    pytest.param("description", "x" * 5001, too_long(5000, 5001), id="description-too-long"),
    pytest.param("customer_name", "x" * 121, too_long(120, 121), id="name-too-long"),
    pytest.param("merchant", "x" * 121, too_long(120, 121), id="merchant-too-long"),
    pytest.param("device", "x" * 121, too_long(120, 121), id="device-too-long"),
]
# (date, time) as the admin's split input takes it, the same moment for the API.
BAD_TIMES = [
    pytest.param(("2030-03-02", "14:05:00"), "2030-03-02T14:05:00+08:00", FUTURE, id="in-2030"),
    pytest.param(("9999-12-31", "00:00:00"), "9999-12-31T00:00:00+08:00", FUTURE, id="in-9999"),
    pytest.param(("1999-12-31", "08:00:00"), "1999-12-31T08:00:00+08:00", TOO_EARLY, id="before-2000"),
]


def refusals(response, field: str) -> list[str]:
    assert response.status_code == 200, "the form was accepted"
    return response.context["adminform"].form.errors.get(field, [])


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_the_admin_add_form_refuses_a_bad_detail_next_to_its_field(client, agent, field, value, message):
    client.force_login(agent)

    response = client.post(ADD, registration(**{field: value}))

    assert refusals(response, field) == [message]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_the_admin_change_form_refuses_a_bad_detail_next_to_its_field(client, agent, field, value, message):
    complaint = register(agent)
    before = Complaint.objects.values().get(pk=complaint.pk)
    client.force_login(agent)
    data = open_change_form(client, complaint)
    data[field] = value

    response = client.post(admin_url(complaint), data)

    assert refusals(response, field) == [message]
    assert Complaint.objects.values().get(pk=complaint.pk) == before


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_the_api_refuses_a_bad_detail_naming_its_field(api, field, value, message):
    response = api.post(LIST_URL, payload(**{field: value}), format="json")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {field: [message]}
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUT)
def test_registering_refuses_a_bad_detail_naming_its_field(agent, field, value, message):
    if field == "amount" and value.isascii():
        value = Decimal(value)

    with pytest.raises(InvalidInput) as refused:
        register(agent, **{field: value})

    assert refused.value.field == field
    assert refused.value.message == f"{field}: {message}"
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(("typed", "sent", "message"), BAD_TIMES)
def test_every_door_refuses_a_transaction_time_out_of_range(client, api, agent, typed, sent, message):
    client.force_login(agent)
    admin = client.post(ADD, registration(transaction_at_0=typed[0], transaction_at_1=typed[1]))
    assert refusals(admin, "transaction_at") == [message]

    complaint = register(agent)
    data = open_change_form(client, complaint)
    data["transaction_at_0"], data["transaction_at_1"] = typed
    change = client.post(admin_url(complaint), data)
    assert refusals(change, "transaction_at") == [message]

    answer = api.post(LIST_URL, payload(transaction_at=sent), format="json")
    assert assert_error(answer, 400, "invalid")["fields"] == {"transaction_at": [message]}

    moment = dt.datetime.fromisoformat(sent)
    with pytest.raises(InvalidInput) as refused:
        register(agent, transaction_at=moment)
    assert (refused.value.field, refused.value.message) == ("transaction_at", f"transaction_at: {message}")
    assert Complaint.objects.get() == complaint
    assert complaint.transaction_at == Complaint.objects.get().transaction_at


def test_a_transaction_time_a_little_ahead_of_our_clock_is_taken(agent):
    complaint = register(agent, transaction_at=timezone.now() + dt.timedelta(seconds=60))

    assert complaint.pk is not None


def test_an_amount_with_more_places_than_its_currency_has_is_refused_at_every_door(client, api, agent):
    message = "JPY has 0 decimal places; 1200.50 has more."
    client.force_login(agent)

    admin = client.post(ADD, registration(amount="1200.50", currency="JPY"))
    answer = api.post(LIST_URL, payload(amount="1200.50", currency="JPY"), format="json")
    with pytest.raises(InvalidInput) as refused:
        register(agent, amount=Decimal("1200.50"), currency="JPY")

    assert refusals(admin, "amount") == [message]
    assert assert_error(answer, 400, "invalid")["fields"] == {"amount": [message]}
    assert refused.value.field == "amount"
    assert not Complaint.objects.exists()


def test_a_negative_amount_in_the_admin_is_refused_next_to_the_field_not_by_a_constraint(client, agent):
    client.force_login(agent)

    response = client.post(ADD, registration(amount="-0.01"))

    form = response.context["adminform"].form
    assert form.errors["amount"] == [NOT_POSITIVE]
    assert not form.non_field_errors()
    assert "complaint_amount_not_negative" not in response.content.decode()


# Phone numbers are kept in E.164, found however they are typed, and still masked.


@pytest.mark.parametrize("typed", ["13800138000", "138 0013 8000", "+86 138-0013-8000", "+8613800138000"])
def test_a_phone_number_is_kept_in_e164_however_it_is_typed(client, api, agent, typed):
    client.force_login(agent)
    client.post(ADD, registration(customer_phone=typed))
    api.post(LIST_URL, payload(customer_phone=typed), format="json")
    register(agent, customer_phone=typed)

    assert list(Complaint.objects.values_list("customer_phone", flat=True)) == ["+8613800138000"] * 3


def test_the_admin_finds_a_phone_number_however_it_is_typed_and_shows_it_masked(client, agent):
    wanted = register(agent, customer_phone="13700001111")
    register(agent, customer_phone="13600002222")
    client.force_login(agent)

    for typed in ("13700001111", "137 0000 1111", "+86 137-0000-1111", "+8613700001111"):
        response = client.get("/admin/complaints/complaint/", {"q": typed})
        assert list(response.context["cl"].result_list) == [wanted], typed
    page = client.get(admin_url(wanted)).content.decode()
    assert "+86 137 **** 1111" in page
    assert "+8613700001111" not in page


def test_the_api_echoes_a_normalised_phone_masked(api):
    response = api.post(LIST_URL, payload(customer_phone="13912345678"), format="json")

    assert response.status_code == 201, response.content
    assert response.json()["customer_phone"] == "+86 139 **** 5678"


# Free text written by the steps and transitions.


def test_a_note_longer_than_its_limit_is_refused_by_the_service(agent):
    complaint = register(agent)

    with pytest.raises(InvalidInput) as refused:
        services.add_note(complaint=complaint, actor=agent, body="x" * 5001)

    assert (refused.value.field, refused.value.message) == ("body", too_long(5000, 5001))
    assert not ComplaintNote.objects.exists()


def test_a_partner_message_longer_than_its_limit_is_refused_in_the_same_words(api, partner):
    complaint = Complaint.objects.get(
        reference=api.post(LIST_URL, payload(), format="json").json()["reference"]
    )

    answer = api.post(notes_url(complaint.reference), {"body": "x" * 4001}, format="json")
    with pytest.raises(InvalidInput) as refused:
        services.add_partner_message(complaint=complaint, actor=partner.user, body="x" * 4001)

    assert assert_error(answer, 400, "invalid")["fields"] == {"body": [too_long(4000, 4001)]}
    assert (refused.value.field, refused.value.message) == ("body", too_long(4000, 4001))
    assert not PartnerMessage.objects.exists()


def test_a_resolution_summary_longer_than_its_limit_is_refused_by_the_service(agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)

    with pytest.raises(InvalidInput) as refused:
        services.resolve_complaint(
            **CLASSIFIED, complaint=complaint, actor=agent, code="explained", summary="x" * 2001
        )

    assert (refused.value.field, refused.value.message) == ("resolution_summary", too_long(2000, 2001))
    complaint.refresh_from_db()
    assert complaint.state == "accepted"
    assert complaint.resolution_summary == ""


def test_the_admin_resolve_form_refuses_a_summary_longer_than_the_model_keeps(client, agent):
    complaint = register(agent)
    services.verify_identity(complaint=complaint, actor=agent, method="sms_code")
    services.accept_complaint(complaint=complaint, actor=agent)
    client.force_login(agent)

    response = act(
        client, admin_url(complaint, "transition", "resolve"), code="explained", summary="x" * 2001
    )

    assert response.context["transition_form"].errors["summary"] == [too_long(2000, 2001)]
    complaint.refresh_from_db()
    assert complaint.state == "accepted"
