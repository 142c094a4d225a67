"""The customer's contact on both doors: the intake form and the partner API take the
e-mail, the language and the preferred channel, and refuse preferring e-mail without an
address with the same words, on the same field (``Complaint.clean``)."""

from __future__ import annotations

from casework.models import CustomerMessage
from complaints import services
from complaints.models import Complaint
from complaints.tests.admin import ADD, registration
from complaints.tests.api import LIST_URL, payload

REFUSAL = "Give the customer's e-mail address, or choose SMS as the preferred channel."


def test_the_intake_form_keeps_the_customers_e_mail_language_and_channel(client, agent):
    client.force_login(agent)
    contact = {
        "customer_email": "li.wei@example.com",
        "preferred_channel": "email",
        "customer_language": "en",
    }

    response = client.post(ADD, {**registration(**contact), "_save": "Register"})

    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert (complaint.customer_email, complaint.preferred_channel, complaint.customer_language) == (
        "li.wei@example.com",
        "email",
        "en",
    )
    page = client.get(ADD).content.decode()
    assert (
        page.index('name="customer_phone"')
        < page.index('name="customer_email"')
        < page.index('name="amount"')
    )


def test_the_intake_form_refuses_e_mail_without_an_address_on_the_field(client, agent):
    client.force_login(agent)

    response = client.post(ADD, {**registration(preferred_channel="email"), "_save": "Register"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["customer_email"] == [REFUSAL]
    assert not Complaint.objects.exists()


def test_the_partner_api_takes_the_contact_and_refuses_the_same_way(api, partner):
    refused = api.post(LIST_URL, payload(preferred_channel="email"), format="json")
    filed = api.post(
        LIST_URL,
        payload(customer_email="li.lei@example.com", preferred_channel="email", customer_language="en"),
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["customer_email"] == [REFUSAL]
    assert filed.status_code == 201
    complaint = Complaint.objects.get(reference=filed.json()["reference"])
    assert (complaint.customer_email, complaint.preferred_channel, complaint.customer_language) == (
        "li.lei@example.com",
        "email",
        "en",
    )


def test_a_partner_that_opted_in_has_its_customer_told_by_e_mail(api, partner, agent, settings):
    settings.CUSTOMER_QUIET_HOURS = ""
    partner.notifies_customers_directly = True
    partner.save()
    filed = api.post(
        LIST_URL, payload(customer_email="li.lei@example.com", preferred_channel="email"), format="json"
    )
    complaint = Complaint.objects.get(reference=filed.json()["reference"])

    services.verify_identity(complaint=complaint, actor=agent, method="partner_attested")
    services.accept_complaint(complaint=complaint, actor=agent)

    [message] = CustomerMessage.objects.filter(case_reference=complaint.reference)
    assert (message.channel, message.address, message.language) == ("email", "li.lei@example.com", "zh-hans")
