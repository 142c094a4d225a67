"""The subject-access export: everything held on one customer, every case of every kind and
nothing of another customer's, for supervisors only, each export (and each refused try)
in the reveal log with its reason."""

from __future__ import annotations

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import RequestState
from accounts.tests.factories import request_in_state, wallet_account
from casework.access import roles
from casework.core.chain import chain_faults
from casework.models import Customer, RevealLog
from casework.privacy import access
from casework.tests.files import pdf
from casework.tests.users import make_user
from complaints import services
from complaints.models import State
from complaints.tests.factories import complaint_in_state, register
from refunds.tests.factories import refund_for_customer

ACCOUNT = "6222008877770001"
PHONE = "+8613712345678"
URL = "admin:casework_subject_access"


@pytest.fixture
def customer(agent, supervisor, media_root) -> Customer:
    """One customer with a complaint (a note, an attachment), an unlock request on their
    account and a refund case; and another customer's complaint beside them."""
    complaint = complaint_in_state(
        State.IN_PROGRESS,
        agent=agent,
        customer_phone=PHONE,
        account_number=ACCOUNT,
        customer_name="Wang Fang",
    )
    services.add_note(complaint=complaint, actor=agent, body="Customer called back about the debit.")
    services.add_attachment(
        complaint=complaint,
        actor=agent,
        file=ContentFile(pdf(), name="statement.pdf"),
        description="statement",
    )
    request_in_state(
        RequestState.SUBMITTED,
        agent=agent,
        reviewer=supervisor,
        account=wallet_account(account_number=ACCOUNT),
    )
    desk = make_user("refunds.export", roles.REFUNDS_DESK)
    refund_for_customer(agent, desk, "120.00", phone=PHONE, account_number=ACCOUNT, customer_name="Wang Fang")
    register(
        agent,
        customer_name="Somebody Else",
        customer_phone="+8613700000099",
        account_number="6222000000000999",
    )
    return complaint.customer


def export(client, user, **data):
    client.force_login(user)
    return client.post(reverse(URL), data)


def test_a_supervisor_downloads_every_case_of_the_customer_and_the_export_is_logged(
    client, supervisor, customer
):
    response = export(client, supervisor, account_number=ACCOUNT, reason="Subject access request of 3 Dec")

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="customer-{customer.pk}-subject-access.json"'
    )
    assert "no-store" in response["Cache-Control"]
    document = json.loads(response.content)
    kinds = sorted(case["case_type"] for case in document["cases"])
    assert kinds == ["account_request", "complaint", "complaint", "refund"]  # the refund's complaint too
    text = response.content.decode()
    assert "Somebody Else" not in text and "6222000000000999" not in text
    complaint = next(case for case in document["cases"] if case["case"].get("customer_name") == "Wang Fang")
    assert (
        complaint["records"]["complaints.complaintnote"][0]["body"] == "Customer called back about the debit."
    )
    assert complaint["attachments"][0]["file"].endswith(".pdf")
    assert complaint["history"] and complaint["trail"]
    assert {item["value"] for item in document["customer"]["identifiers"]} >= {ACCOUNT, PHONE}
    # The export is a reveal, with its reason, chained like any other.
    log = RevealLog.objects.get(field_name=access.EXPORT_FIELD)
    assert (log.user, log.object_id, log.outcome, log.reason) == (
        supervisor,
        customer.pk,
        RevealLog.Outcome.REVEALED,
        "Subject access request of 3 Dec",
    )
    assert log.content_type == ContentType.objects.get_for_model(Customer)
    assert not list(chain_faults(RevealLog))
    # A second export lists the first.
    again = json.loads(export(client, supervisor, customer_id=customer.pk, reason="Second copy").content)
    assert [row["reason"] for row in again["exports"]] == ["Subject access request of 3 Dec", "Second copy"]


def test_an_agent_is_refused_and_the_try_is_logged(client, agent, customer):
    response = export(client, agent, phone=PHONE, reason="curious")
    assert response.status_code == 403
    log = RevealLog.objects.get(field_name=access.EXPORT_FIELD)
    assert (log.user, log.outcome) == (agent, RevealLog.Outcome.REFUSED)
    client.force_login(agent)
    assert client.get(reverse(URL)).status_code == 403


def test_no_reason_or_no_customer_is_refused_naming_the_field(client, supervisor, customer):
    response = export(client, supervisor, account_number=ACCOUNT, reason="  ")
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    response = export(client, supervisor, account_number="0000", reason="Request of 3 Dec")
    assert response.status_code == 400
    assert "account_number" in response.context["form"].errors
    assert not RevealLog.objects.filter(field_name=access.EXPORT_FIELD).exists()


def test_the_form_is_offered_to_supervisors(client, supervisor):
    client.force_login(supervisor)
    page = client.get(reverse("admin:casework_retentionpolicy_changelist"))
    assert reverse(URL) in page.content.decode()
    assert client.get(reverse(URL)).status_code == 200
