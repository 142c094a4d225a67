"""A complaint may wait for the customer's phone only when it came by e-mail and has the
customer's e-mail address (``missing_phone_refusal``, asked by ``Complaint.clean``): the
service, the admin's add and change forms, a correction of the channel and the partner
API refuse the rest in the same words, on ``customer_phone``."""

from __future__ import annotations

import pytest

from casework.core.errors import InvalidInput
from casework.models import TransitionRecord
from casework.tests.admin import admin_url
from complaints import services
from complaints.models import Complaint
from complaints.tests.admin import ADD, open_change_form, registration
from complaints.tests.api import LIST_URL, payload
from complaints.tests.factories import register

NEEDED = (
    "Give the customer's phone number: only a complaint that came by e-mail, with the "
    "customer's e-mail address, may wait for it."
)
INVALID = "Enter a valid phone number, e.g. 13800138000 or +86 138 0013 8000."


def by_email(agent, **overrides) -> Complaint:
    """A complaint the customer wrote in about, their phone not known yet."""
    values = {
        "channel": "email",
        "category": "other",
        "customer_phone": "",
        "customer_email": "wang.fang@example.com",
        "preferred_channel": "email",
    }
    return register(agent, **{**values, **overrides})


def test_an_e_mail_complaint_with_the_customers_address_is_registered_without_a_phone(agent):
    complaint = by_email(agent)

    complaint.refresh_from_db()
    assert (complaint.customer_phone, complaint.has_phone) == ("", False)
    assert complaint.customer_email == "wang.fang@example.com"


@pytest.mark.parametrize(
    "contact",
    [
        {"channel": "phone"},
        {"channel": "chat", "customer_email": "wang.fang@example.com"},
        {"channel": "email", "customer_email": ""},
    ],
    ids=["a call", "a chat, even with an address", "an e-mail without the address"],
)
def test_any_other_complaint_without_a_phone_is_refused_by_the_service_on_the_field(agent, contact):
    with pytest.raises(InvalidInput) as refused:
        register(agent, customer_phone="", category="other", **contact)

    assert (refused.value.field, refused.value.message) == ("customer_phone", f"customer_phone: {NEEDED}")
    assert not Complaint.objects.exists()


def test_an_invalid_phone_is_still_refused_on_an_e_mail_complaint(agent):
    with pytest.raises(InvalidInput) as refused:
        by_email(agent, customer_phone="12345")

    assert (refused.value.field, refused.value.message) == ("customer_phone", f"customer_phone: {INVALID}")


def test_the_add_form_refuses_a_call_without_a_phone_next_to_the_field_and_keeps_the_input(client, agent):
    client.force_login(agent)

    response = client.post(ADD, {**registration(customer_phone=""), "_save": "Register"})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["customer_phone"] == [NEEDED]
    assert list(form.errors) == ["customer_phone"]
    assert form["customer_name"].value() == "Zhang San"
    assert form["transaction_reference"].value() == "TX2026030200045"
    assert NEEDED.replace("'", "&#x27;") in response.content.decode()
    assert not Complaint.objects.exists()


def test_the_add_form_registers_an_e_mail_complaint_without_a_phone(client, agent):
    client.force_login(agent)
    contact = {"channel": "email", "customer_email": "wang.fang@example.com", "preferred_channel": "email"}

    response = client.post(ADD, {**registration(customer_phone="", **contact), "_save": "Register"})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.customer_phone) == ("email", "")
    page = client.get(admin_url(complaint)).content.decode()
    assert "None on file yet: type the number to add it (kept in the history)." in page


def test_the_change_form_refuses_removing_the_e_mail_of_a_complaint_without_a_phone(client, agent):
    complaint = by_email(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)

    response = client.post(
        admin_url(complaint),
        {**data, "customer_email": "", "preferred_channel": "sms", "change_reason": "Typo"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer_phone"] == [NEEDED]
    complaint.refresh_from_db()
    assert (complaint.customer_email, complaint.version) == ("wang.fang@example.com", 0)


def test_the_phone_is_added_later_with_edit_details_and_kept_in_the_history(client, agent):
    complaint = by_email(agent)
    client.force_login(agent)
    data = open_change_form(client, complaint)

    response = client.post(
        admin_url(complaint),
        {**data, "customer_phone": "139 0000 2222", "change_reason": "Gave it on the call back"},
    )

    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.customer_phone == "+8613900002222"
    record = TransitionRecord.objects.filter(case_reference=complaint.reference).latest("id")
    assert (record.transition, record.data["fields"], record.reason) == (
        "edit_details",
        ["customer_phone"],
        "Gave it on the call back",
    )
    latest, before = complaint.history.all()[:2]
    assert (before.customer_phone, latest.customer_phone) == ("", "+8613900002222")
    assert latest.history_change_reason == "Gave it on the call back"


def test_the_channel_of_a_complaint_without_a_phone_is_not_corrected_away_from_e_mail(agent, supervisor):
    complaint = by_email(agent)

    with pytest.raises(InvalidInput) as refused:
        services.correct_complaint(
            complaint=complaint, actor=supervisor, channel="phone", reason="It was a call"
        )

    assert (refused.value.field, refused.value.message) == ("channel", NEEDED)
    complaint.refresh_from_db()
    assert complaint.channel == "email"


@pytest.mark.parametrize("phone", [None, ""], ids=["missing", "blank"])
def test_the_partner_api_refuses_a_complaint_without_a_phone_in_the_same_words(api, partner, phone):
    body = payload(customer_email="li.lei@example.com", preferred_channel="email")
    if phone is None:
        del body["customer_phone"]
    else:
        body["customer_phone"] = phone

    answer = api.post(LIST_URL, body, format="json")

    assert answer.status_code == 400
    assert answer.json()["error"]["fields"] == {"customer_phone": [NEEDED]}
    assert not Complaint.objects.exists()


def test_the_partner_api_schema_still_requires_the_phone(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()

    create = schema["components"]["schemas"]["ComplaintCreateRequest"]
    assert "customer_phone" in create["required"]
